import { strict as assert } from 'node:assert';
import { pathToFileURL } from 'node:url';
import type { DocumentSymbol, Hover, Location } from 'vscode-languageserver-types';
import { corpusPath, readCorpus } from '../support/corpus';
import { TestLspClient } from '../support/lspClient';
import { fetchServicePorts } from '../../client/src/cluster/servicePages';
import type { ServicesPage } from '../../client/src/cluster/servicePages';
import type { DumpServicePort } from '../../server/src/kube/types';

/** The 0-based position of the first occurrence of `needle` on the first line that contains `lineMarker`. */
function positionOf(text: string, lineMarker: string, needle: string, offset = 1): { line: number; character: number } {
  const lines = text.split('\n');
  const line = lines.findIndex((l) => l.includes(lineMarker));
  assert.ok(line >= 0, `no line contains ${lineMarker}`);
  return { line, character: lines[line].indexOf(needle) + offset };
}

describe('language server over stdio', function () {
  this.timeout(30000);
  let client: TestLspClient;
  const seedFile = 'seed-calico-nat-L-n-v.txt';
  const saveFile = 'kube-proxy-TestOverallIPTablesRules.real-iptables-save';
  const seedUri = pathToFileURL(corpusPath(seedFile)).href;
  const saveUri = pathToFileURL(corpusPath(saveFile)).href;
  const seed = readCorpus(seedFile);
  const save = readCorpus(saveFile);

  before(async () => {
    client = await TestLspClient.start();
    await client.open(seedUri, seed);
    await client.open(saveUri, save);
  });
  after(async () => client?.stop());

  it('answers initialize with the features it has', async () => {
    const other = await TestLspClient.start();
    try {
      const result = await other.request<{ capabilities: Record<string, unknown> }>('initialize', { processId: null, rootUri: null, capabilities: {} });
      for (const capability of ['documentSymbolProvider', 'definitionProvider', 'referencesProvider', 'hoverProvider', 'foldingRangeProvider']) {
        assert.ok(result.capabilities[capability], capability);
      }
    } finally {
      await other.stop();
    }
  });

  it("folds tables and chains, within the client's rangeLimit", async () => {
    type Folding = { startLine: number; endLine: number }[];
    const all = await client.request<Folding>('textDocument/foldingRange', { textDocument: { uri: saveUri } });
    const lines = save.split('\n');
    const tables = lines.flatMap((l, i) => (l.startsWith('*') ? [i] : []));
    assert.deepEqual(all.slice(0, tables.length).map((r) => r.startLine), tables);
    assert.ok(all.length > 10, `${all.length} ranges`);
    // VS Code's client sends editor.foldingMaximumRegions as rangeLimit: the first ranges, tables first.
    const limited = await TestLspClient.start(undefined, { textDocument: { foldingRange: { rangeLimit: 5 } } });
    try {
      await limited.open(saveUri, save);
      const five = await limited.request<Folding>('textDocument/foldingRange', { textDocument: { uri: saveUri } });
      assert.deepEqual(five, all.slice(0, 5));
    } finally {
      await limited.stop();
    }
  });

  it('outlines tables and chains', async () => {
    const symbols = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri: saveUri } });
    assert.deepEqual(symbols.map((s) => s.name), ['filter', 'nat']);
    const nat = symbols[1].children!.map((c) => c.name);
    assert.ok(nat.includes('KUBE-SVC-XPGD46QRK7WJZT7O'));
    assert.equal(nat.length, save.split('*nat')[1].split('\n').filter((l) => l.startsWith(':')).length);
  });

  it('goes from a jump target to the chain declaration (-L and save)', async () => {
    const fromList = positionOf(seed, 'KUBE-SVC-BEPXDJBUHFCSYIC3  tcp', 'KUBE-SVC-BEPXDJBUHFCSYIC3');
    const listTarget = await client.request<Location>('textDocument/definition', { textDocument: { uri: seedUri }, position: fromList });
    assert.equal(listTarget.range.start.line, seed.split('\n').indexOf('Chain KUBE-SVC-BEPXDJBUHFCSYIC3 (1 references)'));
    const fromSave = positionOf(save, '-A KUBE-SERVICES -d 172.30.0.41/32', 'KUBE-SVC-XPGD46QRK7WJZT7O');
    const saveTarget = await client.request<Location>('textDocument/definition', { textDocument: { uri: saveUri }, position: fromSave });
    const declLine = save.split('\n').indexOf(':KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]');
    assert.deepEqual(saveTarget.range, { start: { line: declLine, character: 1 }, end: { line: declLine, character: 26 } });
  });

  it('finds the rules that jump to a chain', async () => {
    const position = positionOf(seed, 'Chain KUBE-MARK-MASQ', 'KUBE-MARK-MASQ');
    const refs = await client.request<Location[]>('textDocument/references', { textDocument: { uri: seedUri }, position, context: { includeDeclaration: false } });
    const expected = seed.split('\n').filter((l) => /^\s+\d+\s+\S+\s+KUBE-MARK-MASQ\s/.test(l)).length;
    assert.equal(refs.length, expected);
    assert.ok(expected > 10);
  });

  it('explains a chain on hover', async () => {
    const position = positionOf(seed, 'Chain KUBE-SVC-BEPXDJBUHFCSYIC3', 'KUBE-SVC-BEPXDJBUHFCSYIC3');
    const result = await client.request<Hover>('textDocument/hover', { textDocument: { uri: seedUri }, position });
    const text = (result.contents as { value: string }).value;
    assert.match(text, /KUBE-SVC-BEPXDJBUHFCSYIC3/);
    assert.match(text, /table `nat`/);
    assert.match(text, /2 rules/);
    assert.match(text, /KUBE-SERVICES/);
  });

  it('publishes diagnostics, and new ones after an edit', async () => {
    const uri = 'untitled:broken.iptables';
    await client.open(uri, '*nat\n:A - [0:0]\n-A A -j NOWHERE-CHAIN\nCOMMIT\n');
    const first = await client.waitForDiagnostics(uri, (p) => p.diagnostics.length > 0);
    // In the order of their lines.
    assert.deepEqual(first.diagnostics.map((d) => [d.range.start.line, d.code]), [
      [1, 'unreferenced-chain'],
      [2, 'undefined-chain'],
    ]);
    await client.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: 2, character: 8 }, end: { line: 2, character: 21 } }, text: 'ACCEPT' }],
    });
    const second = await client.waitForDiagnostics(uri, (p) => p.version === 2);
    assert.deepEqual(second.diagnostics.map((d) => d.code), ['unreferenced-chain']);
  });

  it('answers nothing, not an error, where there is nothing', async () => {
    const none = await client.request<Location | null>('textDocument/definition', { textDocument: { uri: seedUri }, position: { line: 0, character: 0 } });
    assert.equal(none, null);
    const unknownDoc = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri: 'file:///not/open' } });
    assert.deepEqual(unknownDoc, []);
  });
});

describe('kube-proxy features over stdio', function () {
  this.timeout(30000);
  let client: TestLspClient;
  const seedUri = pathToFileURL(corpusPath('seed-calico-nat-L-n-v.txt')).href;
  const seed = readCorpus('seed-calico-nat-L-n-v.txt');
  const lines = seed.split('\n');
  // kube-proxy's own test dump: service ports in save format, for the pages of the services answer.
  const saveUri = pathToFileURL(corpusPath('kube-proxy-TestOverallIPTablesRules.real-iptables-save')).href;
  const save = readCorpus('kube-proxy-TestOverallIPTablesRules.real-iptables-save');

  before(async () => {
    client = await TestLspClient.start();
    await client.open(seedUri, seed);
  });
  after(async () => client?.stop());

  it('answers "where does traffic to 10.100.200.79:80 go?" with one hover and one jump', async () => {
    const position = positionOf(seed, 'KUBE-SVC-BEPXDJBUHFCSYIC3  tcp', '10.100.200.79');
    const result = await client.request<Hover>('textDocument/hover', { textDocument: { uri: seedUri }, position });
    const text = (result.contents as { value: string }).value;
    assert.match(text, /default\/my-nginx/);
    assert.match(text, /10\.200\.165\.70:80/);
    assert.match(text, /10\.200\.165\.71:80/);
    assert.match(text, /50%/);
    const targets = await client.request<Location[]>('textDocument/implementation', { textDocument: { uri: seedUri }, position });
    const dnatLines = lines.flatMap((l, i) => (/DNAT .* to:10\.200\.165\.7[01]:80/.test(l) ? [i] : []));
    assert.deepEqual(targets.map((t) => t.range.start.line).sort((a, b) => a - b), dnatLines);
  });

  it('puts a code lens on each service chain, resolved into a peek at its endpoints', async () => {
    type Lens = { range: { start: { line: number } }; data?: unknown; command?: { title: string; command: string; arguments: unknown[] } };
    const lenses = await client.request<Lens[]>('textDocument/codeLens', { textDocument: { uri: seedUri } });
    const serviceChains = lines.filter((l) => /^Chain KUBE-SVC-/.test(l)).length;
    assert.equal(lenses.length, serviceChains);
    assert.ok(lenses.every((l) => l.command === undefined), 'titles and locations wait for codeLens/resolve');
    const unresolved = lenses.find((l) => l.range.start.line === lines.indexOf('Chain KUBE-SVC-BEPXDJBUHFCSYIC3 (1 references)'));
    assert.ok(unresolved, 'no lens on KUBE-SVC-BEPXDJBUHFCSYIC3');
    const nginx = await client.request<Lens>('codeLens/resolve', unresolved);
    assert.deepEqual(nginx.range, unresolved.range);
    assert.equal(nginx.command?.title, 'default/my-nginx:80/tcp → 2 endpoints');
    assert.equal(nginx.command.command, 'iptablesLens.peekLocations');
    assert.equal((nginx.command.arguments[2] as unknown[]).length, 2);
  });

  it('answers iptablesLens/services with endpoints and shares', async () => {
    const { services } = await client.request<{ services: { label: string; clusterIPs: string[]; endpoints: { address: string; share: number }[] }[] }>('iptablesLens/services', { uri: seedUri });
    const nginx = services.find((s) => s.label === 'default/my-nginx:80/tcp')!;
    assert.deepEqual(nginx.clusterIPs, ['10.100.200.79']);
    assert.deepEqual(nginx.endpoints.map((e) => [e.address, e.share]), [
      ['10.200.165.70:80', 0.5],
      ['10.200.165.71:80', 0.5],
    ]);
    for (const service of services.filter((s) => s.endpoints.length > 0)) {
      assert.ok(Math.abs(service.endpoints.reduce((sum, e) => sum + e.share, 0) - 1) < 1e-9, service.label);
    }
  });

  it('answers iptablesLens/services in pages that add up to the whole answer, and ignores pages that are not', async () => {
    type Answer = { services: { label: string }[]; total: number; version: number };
    const uri = `${saveUri}#pages`;
    await client.open(uri, save, 7);
    const whole = await client.request<Answer>('iptablesLens/services', { uri });
    assert.ok(whole.services.length >= 5, `${whole.services.length} service ports`);
    assert.equal(whole.total, whole.services.length);
    assert.equal(whole.version, 7);
    const labels = whole.services.map((s) => s.label);
    const page = await client.request<Answer>('iptablesLens/services', { uri, offset: 2, limit: 2 });
    assert.deepEqual(page.services.map((s) => s.label), labels.slice(2, 4));
    assert.equal(page.total, labels.length);
    const beyond = await client.request<Answer>('iptablesLens/services', { uri, offset: labels.length + 5, limit: 2 });
    assert.deepEqual(beyond.services, []);
    // Each of offset and limit is ignored when it is not a whole number ≥ 0.
    const ignoredCases: [Record<string, unknown>, string[]][] = [
      [{ offset: -1 }, labels],
      [{ offset: 1.5, limit: 2 }, labels.slice(0, 2)],
      [{ offset: '2', limit: 'all' }, labels],
      [{ offset: 3, limit: null }, labels.slice(3)],
    ];
    for (const [params, expected] of ignoredCases) {
      const ignored = await client.request<Answer>('iptablesLens/services', { uri, ...params });
      assert.deepEqual(ignored.services.map((s) => s.label), expected, JSON.stringify(params));
    }
    // What the VS Code client does: page after page.
    const paged = await fetchServicePorts((params) => client.request<ServicesPage>('iptablesLens/services', params), uri, 2);
    assert.deepEqual(paged.map((s) => s.label), labels);
  });

  it('reads the pages again when the document changes between two of them', async () => {
    const uri = `${saveUri}#edited`;
    await client.open(uri, save, 1);
    const lines = save.split('\n');
    const dnat = lines.findIndex((l) => /^-A KUBE-SEP-\S+ .*-j DNAT/.test(l));
    let version = 1;
    const sent: { offset: number; version?: number }[] = [];
    const ports = await fetchServicePorts(
      async (params) => {
        const page = await client.request<ServicesPage>('iptablesLens/services', params);
        sent.push({ offset: params.offset, version: page.version });
        if (sent.length === 1) {
          // An edit arrives after the first page: a comment typed above an endpoint's DNAT rule.
          await client.connection.sendNotification('textDocument/didChange', {
            textDocument: { uri, version: ++version },
            contentChanges: [{ range: { start: { line: dnat, character: 0 }, end: { line: dnat, character: 0 } }, text: '# a note\n' }],
          });
        }
        return page;
      },
      uri,
      2,
    );
    assert.deepEqual(sent[0], { offset: 0, version: 1 });
    assert.deepEqual(sent[1], { offset: 2, version: 2 }, 'the second page is of the edited document');
    assert.equal(sent[2].offset, 0, 'read again from the start');
    assert.ok(sent.slice(2).every((p) => p.version === 2));
    const whole = await client.request<{ services: DumpServicePort[] }>('iptablesLens/services', { uri });
    assert.deepEqual(ports, whole.services);
  });

  it('names services in the outline', async () => {
    const symbols = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri: seedUri } });
    const chain = symbols[0].children!.find((c) => c.name === 'KUBE-SVC-BEPXDJBUHFCSYIC3')!;
    assert.match(chain.detail ?? '', /^default\/my-nginx:80\/tcp/);
  });
});
