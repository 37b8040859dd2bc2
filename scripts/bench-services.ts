// What the Services view's request costs the server on a large dump: `iptablesLens/services` asked for in one piece
// and in the VS Code client's pages (client/src/cluster/servicePages.ts), each in a fresh server over stdio once the
// dump is analysed. For each: wall time, server CPU (from /proc), the server's resident memory before and its peak
// while answering, and the longest a hover sent every 20 ms meanwhile waited for its answer.
//
//   npx tsc -b server && npx tsx scripts/bench-services.ts [--services 20000] [--format save|list] [--runs 2] [--server-out DIR …]
import * as path from 'node:path';
import { fetchServicePorts } from '../client/src/cluster/servicePages';
import type { ServicesPage } from '../client/src/cluster/servicePages';
import { ensureDump, parseDumpBenchArgs } from './bench/dumps';
import { keepAsking, openDumpInServer, processCpuMs, rss, SERVER_OUT } from './bench/lspSession';

const USAGE = 'usage: bench-services.ts [--services 20000] [--format save|list] [--runs 2] [--server-out DIR …]';

type Mode = 'whole' | 'pages';

async function measure(serverOut: string, file: string, mode: Mode): Promise<string> {
  const server = await openDumpInServer(serverOut, file, 'file:///bench-services');
  const { child, connection, uri, lines, diagnosed } = server;
  const rssMb = (): number => rss(child.pid!, 'VmRSS') / 1048576;
  const cpuMs = (): number => processCpuMs(child.pid!);
  try {
    await diagnosed(1); // published once the analysis is done
    const line = Math.max(0, lines.findIndex((l) => l.startsWith('-A KUBE-SVC-'))); // a rule to hover (any line would do)
    const before = rssMb();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 10);
    const hovering = keepAsking(() => connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line, character: 5 } }));
    const cpu = cpuMs();
    const started = performance.now();
    const send = (params: object): Promise<ServicesPage> => connection.sendRequest('iptablesLens/services', params) as Promise<ServicesPage>;
    const ports = mode === 'whole' ? (await send({ uri })).services : await fetchServicePorts(send, uri);
    const wall = performance.now() - started;
    const serverCpu = cpuMs() - cpu;
    const { answered, longestMs } = await hovering.stop();
    clearInterval(sampler);
    return `| ${path.relative(process.cwd(), serverOut)} | ${mode} | ${ports.length} | ${wall.toFixed(0)} | ${serverCpu} | ${before.toFixed(0)} → ${peak.toFixed(0)} | ${answered} | ${longestMs.toFixed(0)} |`;
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const { services, format, runs, serverOuts } = parseDumpBenchArgs(process.argv.slice(2), USAGE);
  const file = ensureDump(services, format, (line) => void process.stderr.write(line + '\n'));
  console.log(`${path.relative(process.cwd(), file)}: iptablesLens/services once the dump is analysed, in a fresh server each time`);
  console.log('| server | asked for | service ports | wall ms | server CPU ms | server RSS MB before → peak | hovers meanwhile | longest hover wait ms |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (let run = 0; run < runs; run++) {
    for (const mode of ['whole', 'pages'] as const) {
      for (const serverOut of serverOuts.length > 0 ? serverOuts : [SERVER_OUT]) {
        console.log(await measure(serverOut, file, mode));
      }
    }
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
