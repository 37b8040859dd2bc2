// Edits of any kind, one after another, as a user makes them while reading a dump: characters typed and deleted
// anywhere (declarations, `-L` headers, comments, counters), words replaced, lines joined, split, deleted and
// pasted, several before the analysis is asked for again. After each, the model must equal a fresh parse of the
// text, and (when asked for) the kube-proxy analysis a fresh analysis, field by field and in the order of its service
// ports, whichever path the update took. The cases first are what such walks found, each reduced to a few lines.
import { strict as assert } from 'node:assert';
import { DumpDocument } from '../../../server/src/features/document';
import type { TextEdit } from '../../../server/src/features/document';
import { analyzeKube } from '../../../server/src/kube/analysis';
import { endpointChainName, serviceChainName } from '../../../server/src/kube/chainNames';
import { parseLines } from '../../../server/src/parse/index';
import { corpusFiles, readCorpus } from '../../support/corpus';
import { generateKubeDump, renderListing, renderRestore, renderSave } from '../../support/generateKubeDump';
import { assertSameAnalysis } from '../../support/kubeSnapshot';
import { modelSnapshot } from '../../support/modelSnapshot';
import { randomChange } from '../../support/randomEdits';
import { seededRandom } from '../../support/random';

function replace(line: number, start: number, end: number, text: string): TextEdit {
  return { range: { start: { line, character: start }, end: { line, character: end } }, text };
}

/** `doc` after `edits` (one change each), its model and analysis checked against a fresh parse and analysis. */
function editAndCompare(doc: DumpDocument, edits: readonly TextEdit[][], context: string): DumpDocument {
  void doc.kube;
  for (const change of edits) {
    doc = doc.withEdits(doc.version + 1, change);
  }
  const fresh = parseLines([...doc.lines]);
  assert.deepStrictEqual(modelSnapshot(doc.dump), modelSnapshot(fresh), `${context}: model`);
  const freshAnalysis = analyzeKube(fresh);
  assertSameAnalysis(doc.kube, doc.dump, freshAnalysis, fresh, context);
  const labels = (services: readonly { label: string }[]): string[] => services.map((service) => service.label);
  assert.deepStrictEqual(labels(doc.kube.services), labels(freshAnalysis.services), `${context}: order of service ports`);
  return doc;
}

/** How the analysis of `doc` was computed: `incremental`, or the reason it was whole. */
function analysisPath(doc: DumpDocument): string {
  const computed = doc.kubeComputation!;
  return computed.incremental ? 'incremental' : computed.reason;
}

describe('the kube-proxy analysis after edits that walks of random edits found wrong', () => {
  const listing = renderListing(generateKubeDump({ seed: 5, services: 6 }));
  const listLines = listing.split('\n');
  const serviceHeader = listLines.findIndex((line) => line.startsWith('Chain KUBE-SVC-'));

  it("drops what a service chain's rules chose when its -L header is retyped to a name of no service chain", () => {
    // `KUBE-SVC-…` → `KUBE-.SVC-…`: the rows stay the chain's, which no longer chooses endpoints.
    const doc = editAndCompare(DumpDocument.fromText('file:///x', 1, listing), [[replace(serviceHeader, 11, 11, '.')]], 'header retyped');
    assert.equal(analysisPath(doc), 'incremental');
  });

  it("reads a service chain as an endpoint chain when its -L header is retyped to an endpoint chain's name", () => {
    const doc = editAndCompare(DumpDocument.fromText('file:///x', 1, listing), [[replace(serviceHeader, 11, 14, 'SEP')]], 'SVC → SEP');
    assert.equal(analysisPath(doc), 'incremental');
    assert.ok(
      [...doc.kube.endpointsByChain.keys()].some((chain) => chain.name === listLines[serviceHeader].split(' ')[1].replace('SVC', 'SEP')),
    );
  });

  it('tells where a chain is declared when a blank typed before its name in its -L header moves it', () => {
    // `Chain KUBE-SEP-…` → `Chain  KUBE-SEP-…`, and the same for a service chain: the same chains, one column on.
    const endpointHeader = listLines.findIndex((line) => line.startsWith('Chain KUBE-SEP-'));
    for (const header of [endpointHeader, serviceHeader]) {
      const doc = editAndCompare(DumpDocument.fromText('file:///x', 1, listing), [[replace(header, 6, 6, ' ')]], `line ${header}`);
      assert.equal(analysisPath(doc), 'incremental');
    }
  });

  it("puts a port where a fresh analysis does when its group's first chain is renamed out of it", () => {
    // The port of KUBE-SVC-X27… comes first for its KUBE-EXT chain; renamed, its group begins below KUBE-SVC-4SW…'s.
    const text = [
      'Chain KUBE-EXT-X27LE4BHSL4DOUIK (2 references)',
      'Chain KUBE-SVC-4SW47YFZTEDKD3PK (2 references)',
      'Chain KUBE-SVC-X27LE4BHSL4DOUIK (2 references)',
    ];
    const doc = editAndCompare(DumpDocument.fromText('file:///x', 1, text.join('\n')), [[replace(0, 6, 6, '/')]], 'header retyped');
    assert.equal(analysisPath(doc), 'incremental');
    assert.deepStrictEqual(
      doc.kube.services.map((service) => service.chains[0].name),
      ['KUBE-SVC-4SW47YFZTEDKD3PK', 'KUBE-SVC-X27LE4BHSL4DOUIK'],
    );
  });

  it('keeps the facts on the lines a chain that is gone had, which other rules hold now', () => {
    // Two endpoint chains known from their rules alone (errors: nothing declares them) at the end of the nat table.
    // Deleting the rule of KUBE-SEP-BBB… leaves that chain without a rule; the rule of KUBE-SEP-CCC… moves up to its line,
    // with its warning (its name is not kube-proxy's hash).
    const lines = renderSave(generateKubeDump({ seed: 5, services: 3 })).split('\n');
    const commit = lines.findIndex((text, line) => text === 'COMMIT' && lines.slice(0, line).includes('*nat'));
    lines.splice(
      commit,
      0,
      '-A KUBE-SEP-BBBBBBBBBBBBBBBB -s 10.244.0.37/32 -m comment --comment "auth/web" -j KUBE-MARK-MASQ',
      '-A KUBE-SEP-CCCCCCCCCCCCCCCC -p tcp -m comment --comment "auth/web" -m tcp -j DNAT --to-destination 10.244.0.37:8080',
    );
    const deleted: TextEdit = { range: { start: { line: commit, character: 0 }, end: { line: commit + 1, character: 0 } }, text: '' };
    const doc = editAndCompare(DumpDocument.fromText('file:///x', 1, lines.join('\n')), [[deleted]], 'rule deleted');
    assert.equal(analysisPath(doc), 'incremental');
    assert.ok(doc.kube.diagnostics.some((d) => d.code === 'kube-hash-mismatch' && d.span.line === commit));
  });

  it('reads dispatch chains in their table order when a chain is declared below its first rule', () => {
    // The port without endpoints has a rule in each dispatch chain; KUBE-SERVICES comes first in the table (its first
    // rule), though its declaration is below the rules of KUBE-EXTERNAL-SERVICES.
    const noEndpoints = (chain: string, ip: string): string =>
      `-A ${chain} -m comment --comment "auth/cache:web has no endpoints" -m udp -p udp -d ${ip} --dport 80 -j REJECT`;
    const text = [
      '-A KUBE-SERVICES -m comment --comment "default/other has no endpoints" -m tcp -p tcp -d 10.96.0.9 --dport 80 -j REJECT',
      '-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/other has no endpoints" -m tcp -p tcp -d 198.51.100.9 --dport 80 -j REJECT',
      noEndpoints('KUBE-SERVICES', '10.96.0.28'),
      noEndpoints('KUBE-EXTERNAL-SERVICES', '198.51.100.3'),
      ':KUBE-SERVICES - [0:0]',
    ].join('\n');
    const at = text.split('\n')[2].indexOf('--dport 80') + 9;
    const doc = editAndCompare(DumpDocument.fromText('file:///x', 1, text), [[replace(2, at, at, '1')]], 'dispatch rule edited');
    assert.equal(analysisPath(doc), 'incremental');
  });

  it("reads a dispatch rule's line as its new chain's when its chain name is retyped to an endpoint chain's", () => {
    const save = renderSave(generateKubeDump({ seed: 5, services: 6 }));
    const line = save.split('\n').findIndex((text) => text.startsWith('-A KUBE-SERVICES ') && text.includes('-j KUBE-SVC-'));
    const name = endpointChainName('default/typed:http', 'tcp', '10.244.9.9:80');
    const doc = editAndCompare(DumpDocument.fromText('file:///x', 1, save), [[replace(line, 3, 16, name)]], 'chain name retyped');
    assert.ok([...doc.kube.endpointsByChain.keys()].some((chain) => chain.name === name));
  });

  it("routes a rule that names a port no chain group is named for to the nameless group of that port name's hash", () => {
    // A blank line deleted makes the two rows below it KUBE-SERVICES rules. The second jumps to no chain (a typo in
    // its target) and names ingress/frontend-29: it joins the group whose chains' names are that name's hash.
    const text = [
      'Chain KUBE-SERVICES (2 references)',
      '',
      '    0     0 KUBE-SVC-RQETUN6MZW74MUWL  6    --  *      *       0.0.0.0/0            10.96.0.14           /* ingress/db-5:web cluster IP */ tcp dpt:3306',
      '    0     0 KUBE-SVCVBWK5YG6ODRHIXY3  6    --  *      *       0.0.0.0/0            10.96.0.38           /* ingress/frontend-29 cluster IP */ tcp dpt:5432',
      'Chain KUBE-SVC-VBWK5YG6ODRHIXY3 (1 references)',
    ].join('\n');
    assert.equal(serviceChainName('ingress/frontend-29', 'tcp'), 'KUBE-SVC-VBWK5YG6ODRHIXY3');
    const deleted: TextEdit = { range: { start: { line: 1, character: 0 }, end: { line: 2, character: 0 } }, text: '' };
    const doc = editAndCompare(DumpDocument.fromText('file:///x', 1, text), [[deleted]], 'blank line deleted');
    assert.equal(analysisPath(doc), 'incremental');
  });

  it("analyses the whole dump when a chain group is made under the hash of a port without chains' name", () => {
    // `KUBE-SVX-…` retyped to `KUBE-SVC-…`: the hash of ns/x:web and tcp, the port of the "has no endpoints" rule,
    // which joins the group made.
    const made = serviceChainName('ns/x:web', 'tcp');
    const other = serviceChainName('ns/y:web', 'tcp');
    const columns = ' pkts bytes target     prot opt in     out     source               destination';
    const text = [
      'Chain KUBE-SERVICES (2 references)',
      columns,
      `    0     0 ${other}  tcp  --  *      *       0.0.0.0/0            10.96.0.7            /* ns/y:web cluster IP */ tcp dpt:80`,
      '    0     0 REJECT     tcp  --  *      *       0.0.0.0/0            10.96.0.9            /* ns/x:web has no endpoints */ tcp dpt:80 reject-with icmp-port-unreachable',
      '',
      `Chain ${other} (1 references)`,
      columns,
      '',
      `Chain ${made.replace('KUBE-SVC-', 'KUBE-SVX-')} (0 references)`,
      columns,
    ].join('\n');
    const doc = editAndCompare(DumpDocument.fromText('file:///x', 1, text), [[replace(8, 13, 14, 'C')]], 'header retyped');
    assert.match(analysisPath(doc), /the edit makes the chains of ns\/x:web/);
  });

  it('analyses the whole dump when service chains move and a port outside the edit has the name of one the edit reaches', () => {
    // Two chain groups name the port `default/api`; the rule that names it without jumping to it goes to the first.
    // The first group's chain declaration retyped, its chain is made by its rule, below the other group's.
    const first = serviceChainName('default/api', 'tcp');
    const second = serviceChainName('default/copy', 'tcp');
    const endpoint = endpointChainName('default/api', 'tcp', '10.244.0.9:9000');
    const text = [
      '*nat',
      ':KUBE-SERVICES - [0:0]',
      `:${first} - [0:0]`,
      `:${second} - [0:0]`,
      `:${endpoint} - [0:0]`,
      '-A KUBE-SERVICES -d 10.96.0.13/32 -p tcp -m comment --comment "default/api has no endpoints" -m tcp --dport 9000 -j REJECT',
      `-A ${first} -m comment --comment "default/api -> 10.244.0.9:9000" -j ${endpoint}`,
      `-A ${second} ! -s 10.244.0.0/14 -d 10.96.0.13/32 -p tcp -m comment --comment "default/api cluster IP" -m tcp --dport 9000 -j KUBE-MARK-MASQ`,
      `-A ${endpoint} -p tcp -m comment --comment "default/api" -m tcp -j DNAT --to-destination 10.244.0.9:9000`,
      'COMMIT',
    ].join('\n');
    const doc = editAndCompare(
      DumpDocument.fromText('file:///x', 1, text),
      [[replace(2, 1 + first.length, 1 + first.length, 'x')]],
      'declaration retyped',
    );
    assert.match(analysisPath(doc), /service chains moved, and a port the edit does not reach is also named/);
  });

  it("analyses the whole dump when a port's chains go and chains outside the edit are named by its name's hash", () => {
    // An excerpt: the KUBE-SERVICES rule names kube-dns:dns-tcp and jumps to no chain; the chain of that name (a typo
    // of the hash) loses its only rule, and the rule goes to the nameless chains its name hashes to.
    const hashed = serviceChainName('kube-system/kube-dns:dns-tcp', 'tcp');
    const misspelt = hashed.replace('KUBE-SVC-', 'KUBE-SVC-1');
    const text = [
      `-A KUBE-SERVICES -m comment --comment "kube-system/kube-dns:dns-tcp cluster IP" -m tcp -p tcp -d 10.96.0.10 --dport 53 -j ${hashed}#`,
      `-A ${misspelt} -m comment --comment "kube-system/kube-dns:dns-tcp cluster IP" -m tcp -p tcp -d 10.96.0.10 --dport 53 ! -s 10.244.0.0/14 -j KUBE-MARK-MASQ`,
      '',
      `-A ${hashed} -j KUBE-SEP-IT2ZTR26TO4XFPTO`,
    ].join('\n');
    const deleted: TextEdit = { range: { start: { line: 1, character: 0 }, end: { line: 2, character: 0 } }, text: '' };
    const doc = editAndCompare(DumpDocument.fromText('file:///x', 1, text), [[deleted]], 'rule deleted');
    assert.match(analysisPath(doc), /leaves kube-system\/kube-dns:dns-tcp \(53\/tcp\) without chains/);
  });
});

describe('the model and the kube-proxy analysis after walks of random edits of any kind', function () {
  this.timeout(300_000);
  const STEPS = 200;
  const dumps: [string, () => string][] = [];
  for (let s = 0; s < 3; s++) {
    dumps.push([`generated save ${s}`, () => renderSave(generateKubeDump({ seed: 100 + s, services: 20 + s * 5 }))]);
    dumps.push([
      `generated -L ${s}`,
      () => renderListing(generateKubeDump({ seed: 200 + s, services: 15 + s * 5 }), { exactWithLineNumbers: s % 2 === 0 }),
    ]);
    dumps.push([`generated restore ${s}`, () => renderRestore(generateKubeDump({ seed: 300 + s, services: 15 + s * 5 }))]);
  }
  dumps.push([
    'generated IPv4 and IPv6 save pasted together',
    () =>
      renderSave(generateKubeDump({ seed: 400, services: 12, minEndpoints: 1 })) +
      renderSave(generateKubeDump({ seed: 400, services: 12, minEndpoints: 1, family: 6 })),
  ]);
  for (const file of corpusFiles().filter((name) => /kube|KUBE/.test(readCorpus(name)))) {
    dumps.push([file, () => readCorpus(file)]);
  }
  const paths = new Map<string, number>();
  after(() =>
    console.log(
      `      paths: ${[...paths]
        .sort()
        .map(([path, n]) => `\n        ${path}: ${n}`)
        .join('')}`,
    ),
  );

  for (const [name, text] of dumps) {
    it(`${name}: ${STEPS} edits, each equal to a fresh parse and analysis`, () => {
      const random = seededRandom(name.length * 7919 + 13);
      let doc = DumpDocument.fromText('file:///dump', 1, text());
      void doc.kube;
      const recent: string[] = [];
      for (let step = 0; step < STEPS; step++) {
        const change = randomChange(doc.lines, random);
        if (change.length === 0) {
          continue;
        }
        recent.push(JSON.stringify(change));
        doc = doc.withEdits(doc.version + 1, change);
        const where = `${name}, step ${step}: ${recent.slice(-3).join(' | ')}`;
        const fresh = parseLines([...doc.lines]);
        assert.deepStrictEqual(modelSnapshot(doc.dump), modelSnapshot(fresh), `${where}: model`);
        if (random() < 0.35) {
          continue; // edits come faster than requests: the next analysis starts from an older one
        }
        const freshAnalysis = analyzeKube(fresh);
        assertSameAnalysis(doc.kube, doc.dump, freshAnalysis, fresh, where);
        const labels = (services: readonly { label: string }[]): string[] => services.map((service) => service.label);
        assert.deepStrictEqual(labels(doc.kube.services), labels(freshAnalysis.services), `${where}: order of service ports`);
        const parsed = doc.parseComputation!;
        const path = `model ${parsed.incremental ? parsed.edit : 'parsed'}, analysis ${doc.kubeComputation!.incremental ? 'incremental' : 'whole'}`;
        paths.set(path, (paths.get(path) ?? 0) + 1);
      }
    });
  }

  it('took the incremental paths for most of those edits', () => {
    const count = (pattern: RegExp): number => [...paths].filter(([path]) => pattern.test(path)).reduce((sum, [, n]) => sum + n, 0);
    const followed = count(/^model (?!parsed)/);
    assert.ok(followed > count(/^model parsed/), JSON.stringify([...paths]));
    assert.ok(count(/analysis incremental/) > count(/^model (?!parsed).*analysis whole/), JSON.stringify([...paths]));
  });
});
