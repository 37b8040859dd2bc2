// What the user of a dump just opened waits for, over stdio, as an editor asks: the outline; then, as soon as it has
// come, a hover on a KUBE-SERVICES jump to a service chain (it reads the kube-proxy analysis, which runs in slices after
// the outline) while a definition is asked every 20 ms (a user navigating meanwhile: it needs the model only); and
// the diagnostics, published once the analysis ends. Times are from the didOpen, except the longest definition wait.
//
//   npx tsc -b server && npx tsx scripts/bench-open.ts [--sizes 1000,5000,20000] [--format save|list] [--runs 3] [--server-out DIR …]
//
// With several `--server-out` builds, each run opens each dump in each build in turn.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureDump, parseSizesBenchArgs } from './bench/dumps';
import { listenAsEditor, markMasqJump, navigate, serviceJump, SERVER_OUT, startStdioServer } from './bench/lspSession';
import { summarize } from './bench/stats';

const USAGE = 'usage: bench-open.ts [--sizes 1000,5000,20000] [--format save|list] [--runs 3] [--server-out DIR …]';

interface Timings {
  outline: number;
  hover: number;
  diagnostics: number;
  definitions: number;
  longestDefinition: number;
}

async function measure(serverOut: string, file: string): Promise<Timings> {
  const server = startStdioServer(serverOut);
  const { connection } = server;
  const uri = 'file:///bench-open.txt';
  const diagnosed = listenAsEditor(connection, uri);
  try {
    await connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: { window: { workDoneProgress: true } } });
    await connection.sendNotification('initialized', {});
    const text = fs.readFileSync(file, 'utf8');
    const lines = text.split('\n');
    const opened = performance.now();
    const since = (): number => performance.now() - opened;
    await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'iptables', version: 1, text } });
    const diagnostics = diagnosed(1).then(since);
    const outline = await connection.sendRequest('textDocument/documentSymbol', { textDocument: { uri } }).then(since);
    const navigating = navigate(connection, uri, markMasqJump(lines));
    const hover = await connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: serviceJump(lines) }).then(since);
    const published = await diagnostics;
    const { answered, longestMs } = await navigating.stop();
    return { outline, hover, diagnostics: published, definitions: answered, longestDefinition: longestMs };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const { sizes, format, count: runs, serverOuts } = parseSizesBenchArgs(process.argv.slice(2), USAGE, '--runs', 3);
  const servers = serverOuts.length > 0 ? serverOuts : [SERVER_OUT];
  const ms = (values: number[]): string => {
    const s = summarize(values);
    return `${s.median.toFixed(0)} (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;
  };
  console.log(`Node ${process.version}, ${format} dumps, ${runs} runs; ms after the didOpen: median (range)`);
  console.log('| dump | server | outline | hover sent after the outline | diagnostics | definitions meanwhile | longest definition wait |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const services of sizes) {
    const file = ensureDump(services, format, (line) => void process.stderr.write(line + '\n'));
    const results = servers.map((): Timings[] => []);
    for (let run = 0; run < runs; run++) {
      for (let s = 0; s < servers.length; s++) {
        results[s].push(await measure(servers[s], file));
      }
    }
    servers.forEach((serverOut, s) => {
      const r = results[s];
      const cells = [r.map((t) => t.outline), r.map((t) => t.hover), r.map((t) => t.diagnostics)].map(ms);
      const definitions = summarize(r.map((t) => t.definitions)).median.toFixed(0);
      console.log(
        `| ${services / 1000}k ${format} | ${path.relative(process.cwd(), serverOut) || serverOut} | ${cells.join(' | ')} | ${definitions} | ${ms(r.map((t) => t.longestDefinition))} |`,
      );
    });
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
