// Where the language server's peak memory comes from: one session driven like `npm run bench` drives it (open,
// outline, navigation, characters typed, lines added, a line split and joined, each answered), with the server's resident set size
// (VmRSS) sampled every 20 ms and its highest value printed per step.
//
//   npx tsc -b server && npx tsx scripts/bench-memory.ts .bench/dumps/kube-20000-save.txt [SERVER_OUT] [-- NODE_FLAGS…]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listenAsEditor, startStdioServer } from './bench/lspSession';

const [file, serverOut = path.resolve(__dirname, '../server/out'), ...rest] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: bench-memory.ts DUMP [SERVER_OUT] [-- NODE_FLAGS…]\n');
  process.exit(2);
}
const nodeFlags = rest[0] === '--' ? rest.slice(1) : rest;
const server = startStdioServer(serverOut, nodeFlags);
const { child, connection } = server;
const status = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

const peaks = new Map<string, number>();
let step = 'start';
const sampler = setInterval(() => {
  try {
    peaks.set(step, Math.max(peaks.get(step) ?? 0, status('VmRSS')));
  } catch {
    // the server has exited
  }
}, 20);

const DUMP_URI = 'file:///dump.txt';
const diagnosed = listenAsEditor(connection, DUMP_URI);

async function main(): Promise<void> {
  await connection.sendRequest('initialize', { processId: null, rootUri: null, capabilities: { window: { workDoneProgress: true } } });
  await connection.sendNotification('initialized', {});
  const uri = DUMP_URI;
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const document = { uri };
  const at = Math.floor(lines.length / 2);
  const end = { line: at, character: lines[at].length };
  let version = 1;
  const change = (edit: object): Promise<void> =>
    connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: ++version }, contentChanges: [edit] });

  step = 'open, outline';
  await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'iptables', version, text } });
  await connection.sendRequest('textDocument/documentSymbol', { textDocument: document });
  step = 'diagnostics';
  await diagnosed(version);
  step = '200 hovers, implementations, references';
  for (let i = 0; i < 200; i++) {
    const position = { line: (i * 2311) % lines.length, character: 5 };
    await connection.sendRequest('textDocument/hover', { textDocument: document, position });
    await connection.sendRequest('textDocument/implementation', { textDocument: document, position });
    await connection.sendRequest('textDocument/references', { textDocument: document, position, context: { includeDeclaration: true } });
  }
  for (let k = 0; k < 3; k++) {
    step = `character typed / removed ${k + 1}, outline`;
    await change(k % 2 === 0 ? { range: { start: end, end }, text: 'x' } : { range: { start: end, end: { line: at, character: end.character + 1 } }, text: '' });
    await connection.sendRequest('textDocument/documentSymbol', { textDocument: document });
    await diagnosed(version);
  }
  // Enter at the end of the line (after the 'x' the odd number of characters left there) and Backspace: an empty
  // line added and removed, which the model and the analysis follow in place.
  const lineEnd = { line: at, character: end.character + 1 };
  for (let k = 0; k < 4; k++) {
    step = `line added / removed ${k + 1}, hover`;
    await change(k % 2 === 0 ? { range: { start: lineEnd, end: lineEnd }, text: '\n' } : { range: { start: lineEnd, end: { line: at + 1, character: 0 } }, text: '' });
    await connection.sendRequest('textDocument/hover', { textDocument: document, position: { line: 0, character: 2 } });
    await diagnosed(version);
  }
  // Enter before that 'x' and Backspace: a rule line split in two (a line of `x`, which no reader takes) and joined
  // again, which the model does not follow in place: each is a whole parse and a whole analysis.
  for (let k = 0; k < 2; k++) {
    step = `line split / joined ${k + 1}, hover`;
    await change(k % 2 === 0 ? { range: { start: end, end }, text: '\n' } : { range: { start: end, end: { line: at + 1, character: 0 } }, text: '' });
    await connection.sendRequest('textDocument/hover', { textDocument: document, position: { line: 0, character: 2 } });
    await diagnosed(version);
  }
  step = 'idle 3 s';
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const peak = status('VmHWM');
  clearInterval(sampler);
  process.stdout.write(`${path.basename(file)} (${(text.length / 1048576).toFixed(1)} MB), server ${serverOut}\n`);
  for (const [name, mb] of peaks) {
    process.stdout.write(`  ${name.padEnd(44)} ${mb.toFixed(0).padStart(6)} MB\n`);
  }
  process.stdout.write(`  ${'peak (VmHWM)'.padEnd(44)} ${peak.toFixed(0).padStart(6)} MB\n`);
  await server.stop();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    child.kill();
    process.exit(1);
  },
);
