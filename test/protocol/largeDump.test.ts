// Dumps too large for the editor to sync: the server reads them from disk on `iptablesLens/openLargeDump`
// and answers the usual requests for their file URI.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Diagnostic, DocumentSymbol, Location, Position } from 'vscode-languageserver-types';
import { chainKind, isServiceChainKind } from '../../server/src/kube/chainKinds';
import { corpusPath, readCorpus } from '../support/corpus';
import { generateKubeDump, renderSave } from '../support/generateKubeDump';
import { TestLspClient } from '../support/lspClient';

interface LargeDumpSummary {
  uri: string;
  bytes: number;
  lines: number;
  tables: { name: string; format: string; chains: number; rules: number }[];
  diagnostics: number;
}

describe('large dumps read from disk', function () {
  this.timeout(30000);
  let client: TestLspClient;
  const file = 'kube-proxy-TestOverallIPTablesRules.real-iptables-save';
  const text = readCorpus(file);

  before(async () => {
    client = await TestLspClient.start();
  });
  after(async () => client?.stop());

  it('reads the file, summarises it and serves outline and definition for its URI', async () => {
    const summary = await client.request<LargeDumpSummary>('iptablesLens/openLargeDump', { path: corpusPath(file) });
    assert.equal(summary.uri, pathToFileURL(corpusPath(file)).href);
    assert.equal(summary.lines, text.split('\n').length);
    assert.equal(summary.bytes, Buffer.byteLength(text));
    assert.deepEqual(summary.tables.map((t) => t.name), ['filter', 'nat']);
    const nat = summary.tables[1];
    assert.equal(nat.rules, text.split('*nat')[1].split('\n').filter((l) => l.startsWith('-A ')).length);

    const symbols = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri: summary.uri } });
    assert.equal(symbols[1].children!.length, nat.chains);
    const lines = text.split('\n');
    const jump = lines.findIndex((l) => l.startsWith('-A KUBE-SERVICES') && l.includes('-j KUBE-SVC-'));
    const character = lines[jump].indexOf('KUBE-SVC-') + 2;
    const name = /KUBE-SVC-\w+/.exec(lines[jump])![0];
    const location = await client.request<Location>('textDocument/definition', { textDocument: { uri: summary.uri }, position: { line: jump, character } });
    assert.equal(location.uri, summary.uri);
    assert.equal(location.range.start.line, lines.indexOf(`:${name} - [0:0]`));
    await client.waitForDiagnostics(summary.uri);

    assert.equal(await client.request('iptablesLens/closeLargeDump', { uri: summary.uri }), null);
    assert.deepEqual(await client.request('textDocument/documentSymbol', { textDocument: { uri: summary.uri } }), []);
  });

  it('analyses a large file in slices once it is read, answering navigation meanwhile', async () => {
    const big = renderSave(generateKubeDump({ services: 5000, maxEndpoints: 10, seed: 7 }));
    const dir = mkdtempSync(path.join(tmpdir(), 'iptables-lens-'));
    const bigFile = path.join(dir, 'kube-5000.iptables-save');
    writeFileSync(bigFile, big);
    const progressClient = await TestLspClient.start(undefined, { window: { workDoneProgress: true } });
    try {
      const summary = await progressClient.request<LargeDumpSummary>('iptablesLens/openLargeDump', { path: bigFile });
      const lines = big.split('\n');
      const jump = lines.findIndex((l) => l.startsWith('-A KUBE-SERVICES') && l.includes('-j KUBE-SVC-'));
      const position = { line: jump, character: lines[jump].indexOf('-j KUBE-SVC-') + 5 };
      const order: string[] = [];
      const [lenses, location] = await Promise.all([
        progressClient.request<unknown[]>('textDocument/codeLens', { textDocument: { uri: summary.uri } }).then((answer) => (order.push('code lenses'), answer)),
        progressClient.request<Location>('textDocument/definition', { textDocument: { uri: summary.uri }, position }).then((answer) => (order.push('definition'), answer)),
      ]);
      // The code lenses wait for the analysis in slices; the definition is answered from the model meanwhile.
      assert.deepEqual(order, ['definition', 'code lenses']);
      assert.ok(lenses.length > 0);
      assert.equal(location.range.start.line, lines.indexOf(`:${/KUBE-SVC-\w+/.exec(lines[jump])![0]} - [0:0]`));
      const analysing = progressClient.progress.filter((p) => p.value.message === 'analysing kube-proxy rules');
      assert.ok(analysing.length >= 3, `${analysing.length} analysis reports`);
      await progressClient.waitForDiagnostics(summary.uri, () => true, 100000);
    } finally {
      await progressClient.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers a missing file with an error that names it', async () => {
    await assert.rejects(client.request('iptablesLens/openLargeDump', { path: '/nonexistent/dump.txt' }), /Cannot read \/nonexistent\/dump.txt/);
  });
});

describe('large documents opened in the editor', function () {
  this.timeout(60000);
  // 120,000 rules: above the size the server parses in slices after didOpen.
  const rules = 120_000;
  const text = ['*filter', ':INPUT ACCEPT [0:0]', ':KUBE-BIG - [0:0]', '-A INPUT -j KUBE-BIG', ...Array.from({ length: rules }, (_, i) => `-A KUBE-BIG -s 10.0.${i >> 8 & 255}.${i & 255}/32 -j ACCEPT`), 'COMMIT', ''].join('\n');

  it('parses in slices with progress, then publishes diagnostics and answers', async () => {
    const client = await TestLspClient.start(undefined, { window: { workDoneProgress: true } });
    try {
      const uri = 'file:///big.iptables-save';
      await client.open(uri, text);
      await client.waitForDiagnostics(uri, () => true, 50000);
      const kinds = client.progress.map((p) => p.value.kind);
      assert.equal(kinds[0], 'begin');
      assert.ok(kinds.includes('report'), kinds.join(' '));
      assert.equal(kinds[kinds.length - 1], 'end');
      const symbols = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
      assert.equal(symbols[0].children!.find((c) => c.name === 'KUBE-BIG')!.detail, `1 reference · ${rules} rules`);
    } finally {
      await client.stop();
    }
  });

  it('answers a request that comes before the sliced parse ends', async () => {
    const client = await TestLspClient.start();
    try {
      const uri = 'file:///big2.iptables-save';
      await client.open(uri, text);
      const location = await client.request<Location>('textDocument/definition', { textDocument: { uri }, position: { line: 3, character: 15 } });
      assert.deepEqual(location.range, { start: { line: 2, character: 1 }, end: { line: 2, character: 9 } });
    } finally {
      await client.stop();
    }
  });

  it('follows an LF typed after a bare CR of a large document (one line end, not two)', async () => {
    const client = await TestLspClient.start();
    try {
      const uri = 'file:///big-cr.iptables-save';
      await client.open(uri, text.replace(/\n/g, '\r'));
      await client.waitForDiagnostics(uri, () => true, 50000);
      // Just after the first line's CR: the editor now sees "*filter\r\n", still one line end.
      await client.connection.sendNotification('textDocument/didChange', {
        textDocument: { uri, version: 2 },
        contentChanges: [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: '\n' }],
      });
      const location = await client.request<Location>('textDocument/definition', { textDocument: { uri }, position: { line: 3, character: 15 } });
      assert.deepEqual(location?.range, { start: { line: 2, character: 1 }, end: { line: 2, character: 9 } });
    } finally {
      await client.stop();
    }
  });
});

describe('a large kube-proxy dump opened in the editor', function () {
  this.timeout(120000);
  // 5,000 services: about 130,000 lines, parsed in slices and then analysed in slices.
  const generated = generateKubeDump({ services: 5000, maxEndpoints: 10, seed: 7 });
  const text = renderSave(generated);

  it('analyses kube-proxy rules in slices under the same progress, then answers from the analysis', async () => {
    assert.ok(text.split('\n').length > 100_000);
    const client = await TestLspClient.start(undefined, { window: { workDoneProgress: true } });
    try {
      const uri = 'file:///kube-5000.iptables-save';
      await client.open(uri, text);
      await client.waitForDiagnostics(uri, () => true, 100000);
      const values = client.progress.map((p) => p.value);
      const analysing = values.filter((v) => v.message === 'analysing kube-proxy rules');
      assert.ok(analysing.length >= 3, `${analysing.length} analysis reports`);
      const percentages = analysing.map((v) => v.percentage ?? -1);
      assert.deepEqual([...percentages].sort((a, b) => a - b), percentages, 'the analysis only moves forward');
      assert.ok(percentages[percentages.length - 1] >= 90, percentages.join(' '));
      assert.equal(values[values.length - 1].kind, 'end');
      assert.ok(values.findIndex((v) => v.message === 'analysing kube-proxy rules') > values.findIndex((v) => v.kind === 'begin'));
      // Published as soon as the analysis has ended, not after the delay that lets typing settle (250 ms): a few
      // milliseconds here, for the 5,000 services' findings.
      const afterEnd = client.diagnosticsTimes.get(uri)! - client.progressTimes[client.progressTimes.length - 1];
      assert.ok(afterEnd >= 0 && afterEnd < 200, `diagnostics ${afterEnd.toFixed(0)} ms after the analysis ended`);

      const lines = text.split('\n');
      const jump = lines.findIndex((l) => l.startsWith('-A KUBE-SERVICES') && l.includes('-j KUBE-SVC-'));
      const service = /--comment "?([^" ]+)/.exec(lines[jump])![1];
      const hover = await client.request<{ contents: { value: string } }>('textDocument/hover', {
        textDocument: { uri },
        position: { line: jump, character: lines[jump].indexOf('KUBE-SVC-') + 3 },
      });
      assert.ok(hover.contents.value.includes(service.split(':')[0]), hover.contents.value.slice(0, 300));
    } finally {
      await client.stop();
    }
  });

  it('answers the outline before analysing, listing at most 5,000 chains: named chains, then services, then endpoints', async () => {
    const client = await TestLspClient.start(undefined, { window: { workDoneProgress: true } });
    try {
      const uri = 'file:///kube-5000-outline.iptables-save';
      await client.open(uri, text);
      const symbols = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
      const answeredAt = client.progress.length;
      await client.waitForDiagnostics(uri, () => true, 100000);
      // The analysis ran in slices after the outline was answered: the outline did not compute it.
      const analysing = (from: number, to: number): number =>
        client.progress.slice(from, to).filter((p) => p.value.message === 'analysing kube-proxy rules').length;
      assert.equal(analysing(0, answeredAt), 0);
      assert.ok(analysing(answeredAt, client.progress.length) >= 3, `${analysing(answeredAt, client.progress.length)} analysis reports after the outline`);

      const declared = text.split('\n').filter((l) => l.startsWith(':'));
      assert.ok(declared.length > 20_000, `${declared.length} chains`);
      const listed = symbols.flatMap((table) => table.children!.map((c) => c.name));
      assert.equal(listed.length, 5000);
      const tier = (name: string): number => (isServiceChainKind(chainKind(name)) ? 1 : chainKind(name) === 'endpoint' ? 2 : 0);
      const named = declared.map((l) => l.slice(1, l.indexOf(' '))).filter((name) => tier(name) === 0);
      assert.ok(named.length > 5, named.join(' '));
      assert.deepEqual(listed.filter((name) => tier(name) === 0).sort(), named.sort());
      assert.equal(listed.filter((name) => tier(name) === 2).length, 0, 'no endpoint chain while service chains are left out');
      const nat = symbols.find((table) => table.name === 'nat')!;
      const natChains = text.split('*nat\n')[1].split('\nCOMMIT')[0].split('\n').filter((l) => l.startsWith(':')).length;
      const count = (n: number): string => n.toLocaleString('en-US');
      assert.equal(nat.detail, `iptables-save · ${count(natChains)} chains · ${count(nat.children!.length)} in the outline (limit 5,000)`);

      // The service chains listed are named as the analysis names their services.
      const truth = generated.servicePorts.find((port) => port.chains.svc !== undefined && listed.includes(port.chains.svc))!;
      const chain = nat.children!.find((c) => c.name === truth.chains.svc)!;
      assert.ok(chain.detail!.startsWith(`${truth.portName}`), `${chain.name}: ${chain.detail}`);

      // No limit: every chain, and endpoint chains named by their pod and service.
      await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: { iptablesLens: { outline: { maxChains: 0 } } } });
      const all = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
      assert.equal(all.flatMap((table) => table.children!).length, declared.length);
      const endpoint = truth.endpoints[0];
      const sep = all.find((table) => table.name === 'nat')!.children!.find((c) => c.name === endpoint.chain)!;
      assert.ok(sep.detail!.startsWith(`${endpoint.address} ← ${truth.portName}`), `${sep.name}: ${sep.detail}`);
    } finally {
      await client.stop();
    }
  });

  it('ignores outline limits that are not a count, and settings without one', async () => {
    const client = await TestLspClient.start(undefined, {}, { outline: { maxChains: 'many' } });
    try {
      const uri = 'file:///kube-5000-bad-limit.iptables-save';
      await client.open(uri, text);
      const count = async (): Promise<number> =>
        (await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } })).flatMap((t) => t.children!).length;
      assert.equal(await count(), 5000, 'the default limit');
      for (const settings of [null, {}, { iptablesLens: null }, { iptablesLens: { outline: { maxChains: -3 } } }, { iptablesLens: { outline: { maxChains: 12 } } }]) {
        await client.connection.sendNotification('workspace/didChangeConfiguration', { settings });
      }
      assert.equal(await count(), 12, 'the last valid limit');
    } finally {
      await client.stop();
    }
  });

  it('takes the outline limit from the initialization options', async () => {
    const client = await TestLspClient.start(undefined, {}, { outline: { maxChains: 7 } });
    try {
      const uri = 'file:///kube-5000-seven.iptables-save';
      await client.open(uri, text);
      const symbols = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
      assert.equal(symbols.flatMap((table) => table.children!).length, 7);
      assert.match(symbols[0].detail!, / · \d+ in the outline \(limit 7\)$/);
    } finally {
      await client.stop();
    }
  });

  const dumpLines = text.split('\n');
  /** The first KUBE-SERVICES jump to a service chain, and a place on the name of the chain it jumps to. */
  const jump = dumpLines.findIndex((l) => l.startsWith('-A KUBE-SERVICES') && l.includes('-j KUBE-SVC-'));
  const onJumpTarget = { line: jump, character: dumpLines[jump].indexOf('-j KUBE-SVC-') + 5 };

  /** A server (reporting progress) that has answered the outline of the dump just opened as `uri`: its analysis runs. */
  async function outlined(uri: string): Promise<TestLspClient> {
    const client = await TestLspClient.start(undefined, { window: { workDoneProgress: true } });
    await client.open(uri, text);
    await client.request('textDocument/documentSymbol', { textDocument: { uri } });
    return client;
  }

  /** `answered(what, answer)`: `answer`, which pushes `what` on `order` when it comes (to check which came first). */
  function inOrder(order: string[]): <T>(what: string, answer: Promise<T>) => Promise<T> {
    return (what, answer) => answer.then((value) => (order.push(what), value));
  }

  /**
   * Types `typed` at `character` of line `line` in a fresh server that has analysed the dump (or, `whileAnalysing`,
   * as soon as it has answered the outline, while the analysis after opening runs), and checks that the analysis
   * runs again in slices with progress (the definition asked meanwhile is answered before the code lenses, which wait
   * for it), and that the lenses and diagnostics are those of the edited text opened fresh. Returns the diagnostics.
   */
  async function checkAnalysedAgainInSlices(uri: string, line: number, character: number, typed: string, whileAnalysing = false): Promise<Diagnostic[]> {
    const lines = dumpLines;
    const edited = [...lines];
    edited[line] = lines[line].slice(0, character) + typed + lines[line].slice(character);
    const client = await TestLspClient.start(undefined, { window: { workDoneProgress: true } });
    const fresh = await TestLspClient.start();
    try {
      await client.open(uri, text);
      if (whileAnalysing) {
        await client.request('textDocument/documentSymbol', { textDocument: { uri } });
      } else {
        await client.waitForDiagnostics(uri, (p) => p.version === 1, 100000);
      }
      const before = client.progress.length;
      await client.connection.sendNotification('textDocument/didChange', {
        textDocument: { uri, version: 2 },
        contentChanges: [{ range: { start: { line, character }, end: { line, character } }, text: typed }],
      });
      const order: string[] = [];
      const answered = inOrder(order);
      const [lenses, location] = await Promise.all([
        answered('code lenses', client.request<unknown[]>('textDocument/codeLens', { textDocument: { uri } })),
        answered('definition', client.request<Location>('textDocument/definition', { textDocument: { uri }, position: onJumpTarget })),
      ]);
      // The code lenses wait for the analysis (asked first, answered last); the definition is answered from the model.
      assert.deepEqual(order, ['definition', 'code lenses']);
      assert.equal(location.range.start.line, lines.indexOf(`:${/KUBE-SVC-\w+/.exec(lines[jump])![0]} - [0:0]`));
      // The edited version's analysis has a progress of its own (the one after opening begins with the parse).
      const begun = new Set(
        client.progress.slice(before).filter((p) => p.value.kind === 'begin' && p.value.message === 'analysing kube-proxy rules').map((p) => p.token),
      );
      assert.equal(begun.size, 1);
      const analysing = client.progress.filter((p) => begun.has(p.token) && p.value.message === 'analysing kube-proxy rules');
      assert.ok(analysing.length >= 3, `${analysing.length} analysis reports after the edit`);
      const published = await client.waitForDiagnostics(uri, (p) => p.version === 2, 100000);
      assert.equal(client.progress[client.progress.length - 1].value.kind, 'end');

      const freshUri = `${uri}-fresh`;
      await fresh.open(freshUri, edited.join('\n'));
      const expected = await fresh.waitForDiagnostics(freshUri, () => true, 100000);
      assert.deepEqual(published.diagnostics, expected.diagnostics);
      const freshLenses = await fresh.request<{ data: { uri: string } }[]>('textDocument/codeLens', { textDocument: { uri: freshUri } });
      assert.deepEqual(lenses, freshLenses.map((lens) => ({ ...lens, data: { ...lens.data, uri } })));
      return published.diagnostics;
    } finally {
      await Promise.all([client.stop(), fresh.stop()]);
    }
  }

  it("analyses again in slices, with progress, after a dispatch chain's declaration is retyped: navigation first", async () => {
    const lines = text.split('\n');
    // A character typed in KUBE-SERVICES' declaration: the model follows it in place (its rules now make the chain,
    // which no line declares), but what dispatches to the service ports may change: the analysis is whole.
    const declaration = lines.findIndex((l) => l.startsWith(':KUBE-SERVICES '));
    const name = lines[declaration].slice(1).split(' ')[0];
    const firstRule = lines.findIndex((l) => l.startsWith(`-A ${name} `));
    const diagnostics = await checkAnalysedAgainInSlices('file:///kube-5000-declaration.iptables-save', declaration, 1 + name.length, 'X');
    assert.ok(diagnostics.some((d) => d.code === 'undeclared-chain' && d.range.start.line === firstRule));
  });

  /**
   * Sends `change` to the 5k dump opened and analysed in a server, and checks that the analysis followed it without
   * analysing in slices, and that code lenses, diagnostics (as a set) and the services answer (in order) are those
   * of `edited` (the text after the change) opened fresh in another server. Returns the diagnostics and the services.
   */
  async function checkFollowedAtOnce(
    uri: string,
    change: { range: { start: Position; end: Position }; text: string },
    edited: string[],
  ): Promise<{ diagnostics: Diagnostic[]; services: { label: string }[] }> {
    const client = await TestLspClient.start(undefined, { window: { workDoneProgress: true } });
    const fresh = await TestLspClient.start();
    try {
      await client.open(uri, text);
      await client.waitForDiagnostics(uri, (p) => p.version === 1, 100000);
      const before = client.progress.length;
      await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [change] });
      const lenses = await client.request<unknown[]>('textDocument/codeLens', { textDocument: { uri } });
      const answer = await client.request<{ services: { label: string }[] }>('iptablesLens/services', { uri });
      const published = await client.waitForDiagnostics(uri, (p) => p.version === 2, 100000);
      assert.deepEqual(client.progress.slice(before), [], 'no analysis in slices after the edit');

      const freshUri = `${uri}-fresh`;
      await fresh.open(freshUri, edited.join('\n'));
      const expected = await fresh.waitForDiagnostics(freshUri, () => true, 100000);
      // The same findings (the update adds those of what it analysed again after the others; editors sort them).
      const findings = (diagnostics: Diagnostic[]): string[] => diagnostics.map((d) => JSON.stringify(d)).sort();
      assert.deepEqual(findings(published.diagnostics), findings(expected.diagnostics));
      const freshLenses = await fresh.request<{ data: { uri: string } }[]>('textDocument/codeLens', { textDocument: { uri: freshUri } });
      assert.deepEqual(lenses, freshLenses.map((lens) => ({ ...lens, data: { ...lens.data, uri } })));
      // The service ports, in the order of the edited text opened fresh.
      const freshAnswer = await fresh.request<{ services: { label: string }[] }>('iptablesLens/services', { uri: freshUri });
      assert.deepEqual(answer.services, freshAnswer.services);
      return { diagnostics: published.diagnostics, services: answer.services };
    } finally {
      await Promise.all([client.stop(), fresh.stop()]);
    }
  }

  for (const [what, prefix] of [
    ['an endpoint chain', ':KUBE-SEP-'],
    ['a service chain', ':KUBE-SVC-'],
  ] as const) {
    it(`updates the analysis at once after ${what}'s declaration is retyped: lenses and diagnostics as the text opened fresh`, async () => {
      // The chain declared under the new name has no rule (an endpoint chain without DNAT: a warning on its line; a
      // service chain: a service port of its own), the old one is made by its first rule (an error there), and what
      // jumps to either is analysed again: no analysis in slices.
      const declaration = dumpLines.findIndex((l) => l.startsWith(prefix));
      const name = dumpLines[declaration].slice(1).split(' ')[0];
      const edited = [...dumpLines];
      edited[declaration] = `:${name}X${dumpLines[declaration].slice(1 + name.length)}`;
      const at = { line: declaration, character: 1 + name.length };
      const { diagnostics, services } = await checkFollowedAtOnce(
        `file:///kube-5000-declaration-${prefix.slice(6, 9)}.iptables-save`,
        { range: { start: at, end: at }, text: 'X' },
        edited,
      );
      if (prefix === ':KUBE-SEP-') {
        assert.ok(diagnostics.some((d) => d.code === 'kube-endpoint-without-dnat' && d.range.start.line === declaration));
      }
      assert.ok(diagnostics.some((d) => d.code === 'undeclared-chain' && d.range.start.line === dumpLines.findIndex((l) => l.startsWith(`-A ${name} `))));
      // A service chain made is a port of its own.
      assert.equal(services.length, generated.servicePorts.length + (prefix === ':KUBE-SVC-' ? 1 : 0));
    });
  }

  it('updates the analysis at once after a service port is renamed in the comment of a health check rule', async () => {
    // The rule now names a service no port has: a port of its own, without chains; its former port loses its health
    // check node port.
    const line = dumpLines.findIndex((l) => l.startsWith('-A KUBE-NODEPORTS') && l.includes('health check node port'));
    const port = /--comment "([^ "]+)/.exec(dumpLines[line])![1];
    const at = { line, character: dumpLines[line].indexOf(port) + port.length };
    const edited = [...dumpLines];
    edited[line] = `${dumpLines[line].slice(0, at.character)}x${dumpLines[line].slice(at.character)}`;
    const { services } = await checkFollowedAtOnce('file:///kube-5000-comment.iptables-save', { range: { start: at, end: at }, text: 'x' }, edited);
    assert.equal(services.length, generated.servicePorts.length + 1);
  });

  it("updates the analysis at once after a port's \"has no endpoints\" rule is deleted", async () => {
    const line = dumpLines.findIndex((l) => l.startsWith('-A KUBE-SERVICES') && l.includes('has no endpoints'));
    const edited = dumpLines.filter((_, i) => i !== line);
    await checkFollowedAtOnce('file:///kube-5000-no-endpoints.iptables-save', { range: { start: { line, character: 0 }, end: { line: line + 1, character: 0 } }, text: '' }, edited);
  });

  it('analyses in slices after an edit it cannot follow when no request comes before the diagnostics are due', async () => {
    const uri = 'file:///kube-5000-quiet-edit.iptables-save';
    const client = await outlined(uri);
    try {
      await client.waitForDiagnostics(uri, (p) => p.version === 1, 100000);
      const before = client.progress.length;
      // A character typed in KUBE-SERVICES' declaration (the analysis is whole), then nothing asked: the diagnostics'
      // timer is the first to need the model.
      const line = dumpLines.findIndex((l) => l.startsWith(':KUBE-SERVICES '));
      const character = ':KUBE-SERVICES'.length;
      await client.connection.sendNotification('textDocument/didChange', {
        textDocument: { uri, version: 2 },
        contentChanges: [{ range: { start: { line, character }, end: { line, character } }, text: 'x' }],
      });
      await client.waitForDiagnostics(uri, (p) => p.version === 2, 100000);
      const analysing = client.progress.slice(before).filter((p) => p.value.message === 'analysing kube-proxy rules');
      assert.ok(analysing.length >= 3, `${analysing.length} analysis reports after the edit`);
    } finally {
      await client.stop();
    }
  });

  it('lets the analysis after opening go when a rule is edited meanwhile, and analyses the edited text in slices', async () => {
    const lines = text.split('\n');
    // A rule the model and an analysis follow in place; but the analysis after opening is not done yet, so the edit
    // does not wait for it: the edited version is analysed whole, in slices.
    const line = lines.findIndex((l, i) => i > lines.length / 2 && l.startsWith('-A KUBE-SEP-'));
    await checkAnalysedAgainInSlices('file:///kube-5000-early-edit.iptables-save', line, lines[line].length, ' ', true);
  });

  it('answers a hover on a service chain once the analysis in slices ends, and navigation meanwhile', async () => {
    const uri = 'file:///kube-5000-hover.iptables-save';
    const client = await outlined(uri);
    try {
      const service = /--comment "?([^" ]+)/.exec(dumpLines[jump])![1];
      const position = onJumpTarget;
      const order: string[] = [];
      const answered = inOrder(order);
      const [hover] = await Promise.all([
        answered('hover', client.request<{ contents: { value: string } }>('textDocument/hover', { textDocument: { uri }, position })),
        answered('definition', client.request<Location>('textDocument/definition', { textDocument: { uri }, position })),
      ]);
      // The hover was asked first; it waited for the analysis, which the definition did not need.
      assert.deepEqual(order, ['definition', 'hover']);
      assert.ok(hover.contents.value.includes(service.split(':')[0]), hover.contents.value.slice(0, 300));
      const analysing = client.progress.filter((p) => p.value.message === 'analysing kube-proxy rules');
      assert.ok(analysing.length >= 3, `${analysing.length} analysis reports`);
    } finally {
      await client.stop();
    }
  });

  it('analyses in slices when requests that need the analysis come with the outline, as an editor sends them on opening', async () => {
    // VS Code asks for the outline, code lenses and the Services view's answer at once: the outline finishes the
    // parse, and the analysis must then run in slices, not in the first of the others to come (seconds at 20,000
    // services, with the outline's answer itself held back behind it).
    const uri = 'file:///kube-5000-all-at-once.iptables-save';
    const client = await TestLspClient.start(undefined, { window: { workDoneProgress: true } });
    try {
      await client.open(uri, text);
      const order: string[] = [];
      const answered = inOrder(order);
      const [outline, lenses, answer, location] = await Promise.all([
        answered('outline', client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } })),
        answered('code lenses', client.request<unknown[]>('textDocument/codeLens', { textDocument: { uri } })),
        answered('services', client.request<{ services: unknown[] }>('iptablesLens/services', { uri })),
        answered('definition', client.request<Location>('textDocument/definition', { textDocument: { uri }, position: onJumpTarget })),
      ]);
      assert.deepEqual(order.slice(0, 2), ['outline', 'definition']);
      assert.equal(outline.flatMap((table) => table.children!).length, 5000);
      assert.ok(lenses.length > 0);
      assert.equal(answer.services.length, generated.servicePorts.length);
      assert.equal(location.range.start.line, dumpLines.indexOf(`:${/KUBE-SVC-\w+/.exec(dumpLines[jump])![0]} - [0:0]`));
      const analysing = client.progress.filter((p) => p.value.message === 'analysing kube-proxy rules');
      assert.ok(analysing.length >= 3, `${analysing.length} analysis reports`);
      await client.waitForDiagnostics(uri, () => true, 100000);
    } finally {
      await client.stop();
    }
  });

  it('resolves a code lens of the version before an edit once the edited version is analysed, and navigation meanwhile', async () => {
    const uri = 'file:///kube-5000-lens-resolve.iptables-save';
    const client = await outlined(uri);
    try {
      const lenses = await client.request<{ range: unknown; data: unknown }[]>('textDocument/codeLens', { textDocument: { uri } });
      await client.waitForDiagnostics(uri, (p) => p.version === 1, 100000);
      // A character typed in KUBE-SERVICES' declaration: the model follows it, the analysis is whole, in slices.
      const declaration = dumpLines.findIndex((l) => l.startsWith(':KUBE-SERVICES '));
      const character = dumpLines[declaration].indexOf(' ');
      await client.connection.sendNotification('textDocument/didChange', {
        textDocument: { uri, version: 2 },
        contentChanges: [{ range: { start: { line: declaration, character }, end: { line: declaration, character } }, text: 'X' }],
      });
      const order: string[] = [];
      const answered = inOrder(order);
      const [resolved] = await Promise.all([
        answered('lens', client.request<{ command?: { title: string } }>('codeLens/resolve', lenses[0])),
        answered('definition', client.request<Location>('textDocument/definition', { textDocument: { uri }, position: onJumpTarget })),
      ]);
      assert.deepEqual(order, ['definition', 'lens']);
      assert.match(resolved.command!.title, /endpoint/);
    } finally {
      await client.stop();
    }
  });

  it('answers the services request once its analysis in slices ends, and navigation meanwhile', async () => {
    const uri = 'file:///kube-5000-services.iptables-save';
    const client = await outlined(uri);
    try {
      const order: string[] = [];
      const answered = inOrder(order);
      const services = answered('services', client.request<{ services: unknown[] }>('iptablesLens/services', { uri }));
      const definition = answered('definition', client.request<Location>('textDocument/definition', { textDocument: { uri }, position: onJumpTarget }));
      const [answer, location] = await Promise.all([services, definition]);
      assert.deepEqual(order, ['definition', 'services']);
      assert.equal(answer.services.length, generated.servicePorts.length);
      assert.equal(location.range.start.line, dumpLines.indexOf(`:${/KUBE-SVC-\w+/.exec(dumpLines[jump])![0]} - [0:0]`));
    } finally {
      await client.stop();
    }
  });
});
