// Soak: the built server over stdio, under a bounded burst of incremental edits and requests (a fifth of them
// cancelled with $/cancelRequest) on a large generated kube-proxy dump. It must stay up, settle every request,
// publish diagnostics for the last version, every tenth version's diagnostics and outline must be those of its text
// opened anew, and after the document is closed its resident memory (read from
// /proc/PID/status, not asked of the server) must come back near where it was before the document was opened.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { generateKubeDump, renderSave } from '../support/generateKubeDump';
import { TestLspClient } from '../support/lspClient';
import { FUZZ_SEED } from '../support/fuzzInputs';
import { seededRandom } from '../support/random';

/** Resident set size of a process in MB, from the kernel's own account. */
function rssMb(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(match, `no VmRSS for ${pid}`);
  return Number(match[1]) / 1024;
}

const REQUESTS = [
  'textDocument/hover',
  'textDocument/definition',
  'textDocument/references',
  'textDocument/documentSymbol',
  'textDocument/foldingRange',
  'textDocument/implementation',
  'textDocument/codeLens',
  'workspace/symbol',
];
const EDITS = 40;
const REQUESTS_PER_EDIT = 4;

describe(`soak: the server over stdio under a burst of edits and requests (seed ${FUZZ_SEED})`, function () {
  this.timeout(240000);
  let client: TestLspClient | undefined;
  let preloadDir: string | undefined;
  after(async () => {
    if (client && client.process.exitCode === null) {
      await client.stop();
    }
    if (preloadDir !== undefined) {
      rmSync(preloadDir, { recursive: true, force: true });
    }
  });

  it('stays up, answers every request, and gives its memory back after the document is closed', async () => {
    const text = renderSave(generateKubeDump({ seed: 7, services: 1200, maxEndpoints: 4 }));
    assert.ok(text.length > 1_000_000, `a large dump (${text.length} chars)`);
    // The server runs unchanged, with one preload: SIGUSR2 runs a full garbage collection, so that the RSS read
    // after the close measures what the server still holds, not garbage V8 has not got round to collecting.
    preloadDir = mkdtempSync(path.join(tmpdir(), 'soak-'));
    const preload = path.join(preloadDir, 'gc-on-signal.js');
    writeFileSync(preload, "process.on('SIGUSR2', () => global.gc());\n");
    const savedOptions = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = `${savedOptions ?? ''} --expose-gc --require ${preload}`.trim();
    try {
      client = await TestLspClient.start();
    } finally {
      if (savedOptions === undefined) {
        delete process.env.NODE_OPTIONS;
      } else {
        process.env.NODE_OPTIONS = savedOptions;
      }
    }
    const pid = client.process.pid!;
    const uri = 'file:///soak/large.iptables';
    // The level before any document, after a full collection.
    await client.request('workspace/symbol', { query: 'x' });
    process.kill(pid, 'SIGUSR2');
    await client.request('workspace/symbol', { query: 'x' });
    const before = rssMb(pid);

    await client.open(uri, text, 1);
    await client.waitForDiagnostics(uri, (p) => p.version === 1, 60000);
    /**
     * The model the edits were followed into (in place or not) reads as a fresh one: the diagnostics of `version`
     * and the outline are those of its text opened anew.
     */
    const matchesFresh = async (version: number, current: string): Promise<void> => {
      const edited = await client!.waitForDiagnostics(uri, (p) => p.version === version, 60000);
      const fresh = `file:///soak/fresh-${version}.iptables`;
      await client!.open(fresh, current, 1);
      const opened = await client!.waitForDiagnostics(fresh, (p) => p.version === 1, 60000);
      const sorted = (p: { diagnostics: unknown[] }): string[] => p.diagnostics.map((d) => JSON.stringify(d)).sort();
      assert.deepEqual(sorted(edited), sorted(opened), `diagnostics of version ${version} and of its text opened anew`);
      const outline = (of: string): Promise<unknown> => client!.request('textDocument/documentSymbol', { textDocument: { uri: of } });
      assert.deepEqual(await outline(uri), await outline(fresh), `the outline of version ${version} and of its text opened anew`);
      await client!.connection.sendNotification('textDocument/didClose', { textDocument: { uri: fresh } });
      await client!.waitForDiagnostics(fresh, (p) => p.diagnostics.length === 0, 10000);
    };
    const random = seededRandom(FUZZ_SEED);
    let shadow = TextDocument.create(uri, 'iptables', 1, text);
    const pending: Promise<string>[] = [];
    let cancelled = 0;
    let peak = rssMb(pid);
    const started = performance.now();
    for (let version = 2; version <= EDITS + 1; version++) {
      const lineCount = shadow.lineCount;
      const line = Math.floor(random() * lineCount);
      const lineText = shadow.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).replace(/\r?\n$/, '');
      const character = Math.floor(random() * (lineText.length + 1));
      // Mostly edits inside a rule (the incremental path), sometimes a new line or a deleted one (a full parse).
      const choice = random();
      const change =
        choice < 0.92
          ? {
              range: { start: { line, character }, end: { line, character: Math.min(lineText.length, character + 3) } },
              text: ['X', '-', ' ', 'KUBE-MARK-MASQ', ''][Math.floor(random() * 5)],
            }
          : choice < 0.96
            ? { range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: '-A KUBE-SERVICES -j KUBE-MARK-MASQ\n' }
            : { range: { start: { line, character: 0 }, end: { line: Math.min(line + 1, lineCount - 1), character: 0 } }, text: '' };
      shadow = TextDocument.update(shadow, [change], version);
      await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [change] });
      for (let r = 0; r < REQUESTS_PER_EDIT; r++) {
        const method = REQUESTS[Math.floor(random() * REQUESTS.length)];
        const position = { line: Math.floor(random() * shadow.lineCount), character: Math.floor(random() * 60) };
        const params =
          method === 'workspace/symbol'
            ? { query: 'KUBE-SVC' }
            : { textDocument: { uri }, position, context: { includeDeclaration: true } };
        const source = new CancellationTokenSource();
        const settled = (client.connection.sendRequest(method, params, source.token) as Promise<unknown>).then(
          () => 'answered',
          (error: { code?: number; message?: string }) => {
            // A cancelled request may be answered with RequestCancelled; any other error is a failure.
            if (error.code === -32800) {
              return 'cancelled';
            }
            throw new Error(`${method} at ${JSON.stringify(position)} failed: ${error.message ?? String(error)}`);
          },
        );
        if (random() < 0.2) {
          source.cancel();
          cancelled++;
        }
        pending.push(settled);
      }
      if (version % 10 === 0) {
        await matchesFresh(version, shadow.getText());
      }
      if (version % 20 === 0) {
        // Keep the burst bounded: let the answers catch up every 20 edits, and sample memory.
        await Promise.all(pending.slice(-REQUESTS_PER_EDIT * 20));
        if (process.env.SOAK_LOG) {
          console.log(`      ${version} edits, ${(performance.now() - started).toFixed(0)} ms, RSS ${rssMb(pid).toFixed(0)} MB`);
        }
        peak = Math.max(peak, rssMb(pid));
      }
    }
    const outcomes = await Promise.all(pending);
    assert.equal(outcomes.length, EDITS * REQUESTS_PER_EDIT);
    assert.ok(cancelled > 0);
    assert.equal(client.process.exitCode, null, 'the server is still running');
    const last = await client.waitForDiagnostics(uri, (p) => p.version === EDITS + 1, 60000);
    assert.ok(last.diagnostics.length > 0 || shadow.getText().length > 0);
    // The server's text is the editor's: a fresh document of the shadow text has the same outline.
    const symbols = await client.request<{ name: string; children?: unknown[] }[]>('textDocument/documentSymbol', {
      textDocument: { uri },
    });
    assert.ok(symbols.length >= 2, 'filter and nat still outlined');
    peak = Math.max(peak, rssMb(pid));
    assert.ok(!client.stderr.join('').includes('Error while computing'), client.stderr.join(''));

    await client.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
    await client.waitForDiagnostics(uri, (p) => p.diagnostics.length === 0, 10000);
    // Collect, and poll with a deadline: the pages freed go back to the system over a few collections.
    const allowed = before + Math.max(32, 0.2 * (peak - before));
    const deadline = Date.now() + 30000;
    let now = rssMb(pid);
    while (now > allowed && Date.now() < deadline) {
      process.kill(pid, 'SIGUSR2');
      await client.request('workspace/symbol', { query: 'KUBE' });
      await new Promise<void>((resolve) => setTimeout(resolve, 500));
      now = rssMb(pid);
    }
    assert.ok(
      now <= allowed,
      `RSS ${now.toFixed(0)} MB after close; ${before.toFixed(0)} MB before open, peak ${peak.toFixed(0)} MB (allowed ${allowed.toFixed(0)} MB)`,
    );
    console.log(
      `      soak: ${EDITS} edits, ${outcomes.length} requests (${outcomes.filter((o) => o === 'cancelled').length} answered as cancelled, ${cancelled} cancel sent); RSS ${before.toFixed(0)} → peak ${peak.toFixed(0)} → ${now.toFixed(0)} MB`,
    );
  });
});
