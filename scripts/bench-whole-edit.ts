// What the user of a large dump waits for after edits that chains or the analysis of the whole dump follow, in the
// built server over stdio. Four edits, each typed and then deleted again:
//   - declaration: a character typed in a chain's declaration (`:KUBE-SEP-…` in save output, `Chain KUBE-SEP-…` in
//     `-L` output): the model follows it in place (parse/redeclare.ts), the analysis too (kube/incremental.ts; whole
//     before 2026-11-27);
//   - chain name (save output only): a character typed in the chain name of an endpoint chain's rule (`-A KUBE-SEP-…`),
//     which makes it the rule of a chain no line declares: the model follows it in place, the analysis too (whole
//     before 2026-11-27);
//   - comment: a character typed in the service port name of a health check node port rule's comment (KUBE-NODEPORTS):
//     the model follows the edit in place, and the rule now names another service port, a port without chains of its
//     own: the analysis follows it (whole before 2026-11-27);
//   - early: a character typed at the end of an endpoint chain's rule as soon as the outline of the dump just opened
//     has come, while the analysis after opening runs: the model follows it in place, and the analysis of the edited
//     version starts again.
// After each edit the client asks what VS Code asks (the outline, then code lenses) while it sends a definition request
// every 20 ms, as a user navigating meanwhile; it reports when the outline, the code lenses and the diagnostics arrived
// after the edit, and the longest a definition waited. (What waits after opening: scripts/bench-open.ts.)
//
//   npx tsc -b server && npx tsx scripts/bench-whole-edit.ts [--services 20000] [--format save|list] [--runs 2] [--server-out DIR …]
import * as path from 'node:path';
import { ensureDump, parseDumpBenchArgs } from './bench/dumps';
import { markMasqJump, navigate, openDumpInServer, SERVER_OUT } from './bench/lspSession';

const USAGE = 'usage: bench-whole-edit.ts [--services 20000] [--format save|list] [--runs 2] [--server-out DIR …]';

interface Timings {
  outline: number;
  codeLenses: number;
  diagnostics: number;
  definitions: number;
  worstDefinition: number;
}

const EDITS = ['declaration', 'chain name', 'comment', 'early'] as const;
type Edit = (typeof EDITS)[number];

async function measure(serverOut: string, file: string, edit: Edit): Promise<Timings[]> {
  const server = await openDumpInServer(serverOut, file, 'file:///bench-whole-edit');
  const { connection, uri, lines, diagnosed } = server;
  try {
    if (edit === 'early') {
      await connection.sendRequest('textDocument/documentSymbol', { textDocument: { uri } });
    } else {
      await diagnosed(1); // published once the analysis is done
    }
    // Where to type: the middle endpoint chain's declaration, after its name; the first health check rule's comment,
    // after the service port's name; the end of the middle endpoint chain's first rule.
    let line: number;
    let character: number;
    if (edit === 'early') {
      const chains = lines.flatMap((text, index) => (/^(:|Chain )KUBE-SEP-/.test(text) ? [index] : []));
      const name = /KUBE-SEP-\w+/.exec(lines[chains[Math.floor(chains.length / 2)]])![0];
      const header = lines.findIndex((text) => text.startsWith(`Chain ${name} `));
      line = header >= 0 ? header + 2 : lines.findIndex((text) => text.startsWith(`-A ${name} `));
      character = lines[line].length;
    } else if (edit === 'chain name') {
      const chains = lines.flatMap((text, index) => (text.startsWith(':KUBE-SEP-') ? [index] : []));
      const name = /KUBE-SEP-\w+/.exec(lines[chains[Math.floor(chains.length / 2)]])![0];
      line = lines.findIndex((text) => text.startsWith(`-A ${name} `));
      character = '-A '.length + name.length;
    } else if (edit === 'declaration') {
      const declarations = lines.flatMap((text, index) => (/^(:|Chain )KUBE-SEP-/.test(text) ? [index] : []));
      line = declarations[Math.floor(declarations.length / 2)];
      character = lines[line].indexOf('KUBE-SEP-') + /KUBE-SEP-\w+/.exec(lines[line])![0].length;
    } else {
      line = lines.findIndex((text) => text.includes('health check node port'));
      character = lines[line].indexOf(' health check node port');
    }
    const jump = markMasqJump(lines);
    const results: Timings[] = [];
    let version = 1;
    for (const change of [
      { range: { start: { line, character }, end: { line, character } }, text: 'x' },
      { range: { start: { line, character }, end: { line, character: character + 1 } }, text: '' },
    ]) {
      version++;
      const edited = performance.now();
      await connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [change] });
      const navigating = navigate(connection, uri, jump);
      const since = (): number => performance.now() - edited;
      const outline = connection.sendRequest('textDocument/documentSymbol', { textDocument: { uri } }).then(since);
      const codeLenses = connection.sendRequest('textDocument/codeLens', { textDocument: { uri } }).then(since);
      const diagnostics = diagnosed(version).then(since);
      const timings = { outline: await outline, codeLenses: await codeLenses, diagnostics: await diagnostics };
      const { answered, longestMs } = await navigating.stop();
      results.push({ ...timings, definitions: answered, worstDefinition: longestMs });
    }
    return results;
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const { services, format, runs, serverOuts } = parseDumpBenchArgs(process.argv.slice(2), USAGE);
  const servers = serverOuts.length > 0 ? serverOuts : [SERVER_OUT];
  const file = ensureDump(services, format, (line) => void process.stderr.write(line + '\n'));
  console.log(`${path.relative(process.cwd(), file)}: a character typed (then deleted) in a KUBE-SEP declaration, a KUBE-SEP rule's chain name, a KUBE-NODEPORTS comment, a KUBE-SEP rule while the analysis after opening runs; ms after each edit`);
  console.log('| server | edit | outline | code lenses | diagnostics | definitions meanwhile | longest definition wait |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (let run = 0; run < runs; run++) {
    for (const edit of format === 'save' ? EDITS : EDITS.filter((edit) => edit !== 'chain name')) {
      for (const serverOut of servers) {
        const [typed, deleted] = await measure(serverOut, file, edit);
        for (const [what, t] of [['typed', typed], ['deleted', deleted]] as const) {
          console.log(
            `| ${path.relative(process.cwd(), serverOut)} | ${edit}, ${what} | ${t.outline.toFixed(0)} | ${t.codeLenses.toFixed(0)} | ${t.diagnostics.toFixed(0)} | ${t.definitions} | ${t.worstDefinition.toFixed(0)} |`,
          );
        }
      }
    }
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
