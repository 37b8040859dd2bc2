// What the Services view's request costs the server on a large dump: `iptablesLens/services` asked for in one piece
// and in the VS Code client's pages (client/src/cluster/servicePages.ts), each in a fresh server over stdio once the
// dump is analysed. For each: wall time, server CPU (from /proc), the server's resident memory before and its peak
// while answering, and the longest a hover sent every 20 ms meanwhile waited for its answer.
//
//   npx tsc -b server && npx tsx scripts/bench-services.ts [--services 20000] [--format save|list] [--runs 2]
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { fetchServicePorts } from '../client/src/cluster/servicePages';
import type { ServicesPage } from '../client/src/cluster/servicePages';
import { ensureDump } from './bench/dumps';
import { listenAsEditor, processCpuMs, rss } from './bench/lspSession';
import type { BenchFormat } from './bench/dumps';

const USAGE = 'usage: bench-services.ts [--services 20000] [--format save|list] [--runs 2]';
const SERVER_JS = path.resolve(__dirname, '../server/out/server.js');

type Mode = 'whole' | 'pages';

async function measure(file: string, mode: Mode): Promise<string> {
  const child = spawn(process.execPath, [SERVER_JS, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const rssMb = (): number => rss(child.pid!, 'VmRSS') / 1048576;
  const cpuMs = (): number => processCpuMs(child.pid!);
  const uri = 'file:///bench-services';
  const diagnosed = listenAsEditor(connection, uri);
  try {
    await connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
    await connection.sendNotification('initialized', {});
    const text = fs.readFileSync(file, 'utf8');
    await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'iptables', version: 1, text } });
    await diagnosed(1); // published once the analysis is done
    const line = Math.max(0, text.split('\n').findIndex((l) => l.startsWith('-A KUBE-SVC-'))); // a rule to hover (any line would do)
    const before = rssMb();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 10);
    let done = false;
    let worst = 0;
    let hovers = 0;
    const hovering = (async (): Promise<void> => {
      while (!done) {
        const sent = performance.now();
        await connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line, character: 5 } });
        worst = Math.max(worst, performance.now() - sent);
        hovers++;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const cpu = cpuMs();
    const started = performance.now();
    const send = (params: object): Promise<ServicesPage> => connection.sendRequest('iptablesLens/services', params) as Promise<ServicesPage>;
    const ports = mode === 'whole' ? (await send({ uri })).services : await fetchServicePorts(send, uri);
    const wall = performance.now() - started;
    const serverCpu = cpuMs() - cpu;
    done = true;
    await hovering;
    clearInterval(sampler);
    return `| ${mode} | ${ports.length} | ${wall.toFixed(0)} | ${serverCpu} | ${before.toFixed(0)} → ${peak.toFixed(0)} | ${hovers} | ${worst.toFixed(0)} |`;
  } finally {
    await connection.sendRequest('shutdown').catch(() => undefined);
    await connection.sendNotification('exit').catch(() => undefined);
    connection.dispose();
    child.kill();
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let services = 20000;
  let format: BenchFormat = 'save';
  let runs = 2;
  for (let i = 0; i < argv.length; i += 2) {
    const value = argv[i + 1];
    if (value === undefined) {
      throw new Error(USAGE);
    }
    if (argv[i] === '--services') {
      services = Number(value);
    } else if (argv[i] === '--format') {
      format = value === 'list' ? 'list' : 'save';
    } else if (argv[i] === '--runs') {
      runs = Number(value);
    } else {
      throw new Error(USAGE);
    }
  }
  const file = ensureDump(services, format, (line) => void process.stderr.write(line + '\n'));
  console.log(`${path.relative(process.cwd(), file)}: iptablesLens/services once the dump is analysed, in a fresh server each time`);
  console.log('| asked for | service ports | wall ms | server CPU ms | server RSS MB before → peak | hovers meanwhile | longest hover wait ms |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (let run = 0; run < runs; run++) {
    for (const mode of ['whole', 'pages'] as const) {
      console.log(await measure(file, mode));
    }
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
