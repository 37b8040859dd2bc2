// What an edit the model cannot follow in place costs the user of a large dump, in the built server over stdio: a
// character typed in a chain's declaration (`:KUBE-SEP-…` in save output, `Chain KUBE-SEP-…` in `-L` output), then
// deleted again. Each of the two edits makes the server parse and analyse the whole dump again. After each edit the
// client asks what VS Code asks (the outline, then code lenses) while it sends a definition request every 20 ms, as a
// user navigating meanwhile; it reports when the outline, the code lenses and the diagnostics arrived after the edit,
// and the longest a definition waited.
//
//   npx tsc -b server && npx tsx scripts/bench-whole-edit.ts [--services 20000] [--format save|list] [--runs 2] [--server-out DIR]
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { ensureDump } from './bench/dumps';
import { listenAsEditor, SERVER_OUT } from './bench/lspSession';
import type { BenchFormat } from './bench/dumps';

const USAGE = 'usage: bench-whole-edit.ts [--services 20000] [--format save|list] [--runs 2] [--server-out DIR]';

interface Timings {
  outline: number;
  codeLenses: number;
  diagnostics: number;
  definitions: number;
  worstDefinition: number;
}

async function measure(serverOut: string, file: string): Promise<Timings[]> {
  const child = spawn(process.execPath, [path.join(serverOut, 'server.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const uri = 'file:///bench-whole-edit';
  const diagnosed = listenAsEditor(connection, uri);
  try {
    await connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: { window: { workDoneProgress: true } } });
    await connection.sendNotification('initialized', {});
    const text = fs.readFileSync(file, 'utf8');
    const lines = text.split('\n');
    await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'iptables', version: 1, text } });
    await diagnosed(1); // published once the analysis is done
    // The declaration to type in: the middle endpoint chain's.
    const declarations = lines.flatMap((line, index) => (/^(:|Chain )KUBE-SEP-/.test(line) ? [index] : []));
    const declaration = declarations[Math.floor(declarations.length / 2)];
    const end = (lines[declaration].startsWith(':') ? 0 : 'Chain '.length) + lines[declaration].slice(lines[declaration].indexOf('KUBE-SEP-')).split(/\s/)[0].length + 1;
    // A definition to ask meanwhile: the first jump to KUBE-MARK-MASQ (it needs the model, not the kube analysis).
    const jumpLine = lines.findIndex((line) => line.includes('KUBE-MARK-MASQ') && !line.startsWith(':') && !line.startsWith('Chain'));
    const jumpCharacter = lines[jumpLine].indexOf('KUBE-MARK-MASQ') + 2;
    const results: Timings[] = [];
    let version = 1;
    for (const change of [
      { range: { start: { line: declaration, character: end }, end: { line: declaration, character: end } }, text: 'X' },
      { range: { start: { line: declaration, character: end }, end: { line: declaration, character: end + 1 } }, text: '' },
    ]) {
      version++;
      const edited = performance.now();
      await connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [change] });
      let done = false;
      let worst = 0;
      let definitions = 0;
      const navigating = (async (): Promise<void> => {
        while (!done) {
          const sent = performance.now();
          await connection.sendRequest('textDocument/definition', { textDocument: { uri }, position: { line: jumpLine, character: jumpCharacter } });
          worst = Math.max(worst, performance.now() - sent);
          definitions++;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      const since = (): number => performance.now() - edited;
      const outline = connection.sendRequest('textDocument/documentSymbol', { textDocument: { uri } }).then(since);
      const codeLenses = connection.sendRequest('textDocument/codeLens', { textDocument: { uri } }).then(since);
      const diagnostics = diagnosed(version).then(since);
      const timings = { outline: await outline, codeLenses: await codeLenses, diagnostics: await diagnostics };
      done = true;
      await navigating;
      results.push({ ...timings, definitions, worstDefinition: worst });
    }
    return results;
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
  const servers: string[] = [];
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
    } else if (argv[i] === '--server-out') {
      servers.push(path.resolve(value));
    } else {
      throw new Error(USAGE);
    }
  }
  const file = ensureDump(services, format, (line) => void process.stderr.write(line + '\n'));
  console.log(`${path.relative(process.cwd(), file)}: a character typed in a KUBE-SEP declaration, then deleted; ms after each edit`);
  console.log('| server | edit | outline | code lenses | diagnostics | definitions meanwhile | longest definition wait |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (let run = 0; run < runs; run++) {
    for (const serverOut of servers.length > 0 ? servers : [SERVER_OUT]) {
      const [typed, deleted] = await measure(serverOut, file);
      for (const [edit, t] of [['typed', typed], ['deleted', deleted]] as const) {
        console.log(
          `| ${path.relative(process.cwd(), serverOut)} | ${edit} | ${t.outline.toFixed(0)} | ${t.codeLenses.toFixed(0)} | ${t.diagnostics.toFixed(0)} | ${t.definitions} | ${t.worstDefinition.toFixed(0)} |`,
        );
      }
    }
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
