// What each edit of a bench-memory session allocates in the language server, and where: the server (LspServer of a
// build's server/out) runs in this process, driven over in-memory streams through the same steps as
// scripts/bench-memory.ts (characters typed and removed, an empty line added and removed, a rule line split and
// joined), and V8's sampling heap profiler records every allocation of each step, the objects already collected
// included: the garbage an edit leaves, which RSS shows only once V8 lets its heap grow into it. Prints per step the
// MB allocated (a sample, ±1 MB), the process CPU, and the sites that allocated most (the allocating function and
// the three frames above it). The client's side of the protocol (decode, encode) allocates in this process too.
//
//   npx tsc -b server && npx tsx scripts/bench-edit-alloc.ts .bench/dumps/kube-20000-save.txt [SERVER_OUT] [--top N]
import * as fs from 'node:fs';
import * as inspector from 'node:inspector';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { listenAsEditor } from './bench/lspSession';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import type * as LspServerModule from '../server/src/lspServer';

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) : 8;
const [file, serverOut = path.resolve(__dirname, '../server/out')] =
  topAt >= 0 ? [...args.slice(0, topAt), ...args.slice(topAt + 2)] : args;
if (!file || !Number.isInteger(top)) {
  process.stderr.write('usage: bench-edit-alloc.ts DUMP [SERVER_OUT] [--top N]\n');
  process.exit(2);
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { LspServer } = require(path.join(path.resolve(serverOut), 'lspServer.js')) as typeof LspServerModule;

const toServer = new PassThrough();
const toClient = new PassThrough();
new LspServer(createConnection(ProposedFeatures.all, new StreamMessageReader(toServer), new StreamMessageWriter(toClient))).listen();
const connection = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
const DUMP_URI = 'file:///dump.txt';
const diagnosed = listenAsEditor(connection, DUMP_URI);

const session = new inspector.Session();
session.connect();
function post<T>(method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))));
}

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

const mb = (bytes: number): string => (bytes / 1048576).toFixed(1);

/** Runs `step` under the sampling heap profiler and prints what it allocated, and where. */
async function measured(label: string, step: () => Promise<void>): Promise<void> {
  await post('HeapProfiler.startSampling', {
    samplingInterval: 8192,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  const cpu = process.cpuUsage();
  await step();
  const used = process.cpuUsage(cpu);
  const { profile } = await post<{ profile: { head: ProfileNode } }>('HeapProfiler.stopSampling');
  const bySite = new Map<string, number>();
  let total = 0;
  const walk = (node: ProfileNode, stack: string[]): void => {
    const frame = node.callFrame;
    const frames = [...stack, `${frame.functionName || '(anonymous)'} ${path.basename(frame.url)}:${frame.lineNumber + 1}`];
    if (node.selfSize > 0) {
      total += node.selfSize;
      const site = `${frames[frames.length - 1]}  <  ${frames.slice(-4, -1).reverse().join(' < ')}`;
      bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
    }
    for (const child of node.children) {
      walk(child, frames);
    }
  };
  walk(profile.head, []);
  process.stdout.write(`${label}: ${mb(total)} MB allocated, ${((used.user + used.system) / 1000).toFixed(0)} ms CPU\n`);
  for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`  ${mb(bytes).padStart(6)} MB  ${site}\n`);
  }
}

async function main(): Promise<void> {
  await connection.sendRequest('initialize', { processId: null, rootUri: null, capabilities: { window: { workDoneProgress: true } } });
  await connection.sendNotification('initialized', {});
  const uri = DUMP_URI;
  const document = { uri };
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const at = Math.floor(lines.length / 2);
  const end = { line: at, character: lines[at].length };
  const lineEnd = { line: at, character: end.character + 1 }; // after the 'x' the character steps leave
  let version = 1;
  const change = (edit: object): Promise<void> =>
    connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: ++version }, contentChanges: [edit] });
  await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'iptables', version, text } });
  await connection.sendRequest('textDocument/documentSymbol', { textDocument: document });
  await diagnosed(version);
  const hover = (): Promise<unknown> =>
    connection.sendRequest('textDocument/hover', { textDocument: document, position: { line: 0, character: 2 } });
  for (let k = 0; k < 3; k++) {
    await measured(`character typed / removed ${k + 1}, outline`, async () => {
      await change(k % 2 === 0 ? { range: { start: end, end }, text: 'x' } : { range: { start: end, end: lineEnd }, text: '' });
      await connection.sendRequest('textDocument/documentSymbol', { textDocument: document });
      await diagnosed(version);
    });
  }
  for (let k = 0; k < 4; k++) {
    await measured(`line added / removed ${k + 1}, hover`, async () => {
      await change(
        k % 2 === 0
          ? { range: { start: lineEnd, end: lineEnd }, text: '\n' }
          : { range: { start: lineEnd, end: { line: at + 1, character: 0 } }, text: '' },
      );
      await hover();
      await diagnosed(version);
    });
  }
  for (let k = 0; k < 2; k++) {
    await measured(`line split / joined ${k + 1}, hover`, async () => {
      await change(
        k % 2 === 0 ? { range: { start: end, end }, text: '\n' } : { range: { start: end, end: { line: at + 1, character: 0 } }, text: '' },
      );
      await hover();
      await diagnosed(version);
    });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
