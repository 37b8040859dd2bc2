// The kube analysis brought up to date after rule edits (kube/incremental.ts, through DumpDocument.withEdits) must
// equal a fresh analyzeKube of the same text: checked over random realistic one-line edits of generated
// kube-proxy dumps (several seeds; save, -L and restore formats; IPv6; IPv4 and IPv6 pasted together) and of the
// real corpus dumps, field by field, in a canonical form that does not depend on the order of maps and lists.
import { strict as assert } from 'node:assert';
import { DumpDocument } from '../../../server/src/features/document';
import type { TextEdit } from '../../../server/src/features/document';
import { analyzeKube, DISPATCH_KINDS } from '../../../server/src/kube/analysis';
import type { KubeAnalysis } from '../../../server/src/kube/analysis';
import { chainKind, isServiceChainKind } from '../../../server/src/kube/chainKinds';
import { parseKubeComment } from '../../../server/src/kube/comments';
import { ruleComment } from '../../../server/src/kube/ruleText';
import type { Rule } from '../../../server/src/model/types';
import { parseLines } from '../../../server/src/parse/index';
import { corpusFiles, readCorpus } from '../../support/corpus';
import { generateKubeDump, renderListing, renderRestore, renderSave } from '../../support/generateKubeDump';
import { assertSameAnalysis, canonical } from '../../support/kubeSnapshot';
import { modelSnapshot } from '../../support/modelSnapshot';
import { seededRandom } from '../../support/random';

type EditKind = 'append' | 'probability' | 'dnat' | 'comment' | 'uncomment' | 'target' | 'delete-word';
const EDIT_KINDS: readonly EditKind[] = ['append', 'probability', 'dnat', 'comment', 'uncomment', 'target', 'delete-word'];

/** The rule's line after an edit of `kind`, or undefined when the rule has nothing of that kind to edit. */
function editedLine(text: string, kind: EditKind, random: () => number, chainNames: readonly string[]): string | undefined {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  switch (kind) {
    case 'append':
      return text + pick(['x', '1', ' ', ':', '"']);
    case 'probability': {
      const value = pick(['0', '1', '0.5', '0.25000000000', '0.99', '2', 'abc']);
      return /(probability )\S+/.test(text) ? text.replace(/(probability )\S+/, `$1${value}`) : undefined;
    }
    case 'dnat': {
      const match = /(--to-destination |to:)(\S+)/.exec(text);
      if (match === null) {
        return undefined;
      }
      const address = match[2];
      const changed = pick([
        address.replace(/\d+$/, String(Math.floor(random() * 65536))),
        address.replace(/(\d+)(?=[:\]]|$)/, String(Math.floor(random() * 256))),
        '10.1.2.3:80',
        '[fd00::1]:8080',
        address.slice(0, -1),
      ]);
      return text.slice(0, match.index) + match[1] + changed + text.slice(match.index + match[0].length);
    }
    case 'comment': {
      const match = /(--comment "?)([^"]*)|(\/\* )(.*?)( \*\/)/.exec(text);
      if (match === null) {
        return undefined;
      }
      const old = match[2] ?? match[4];
      const at = text.indexOf(old, match.index);
      const replacement = pick([
        old + 'x',
        old.replace(/[a-z]/, 'q'),
        old.replace(/:[a-z0-9-]+/, ':other'),
        'default/kubernetes:https cluster IP',
        'kube-system/kube-dns:dns has no endpoints',
        'something else',
        '',
      ]);
      return text.slice(0, at) + replacement + text.slice(at + old.length);
    }
    case 'uncomment': {
      const save = /-m comment --comment ("[^"]*"|\S+) ?/.exec(text);
      if (save !== null) {
        return text.slice(0, save.index) + text.slice(save.index + save[0].length);
      }
      const list = /\/\* .*? \*\/ ?/.exec(text);
      return list === null ? undefined : text.slice(0, list.index) + text.slice(list.index + list[0].length);
    }
    case 'target': {
      const match = /(-j |-g |^\s*(?:\d+\s+)?(?:\d+[KMGT]?\s+\d+[KMGT]?\s+)?)(KUBE-(?:SEP|SVC|SVL|EXT|FW|XLB)-\w+)/.exec(text);
      if (match === null || chainNames.length === 0) {
        return undefined;
      }
      const name = pick(chainNames);
      return text.slice(0, match.index) + match[1] + name + text.slice(match.index + match[0].length);
    }
    case 'delete-word': {
      const words = [...text.matchAll(/\S+/g)];
      if (words.length < 3) {
        return undefined;
      }
      const word = words[1 + Math.floor(random() * (words.length - 1))];
      return text.slice(0, word.index) + text.slice(word.index! + word[0].length);
    }
  }
}

/** The smallest range edit that turns `before` into `after` on `line`, as an editor sends it. */
function rangeEdit(line: number, before: string, after: string): TextEdit {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) {
    start++;
  }
  let end = 0;
  while (end < before.length - start && end < after.length - start && before[before.length - 1 - end] === after[after.length - 1 - end]) {
    end++;
  }
  return {
    range: { start: { line, character: start }, end: { line, character: before.length - end } },
    text: after.slice(start, after.length - end),
  };
}

/** Which part of the analysis a rule belongs to, for the tally of the path each edit took. */
function ruleGroup(rule: Rule): string {
  const kind = chainKind(rule.chain.name);
  if (kind === 'endpoint') {
    return 'KUBE-SEP';
  }
  if (kind === 'service' || kind === 'service-local') {
    return 'KUBE-SVC/SVL';
  }
  if (kind === 'external' || kind === 'firewall' || kind === 'external-local') {
    return 'KUBE-EXT/FW/XLB';
  }
  if (kind === 'services' || kind === 'nodeports' || kind === 'external-services' || kind === 'proxy-firewall') {
    return 'dispatch';
  }
  return 'other';
}

/** The lines of `doc`'s rules that the kube analysis reads (every group but `other`). */
function kubeRuleLines(doc: DumpDocument): number[] {
  const lines: number[] = [];
  doc.dump.lineOwners.forEach((owner, line) => {
    if (owner !== undefined && 'bodyStart' in owner && ruleGroup(owner) !== 'other') {
      lines.push(line);
    }
  });
  return lines;
}

/** `generated` texts, then the corpus dumps whose text matches `pattern`. */
function withCorpus(generated: [string, () => string][], pattern: RegExp): [string, () => string][] {
  return [...generated, ...corpusFiles().filter((f) => pattern.test(readCorpus(f))).map((f): [string, () => string] => [f, () => readCorpus(f)])];
}

interface Tally {
  incremental: Map<string, number>;
  full: Map<string, number>;
  reasons: Map<string, number>;
}

const bump = (map: Map<string, number>, key: string): void => {
  map.set(key, (map.get(key) ?? 0) + 1);
};

/**
 * A tally of the paths edits took, for a describe block: `count` adds up the keys that match, and the tally is
 * printed after the block's tests.
 */
function pathTally(): { tally: Map<string, number>; count: (pattern: RegExp) => number } {
  const tally = new Map<string, number>();
  after(() => {
    console.log(
      `      paths: ${[...tally]
        .sort()
        .map(([k, n]) => `\n        ${k}: ${n}`)
        .join('')}`,
    );
  });
  return { tally, count: (pattern) => [...tally].filter(([key]) => pattern.test(key)).reduce((sum, [, n]) => sum + n, 0) };
}

/**
 * Applies `steps` random edits to `text` through DumpDocument.withEdits (sometimes two or three before the
 * analysis is asked for again) and checks the analysis after each against a fresh one of the same text.
 */
function checkRandomEdits(text: string, seed: number, steps: number, context: string): Tally {
  const random = seededRandom(seed);
  let doc = DumpDocument.fromText('file:///dump', 1, text);
  let version = 1;
  void doc.kube;
  const tally: Tally = { incremental: new Map(), full: new Map(), reasons: new Map() };
  const ruleLines: number[] = [];
  const kubeChainNames = new Set<string>();
  for (let line = 0; line < doc.dump.lineCount; line++) {
    const owner = doc.dump.lineOwners[line];
    if (owner !== undefined && 'bodyStart' in owner) {
      ruleLines.push(line);
      if (/^KUBE-(SEP|SVC|SVL)-/.test(owner.chain.name)) {
        kubeChainNames.add(owner.chain.name);
      }
    }
  }
  const names = [...kubeChainNames];
  // Most edits go to kube-proxy's rules; KUBE-SEP and KUBE-SVC rules make up most of a dump anyway.
  const kubeLines = ruleLines.filter((line) => {
    const owner = doc.dump.lineOwners[line] as Rule;
    return ruleGroup(owner) !== 'other';
  });
  if (kubeLines.length === 0) {
    return tally;
  }
  for (let step = 0; step < steps; step++) {
    const batch = random() < 0.2 ? 2 + Math.floor(random() * 2) : 1;
    const groups: string[] = [];
    for (let i = 0; i < batch; i++) {
      const pool = random() < 0.9 ? kubeLines : ruleLines;
      const line = pool[Math.floor(random() * pool.length)];
      const before = doc.lines[line];
      let after: string | undefined;
      for (let attempt = 0; attempt < 5 && (after === undefined || after === before); attempt++) {
        after = editedLine(before, EDIT_KINDS[Math.floor(random() * EDIT_KINDS.length)], random, names);
      }
      if (after === undefined || after === before) {
        continue;
      }
      const owner = doc.dump.lineOwners[line];
      const dump = doc.dump;
      doc = doc.withEdits(++version, [rangeEdit(line, before, after)]);
      // Only edits the parser patched in place can be followed incrementally; the others parse the text again.
      groups.push(doc.dump !== dump ? 'parsed again' : owner !== undefined && 'bodyStart' in owner ? ruleGroup(owner) : 'not a rule');
      if (i < batch - 1 && random() < 0.5) {
        continue; // edits arrive faster than requests: the next analysis starts from an older one
      }
      const where = `${context}, step ${step}, line ${line + 1}: ${JSON.stringify(before)} → ${JSON.stringify(after)}`;
      const fresh = parseLines([...doc.lines]);
      assertSameAnalysis(doc.kube, doc.dump, analyzeKube(fresh), fresh, where);
      const computed = doc.kubeComputation!;
      const patched = !groups.includes('parsed again');
      for (const group of patched ? groups : ['parsed again']) {
        bump(computed.incremental ? tally.incremental : tally.full, group);
      }
      if (!computed.incremental && patched) {
        bump(tally.reasons, computed.reason.replace(/line \d+|\d+ chains|KUBE-\w+-\w+|service port .*/g, '…'));
      }
      groups.length = 0;
    }
  }
  return tally;
}

function merge(into: Tally, from: Tally): void {
  for (const key of ['incremental', 'full', 'reasons'] as const) {
    for (const [k, v] of from[key]) {
      into[key].set(k, (into[key].get(k) ?? 0) + v);
    }
  }
}

function report(tally: Tally): string {
  const groups = [...new Set([...tally.incremental.keys(), ...tally.full.keys()])].sort();
  return groups.map((g) => `${g} ${tally.incremental.get(g) ?? 0} incremental / ${tally.full.get(g) ?? 0} whole`).join('; ');
}

describe('kube analysis after rule edits (incremental) equals a fresh analysis', function () {
  this.timeout(300_000);
  const total: Tally = { incremental: new Map(), full: new Map(), reasons: new Map() };

  const generated: [string, () => string][] = [];
  for (const seed of [1, 2, 3, 4]) {
    const dump = generateKubeDump({ seed, services: 25, maxEndpoints: 5 });
    generated.push([`seed ${seed} save`, () => renderSave(dump)]);
    generated.push([`seed ${seed} -L -n -v`, () => renderListing(dump)]);
  }
  const noComments = generateKubeDump({ seed: 5, services: 25, maxEndpoints: 4, comments: false });
  generated.push(['seed 5 without endpoint comments, save', () => renderSave(noComments)]);
  generated.push(['seed 5 without endpoint comments, restore input', () => renderRestore(noComments)]);
  generated.push([
    'seed 6 -L -n -v -x --line-numbers',
    () => renderListing(generateKubeDump({ seed: 6, services: 20 }), { exactWithLineNumbers: true }),
  ]);
  const v6 = generateKubeDump({ seed: 7, services: 20, family: 6 });
  generated.push(['seed 7 IPv6 save', () => renderSave(v6)]);
  generated.push([
    'seed 8 IPv4 and IPv6 save pasted together',
    () =>
      renderSave(generateKubeDump({ seed: 8, services: 12, minEndpoints: 1 })) +
      renderSave(generateKubeDump({ seed: 8, services: 12, minEndpoints: 1, family: 6 })),
  ]);

  for (const [name, render] of generated) {
    it(`generated: ${name}`, () => {
      merge(total, checkRandomEdits(render(), name.length * 7919, 80, name));
    });
  }

  for (const file of corpusFiles()) {
    it(`corpus: ${file}`, () => {
      merge(total, checkRandomEdits(readCorpus(file), file.length * 104729, 50, file));
    });
  }

  after(() => {
    console.log(`      edits by chain: ${report(total)}`);
    console.log(`      whole analyses after patched edits because: ${[...total.reasons].map(([r, n]) => `${r} (${n})`).join('; ')}`);
  });

  it('took the incremental path for nearly every patched edit of KUBE-SEP and KUBE-SVC/SVL rules', () => {
    // The exceptions: an edit that changes which name a service port settles on (a comment, or the DNAT rule of
    // the endpoint a port without comments takes its protocol from).
    for (const group of ['KUBE-SEP', 'KUBE-SVC/SVL']) {
      const incremental = total.incremental.get(group) ?? 0;
      const full = total.full.get(group) ?? 0;
      assert.ok(incremental > 300 && incremental >= 10 * full, `${group}: ${incremental} incremental, ${full} whole`);
    }
    assert.ok((total.incremental.get('dispatch') ?? 0) > 50);
    const failures = [...total.reasons.keys()].filter((reason) => reason.startsWith('the update failed'));
    assert.deepEqual(failures, []);
  });
});

describe('kube analysis after rule edits: which path', () => {
  // Load balancers with a Local traffic policy have health check node port rules.
  const text = renderSave(generateKubeDump({ seed: 3, services: 30, maxEndpoints: 4, mix: { loadBalancer: 0.3, localPolicy: 1 } }));

  /** The document after replacing `from` by `to` on the first line that matches `pattern`. */
  function edit(doc: DumpDocument, pattern: RegExp, from: RegExp, to: string): { doc: DumpDocument; line: number } {
    const line = doc.lines.findIndex((l) => pattern.test(l));
    assert.ok(line >= 0, `no line matches ${pattern}`);
    const before = doc.lines[line];
    return { doc: doc.withEdits(doc.version + 1, [rangeEdit(line, before, before.replace(from, to))]), line };
  }

  it('re-analyses one service port for a typo in a KUBE-SEP DNAT rule, and undoes it', () => {
    let doc = DumpDocument.fromText('file:///d', 1, text);
    const before = canonical(doc.kube, doc.dump);
    assert.deepEqual(doc.kubeComputation, { incremental: false, reason: 'no earlier analysis to update' });
    ({ doc } = edit(doc, /^-A KUBE-SEP-\w+ .*-j DNAT --to-destination/, /$/, 'x'));
    const edited = doc.kube;
    const computed = doc.kubeComputation;
    assert.ok(computed?.incremental, JSON.stringify(computed));
    assert.equal(computed.services, 1);
    assert.ok(computed.endpoints >= 1 && computed.endpoints <= 4, `${computed.endpoints} endpoints`);
    const fresh = parseLines([...doc.lines]);
    assertSameAnalysis(edited, doc.dump, analyzeKube(fresh), fresh, 'after the typo');
    // The typo makes the endpoint's port unreadable, which changes what the analysis says.
    assert.notDeepEqual(canonical(edited, doc.dump), before);
    ({ doc } = edit(doc, /^-A KUBE-SEP-\w+ .*-j DNAT --to-destination \S+x$/, /x$/, ''));
    assert.equal(doc.lines.join('\n'), text);
    const undone = doc.kube;
    assert.equal(doc.kubeComputation?.incremental, true);
    assert.deepStrictEqual(canonical(undone, doc.dump), before);
  });

  it('updates a KUBE-SVC rule and a KUBE-SERVICES jump incrementally', () => {
    let doc = DumpDocument.fromText('file:///d', 1, text);
    void doc.kube;
    ({ doc } = edit(doc, /^-A KUBE-SVC-\w+ .*--probability/, /--probability \S+/, '--probability 0.1'));
    void doc.kube;
    assert.equal(doc.kubeComputation?.incremental, true);
    ({ doc } = edit(doc, /^-A KUBE-SERVICES -d .* -j KUBE-SVC-/, /--dport \d+/, '--dport 1234'));
    const analysis = doc.kube;
    assert.equal(doc.kubeComputation?.incremental, true);
    const fresh = parseLines([...doc.lines]);
    assertSameAnalysis(analysis, doc.dump, analyzeKube(fresh), fresh, 'after both edits');
    assert.ok(analysis.services.some((s) => s.servicePort === 1234));
  });

  it('updates incrementally a comment-only dispatch rule that keeps naming the same port (with chains, or without)', () => {
    let doc = DumpDocument.fromText('file:///d', 1, text);
    void doc.kube;
    // A port with no endpoints has no chains: kube-proxy writes only its REJECT rules.
    ({ doc } = edit(doc, /^-A KUBE-SERVICES .*has no endpoints.*--dport/, /--dport \d+/, '--dport 4321'));
    let analysis = doc.kube;
    assert.deepEqual(doc.kubeComputation, { incremental: true, services: 1, endpoints: 0 });
    let fresh = parseLines([...doc.lines]);
    assertSameAnalysis(analysis, doc.dump, analyzeKube(fresh), fresh, 'after the port edit');
    assert.ok(analysis.services.some((s) => s.chains.length === 0 && s.servicePort === 4321));
    // A health check node port rule belongs to a port with chains.
    ({ doc } = edit(doc, /^-A KUBE-NODEPORTS .*health check node port/, /--dport \d+/, '--dport 31999'));
    analysis = doc.kube;
    assert.equal(doc.kubeComputation?.incremental, true);
    fresh = parseLines([...doc.lines]);
    assertSameAnalysis(analysis, doc.dump, analyzeKube(fresh), fresh, 'after the health check edit');
    assert.ok(analysis.services.some((s) => s.chains.length > 0 && s.healthCheckNodePort === 31999));
  });

  /** `doc` after `change`, checked against a fresh parse and analysis of its text (the ports in their order too). */
  function checked(doc: DumpDocument, change: TextEdit, context: string): DumpDocument {
    const next = doc.withEdits(doc.version + 1, [change]);
    const fresh = parseLines([...next.lines]);
    const freshAnalysis = analyzeKube(fresh);
    assertSameAnalysis(next.kube, next.dump, freshAnalysis, fresh, context);
    assert.deepStrictEqual(
      next.kube.services.map((s) => s.label),
      freshAnalysis.services.map((s) => s.label),
      `${context}: order`,
    );
    return next;
  }

  const deleteLine = (line: number): TextEdit => ({ range: { start: { line, character: 0 }, end: { line: line + 1, character: 0 } }, text: '' });
  const insertLine = (line: number, text: string): TextEdit => ({ range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: `${text}\n` });

  it('updates incrementally the ports without chains that comment-only dispatch rules make or leave (renamed, deleted, pasted)', () => {
    let doc = DumpDocument.fromText('file:///d', 1, text);
    const before = doc.kube;
    // A port with no endpoints has no chains: kube-proxy writes only its "has no endpoints" rules.
    const rejected = before.services.find((s) => s.chains.length === 0 && s.dispatchRules.length > 1)!;
    // The rule that made the port (the first the analysis read) renamed: the port is made again at the next one.
    const line = rejected.dispatchRules[0].line;
    assert.match(doc.lines[line], /has no endpoints/);
    const rule = doc.lines[line];
    const renamed = rule.replace(/--comment "[^"]*"/, '--comment "nowhere/none:x has no endpoints"');
    doc = checked(doc, rangeEdit(line, rule, renamed), 'renamed');
    assert.equal(doc.kubeComputation?.incremental, true, JSON.stringify(doc.kubeComputation));
    assert.ok(doc.kube.services.some((s) => s.portName === 'nowhere/none:x' && s.chains.length === 0));
    assert.ok(!doc.kube.services.includes(rejected));
    doc = checked(doc, rangeEdit(line, renamed, rule), 'named back');
    assert.equal(doc.kubeComputation?.incremental, true, JSON.stringify(doc.kubeComputation));
    // Every rule of the port deleted, the last first (the port goes with the last), then pasted back in order.
    const lines = rejected.dispatchRules.map((span) => span.line).sort((a, b) => a - b);
    const rules = lines.map((l) => doc.lines[l]);
    for (let i = lines.length - 1; i >= 0; i--) {
      doc = checked(doc, deleteLine(lines[i]), `rule ${i} deleted`);
      assert.equal(doc.kubeComputation?.incremental, true, JSON.stringify(doc.kubeComputation));
    }
    assert.equal(doc.kube.services.length, before.services.length - 1);
    for (let i = 0; i < lines.length; i++) {
      doc = checked(doc, insertLine(lines[i], rules[i]), `rule ${i} pasted back`);
      assert.equal(doc.kubeComputation?.incremental, true, JSON.stringify(doc.kubeComputation));
    }
    assert.equal(doc.lines.join('\n'), text);
    // A health check node port rule belongs to a port with chains: deleted and pasted back.
    const healthCheck = doc.lines.findIndex((l) => /^-A KUBE-NODEPORTS .*health check node port/.test(l));
    const healthCheckRule = doc.lines[healthCheck];
    doc = checked(doc, deleteLine(healthCheck), 'health check deleted');
    assert.equal(doc.kubeComputation?.incremental, true);
    doc = checked(doc, insertLine(healthCheck, healthCheckRule), 'health check pasted back');
    assert.equal(doc.kubeComputation?.incremental, true);
  });

  it('makes up to 16 ports without chains in one update, and analyses the whole dump again past that', () => {
    for (const count of [16, 17]) {
      // (An analysis is updated in place: each edit starts from a document of its own.)
      const base = DumpDocument.fromText('file:///d', 1, text);
      const ports = base.kube.services.length;
      const line = base.lines.findIndex((l) => /^-A KUBE-SERVICES .*has no endpoints/.test(l));
      const rules = Array.from({ length: count }, (_, i) => base.lines[line].replace(/--comment "[^"]*"/, `--comment "pasted/svc-${i}:p has no endpoints"`));
      const doc = checked(base, insertLine(line, rules.join('\n')), `${count} pasted`);
      assert.equal(doc.kube.services.length, ports + count);
      if (count === 16) {
        assert.equal(doc.kubeComputation?.incremental, true, JSON.stringify(doc.kubeComputation));
      } else {
        assert.deepEqual(doc.kubeComputation, { incremental: false, reason: 'the edit makes more than 16 named service ports' });
      }
    }
  });

  it('analyses the whole dump again when a port without chains made by an edit may take a rule outside the edit', () => {
    // A health check rule without a protocol names a service no port has: it hangs on no port, until a port of that
    // service is made before the analysis reads it (KUBE-NODEPORTS of nat comes after KUBE-SERVICES of filter).
    const lines = text.split('\n');
    const at = lines.indexOf('*nat') + 1 + lines.slice(lines.indexOf('*nat') + 1).findIndex((l) => l.startsWith('-A '));
    lines.splice(at, 0, '-A KUBE-NODEPORTS -m comment --comment "lonely/svc:hc health check node port" -j ACCEPT');
    let doc = DumpDocument.fromText('file:///d', 1, lines.join('\n'));
    assert.equal(doc.kube.dispatchByLine.get(at), undefined);
    const line = doc.lines.findIndex((l) => /^-A KUBE-SERVICES .*has no endpoints/.test(l));
    const rule = doc.lines[line];
    doc = checked(doc, rangeEdit(line, rule, rule.replace(/--comment "[^"]*"/, '--comment "lonely/svc:hc has no endpoints"')), 'renamed');
    assert.equal(doc.kubeComputation?.incremental, false);
    assert.match(doc.kubeComputation.reason, /also names lonely\/svc/);
    assert.equal(doc.kube.dispatchByLine.get(at)?.portName, 'lonely/svc:hc');
  });

  it('analyses the whole dump again when a port without chains made or gone by an edit has a namesake outside the edit', () => {
    // A health check rule goes to the first port of its name whatever the protocol: tcp's while it is there, then
    // udp's. With a protocol of its own it makes a tcp port when it finds none; without, it hangs on no port.
    for (const healthCheck of ['-p tcp -m comment --comment "ns/x:hc health check node port" -m tcp --dport 30003', '-m comment --comment "ns/x:hc health check node port"']) {
      const handMade = [
        '*filter',
        ':KUBE-EXTERNAL-SERVICES - [0:0]',
        ':KUBE-NODEPORTS - [0:0]',
        ':KUBE-SERVICES - [0:0]',
        '-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment "ns/x:hc has no endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 30001 -j REJECT --reject-with icmp-port-unreachable',
        '-A KUBE-EXTERNAL-SERVICES -p udp -m comment --comment "ns/x:hc has no endpoints" -m addrtype --dst-type LOCAL -m udp --dport 30002 -j REJECT --reject-with icmp-port-unreachable',
        `-A KUBE-NODEPORTS ${healthCheck} -j ACCEPT`,
        '-A KUBE-SERVICES -d 10.96.0.5/32 -p tcp -m comment --comment "other/y:p has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable',
        'COMMIT',
        '',
      ].join('\n');
      let doc = DumpDocument.fromText('file:///d', 1, handMade);
      assert.equal(doc.kube.dispatchByLine.get(6)?.protocol, 'tcp');
      const rule = doc.lines[4];
      doc = checked(doc, rangeEdit(4, rule, rule.replace('ns/x:hc', 'nowhere/none:x')), `renamed, ${healthCheck}`);
      assert.equal(doc.kubeComputation?.incremental, false);
      assert.match(doc.kubeComputation.reason, /ns\/x:hc(, which has a namesake| a port made by the edit)/);
      assert.equal(doc.kube.dispatchByLine.get(6)?.protocol, 'udp');
    }
  });

  it('analyses the whole dump again when edits rename a service port to the name of a port without chains', () => {
    let doc = DumpDocument.fromText('file:///d', 1, text);
    const before = doc.kube;
    // A port kube-proxy wrote only "has no endpoints" rules for, and a port with chains of the same protocol.
    const chainless = before.services.find((s) => s.chains.length === 0 && s.protocol === 'tcp' && s.portName !== undefined)!;
    // A ClusterIP port: no rule names it without jumping to its chains (that alone would call for the whole analysis).
    const renamed = before.services.find(
      (s) =>
        s.chains.length > 0 && s.protocol === 'tcp' && s.endpoints.length > 0 && s.portName !== undefined && s.dispatchRules.length === 1,
    )!;
    assert.ok(chainless && renamed);
    const token = new RegExp(`(?<=["\\s])${renamed.portName!.replace(/[/.-]/g, '\\$&')}(?=[\\s"])`, 'g');
    const lines = doc.lines.flatMap((line, i) => (line.search(token) >= 0 ? [i] : []));
    assert.ok(lines.length >= 3, `${lines.length} lines name ${renamed.portName}`);
    for (const line of lines) {
      const old = doc.lines[line];
      doc = doc.withEdits(doc.version + 1, [rangeEdit(line, old, old.replace(token, chainless.portName!))]);
    }
    const analysis = doc.kube;
    assert.equal(doc.kubeComputation?.incremental, false);
    assert.match(doc.kubeComputation.reason, /renames service port/);
    const fresh = parseLines([...doc.lines]);
    assertSameAnalysis(analysis, doc.dump, analyzeKube(fresh), fresh, 'after the renaming');
    // The chain-less port's rules now belong to the renamed port's chains.
    assert.equal(analysis.services.length, before.services.length - 1);
  });

  it('carries the analysis over an edit that changes no line, and lets go of the previous one', () => {
    const first = DumpDocument.fromText('file:///d', 1, text);
    const analysis = first.kube;
    const same = first.withEdits(2, []);
    assert.equal(same.kube, analysis);
  });

  // Large enough for the analysis to take several steps (`stepKube(0)`: one step of the analysis, 100 chains or rules).
  const larger = renderSave(generateKubeDump({ seed: 3, services: 400, maxEndpoints: 4, mix: { loadBalancer: 0.3, localPolicy: 1 } }));

  /** `doc`'s analysis run to its end in steps, as the server runs it (in the smallest slices); the number of steps. */
  function stepToTheEnd(doc: DumpDocument): number {
    let steps = 0;
    while (doc.stepKube(0) < 1) {
      steps++;
    }
    return steps;
  }

  it('runs the whole analysis in slices of about the time asked: one step of the analysis at least, all of it at most', () => {
    const smallest = DumpDocument.fromText('file:///d', 1, larger);
    const steps = stepToTheEnd(smallest);
    assert.ok(steps > 10, `${steps} steps`);
    const unbounded = DumpDocument.fromText('file:///d', 1, larger);
    assert.equal(unbounded.stepKube(Number.POSITIVE_INFINITY), 1);
    assert.equal(unbounded.wholeAnalysisPending, false);
    assertSameAnalysis(unbounded.kube, unbounded.dump, smallest.kube, smallest.dump, 'one slice against the smallest');
  });

  it('updates the analysis at once when it can (updateKube), and leaves a whole one to steps, with its reason, when not', () => {
    let doc = DumpDocument.fromText('file:///d', 1, larger);
    assert.equal(doc.wholeAnalysisPending, true);
    void doc.kube;
    ({ doc } = edit(doc, /^-A KUBE-SVC-\w+ .*--probability/, /--probability \S+/, '--probability 0.1'));
    assert.equal(doc.wholeAnalysisPending, false); // it has the previous version's to update
    doc.updateKube();
    assert.equal(doc.kubeComputation?.incremental, true);
    assert.equal(doc.wholeAnalysisPending, false);

    ({ doc } = edit(doc, /^:KUBE-SERVICES /, /^:KUBE-SERVICES/, ':KUBE-SERVICESX'));
    doc.updateKube();
    const notYet = doc.kubeComputation;
    assert.equal(notYet, undefined); // not computed yet: left to whoever runs it
    assert.equal(doc.wholeAnalysisPending, true);
    assert.ok(stepToTheEnd(doc) > 0);
    assert.equal(doc.wholeAnalysisPending, false);
    assert.equal(doc.kubeComputation?.incremental, false);
    assert.match(doc.kubeComputation.reason, /dispatch chain KUBE-SERVICES was declared/);
    const fresh = parseLines([...doc.lines]);
    assertSameAnalysis(doc.kube, doc.dump, analyzeKube(fresh), fresh, 'after the steps');
  });

  it('lets an analysis in steps go when the document is edited before it ends: the next version runs its own, whole', () => {
    let doc = DumpDocument.fromText('file:///d', 1, larger);
    assert.ok(doc.stepKube(0) < 1);
    assert.equal(doc.wholeAnalysisPending, false); // running
    ({ doc } = edit(doc, /^-A KUBE-SVC-\w+ .*--probability/, /--probability \S+/, '--probability 0.1'));
    assert.equal(doc.parseComputation?.incremental, true);
    assert.equal(doc.wholeAnalysisPending, true); // not finished by the edit: nothing to update
    stepToTheEnd(doc);
    assert.deepEqual(doc.kubeComputation, { incremental: false, reason: 'no earlier analysis to update' });
    const fresh = parseLines([...doc.lines]);
    assertSameAnalysis(doc.kube, doc.dump, analyzeKube(fresh), fresh, 'after the edit');
  });
});

type LineEditKind =
  | 'enter at end'
  | 'enter at start'
  | 'delete blank'
  | 'copy rule, same chain'
  | 'copy rule, other chain'
  | 'delete rule'
  | 'delete two rules';
const LINE_EDIT_KINDS: readonly LineEditKind[] = [
  'enter at end',
  'enter at start',
  'delete blank',
  'copy rule, same chain',
  'copy rule, other chain',
  'delete rule',
  'delete two rules',
];

/** An edit of `kind` that adds or removes whole lines around `line` (a rule line), as an editor sends it; undefined when there is none. */
function lineEdit(doc: DumpDocument, kind: LineEditKind, line: number, random: () => number): TextEdit | undefined {
  const lines = doc.lines;
  const at = (l: number, c: number): { line: number; character: number } => ({ line: l, character: c });
  const rule = doc.dump.lineOwners[line] as Rule;
  const pick = <T>(list: readonly T[]): T | undefined => list[Math.floor(random() * list.length)];
  switch (kind) {
    case 'enter at end':
      return { range: { start: at(line, lines[line].length), end: at(line, lines[line].length) }, text: '\n' };
    case 'enter at start':
      return { range: { start: at(line, 0), end: at(line, 0) }, text: '\n' };
    case 'delete blank': {
      // The nearest blank line below: backspace at its start.
      let blank = line + 1;
      while (blank < lines.length && lines[blank] !== '') {
        blank++;
      }
      if (blank >= lines.length) {
        return undefined;
      }
      return { range: { start: at(blank - 1, lines[blank - 1].length), end: at(blank, 0) }, text: '' };
    }
    case 'copy rule, same chain':
    case 'copy rule, other chain': {
      const chains = [...rule.table.chains.values()].filter(
        (c) => c.rules.length > 0 && (kind === 'copy rule, same chain') === (c === rule.chain),
      );
      const chain = pick(chains);
      const copied = chain && pick(chain.rules);
      if (copied === undefined) {
        return undefined;
      }
      // Pasted above the rule (a line and its end), or typed after it.
      return random() < 0.5
        ? { range: { start: at(line, 0), end: at(line, 0) }, text: `${copied.text}\n` }
        : { range: { start: at(line, lines[line].length), end: at(line, lines[line].length) }, text: `\n${copied.text}` };
    }
    case 'delete rule':
    case 'delete two rules': {
      const last = kind === 'delete rule' ? line : line + 1;
      if (last + 1 >= lines.length) {
        return undefined;
      }
      return { range: { start: at(line, 0), end: at(last + 1, 0) }, text: '' };
    }
  }
}

/**
 * What shiftKubeAnalysis relies on to walk each endpoint once: the endpoints that endpoint facts are reached by and
 * that endpoint rules hold are the very objects of the service ports' endpoint lists.
 */
function assertEndpointsShared(analysis: KubeAnalysis, context: string): void {
  const listed = new Set(analysis.services.flatMap((service) => [...service.endpoints, ...service.localEndpoints]));
  for (const facts of analysis.endpointsByChain.values()) {
    for (const reach of facts.reachedBy) {
      assert.ok(listed.has(reach.endpoint), `${context}: an endpoint of ${facts.chain.name} is in no service port's list`);
    }
  }
  for (const [line, facts] of analysis.endpointRuleByLine) {
    assert.ok(listed.has(facts.endpoint), `${context}: the endpoint of line ${line + 1} is in no service port's list`);
  }
}

/**
 * `doc` after `change`, checked against a fresh parse and analysis of its text: the model, every field of the analysis,
 * the order of its service ports (chains made, gone or moved may change it: the Services view's pages follow it) and
 * the endpoints it shares. The path the edit took goes into `tally` as `LABEL in GROUP: model …, analysis …`.
 */
function editAndCheck(doc: DumpDocument, change: TextEdit, label: string, group: string, context: string, tally: Map<string, number>): DumpDocument {
  const next = doc.withEdits(doc.version + 1, [change]);
  const where = `${context}: ${label} ${JSON.stringify(change)}`;
  const fresh = parseLines([...next.lines]);
  assert.deepStrictEqual(modelSnapshot(next.dump), modelSnapshot(fresh), `${where}: model differs`);
  const freshAnalysis = analyzeKube(fresh);
  assertSameAnalysis(next.kube, next.dump, freshAnalysis, fresh, where);
  const labels = (analysis: KubeAnalysis): string[] => analysis.services.map((service) => service.label);
  assert.deepStrictEqual(labels(next.kube), labels(freshAnalysis), `${where}: order`);
  assertEndpointsShared(next.kube, where);
  const parsed = next.parseComputation!;
  const computed = next.kubeComputation!;
  bump(tally, `${label} in ${group}: model ${parsed.incremental ? parsed.edit : 'parsed'}, analysis ${computed.incremental ? 'incremental' : 'whole'}`);
  return next;
}

/**
 * `doc` after `changes` (an edit and the edits that take it back), each checked by `editAndCheck`; the text and every
 * field of the analysis must be what they were before the first.
 */
function editAndUndo(doc: DumpDocument, changes: readonly [string, TextEdit][], group: string, context: string, tally: Map<string, number>): DumpDocument {
  const textBefore = doc.lines.join('\n');
  const analysisBefore = canonical(doc.kube, doc.dump);
  for (const [label, change] of changes) {
    doc = editAndCheck(doc, change, label, group, context, tally);
  }
  const step = context.replace(/, line \d+$/, '');
  assert.equal(doc.lines.join('\n'), textBefore, `${step}: the text is back`);
  assert.deepStrictEqual(canonical(doc.kube, doc.dump), analysisBefore, `${step}: the analysis is back`);
  return doc;
}

/**
 * Applies `steps` random edits that add or remove lines (with some rule edits in between, and sometimes two or
 * three edits before the analysis is asked for) and checks the model and the analysis after each against a
 * fresh parse and analysis of the same text. Tallies which path each edit took.
 */
function checkRandomLineEdits(text: string, seed: number, steps: number, context: string, tally: Map<string, number>): void {
  const random = seededRandom(seed);
  let doc = DumpDocument.fromText('file:///dump', 1, text);
  let version = 1;
  void doc.kube;
  let pending: string[] = [];
  for (let step = 0; step < steps; step++) {
    const ruleLines: number[] = [];
    doc.dump.lineOwners.forEach((owner, line) => {
      if (owner !== undefined && 'bodyStart' in owner && ruleGroup(owner) !== 'other') {
        ruleLines.push(line);
      }
    });
    const line = ruleLines[Math.floor(random() * ruleLines.length)];
    if (line === undefined) {
      return;
    }
    let change: TextEdit | undefined;
    let label: string;
    if (random() < 0.15) {
      const before = doc.lines[line];
      const after = editedLine(before, EDIT_KINDS[Math.floor(random() * EDIT_KINDS.length)], random, []);
      change = after === undefined || after === before ? undefined : rangeEdit(line, before, after);
      label = 'rule edit';
    } else {
      label = LINE_EDIT_KINDS[Math.floor(random() * LINE_EDIT_KINDS.length)];
      change = lineEdit(doc, label as LineEditKind, line, random);
    }
    if (change === undefined) {
      continue;
    }
    const group = ruleGroup(doc.dump.lineOwners[line] as Rule);
    doc = doc.withEdits(++version, [change]);
    const parsed = doc.parseComputation!;
    pending.push(`${label} in ${group}: model ${parsed.incremental ? parsed.edit : 'parsed'}`);
    const where = `${context}, step ${step}, line ${line + 1}: ${label} ${JSON.stringify(change)}`;
    const fresh = parseLines([...doc.lines]);
    assert.deepStrictEqual(modelSnapshot(doc.dump), modelSnapshot(fresh), `${where}: model differs`);
    if (random() < 0.3) {
      continue; // edits arrive faster than requests: the next analysis starts from an older one
    }
    assertSameAnalysis(doc.kube, doc.dump, analyzeKube(fresh), fresh, where);
    assertEndpointsShared(doc.kube, where);
    const computed = doc.kubeComputation!;
    for (const edit of pending) {
      bump(
        tally,
        `${edit}, analysis ${computed.incremental ? 'incremental' : `whole (${computed.reason.replace(/line \d+|\d+ chains|KUBE-\w+-\w+|service port .*/g, '…')})`}`,
      );
    }
    pending = [];
  }
}

describe('model and kube analysis after edits that add or remove lines (incremental) equal a fresh parse and analysis', function () {
  this.timeout(300_000);
  const { tally, count } = pathTally();

  const generated: [string, () => string][] = [];
  for (const seed of [11, 12]) {
    const dump = generateKubeDump({ seed, services: 25, maxEndpoints: 5 });
    generated.push([`seed ${seed} save`, () => renderSave(dump)]);
    generated.push([`seed ${seed} -L -n -v`, () => renderListing(dump)]);
  }
  generated.push([
    'seed 13 -L -n -v -x --line-numbers',
    () => renderListing(generateKubeDump({ seed: 13, services: 20 }), { exactWithLineNumbers: true }),
  ]);
  generated.push([
    'seed 14 restore input, no endpoint comments',
    () => renderRestore(generateKubeDump({ seed: 14, services: 25, comments: false })),
  ]);
  generated.push([
    'seed 15 IPv4 and IPv6 save pasted together',
    () =>
      renderSave(generateKubeDump({ seed: 15, services: 12, minEndpoints: 1 })) +
      renderSave(generateKubeDump({ seed: 15, services: 12, minEndpoints: 1, family: 6 })),
  ]);
  generated.push([
    'seed 16 save with load balancers and Local policy',
    () => renderSave(generateKubeDump({ seed: 16, services: 30, maxEndpoints: 4, mix: { loadBalancer: 0.3, localPolicy: 1 } })),
  ]);
  for (const [name, render] of generated) {
    it(`generated: ${name}`, () => {
      checkRandomLineEdits(render(), name.length * 7907, 120, name, tally);
    });
  }
  for (const file of corpusFiles()) {
    it(`corpus: ${file}`, () => {
      checkRandomLineEdits(readCorpus(file), file.length * 104723, 60, file, tally);
    });
  }

  it('followed blank lines and inserted or removed kube-proxy rules in place, and updated the analysis incrementally', () => {
    for (const edit of ['enter at end', 'enter at start', 'delete blank']) {
      const incremental = count(new RegExp(`^${edit} in .*model blank-lines, analysis incremental`));
      assert.ok(incremental > 100, `${edit}: ${incremental} incremental`);
    }
    // In -L dumps, rows pasted or deleted re-read their chain's rows (list-rows).
    for (const [edit, model] of [
      ['copy rule, same chain', '(rules-inserted|list-rows)'],
      ['delete rule', '(rules-removed|list-rows)'],
    ]) {
      for (const group of ['KUBE-SEP', 'KUBE-SVC/SVL', 'dispatch']) {
        const incremental = count(new RegExp(`^${edit} in ${group.replace('/', '\\/')}: model ${model}, analysis incremental`));
        assert.ok(incremental > 10, `${edit} in ${group}: ${incremental} incremental`);
      }
    }
    // Enter among an -L chain's rows ends the chain there: its rows are read again.
    const listed = count(/^enter at (end|start) in .*model list-rows, analysis incremental/);
    assert.ok(listed > 50, `Enter among -L rows: ${listed} incremental`);
    assert.equal(count(/the update failed/), 0);
  });
});

describe('a rule line split by Enter and joined again by Backspace (in place) equals a fresh parse and analysis', function () {
  this.timeout(300_000);
  const { tally, count } = pathTally();

  const texts = withCorpus(
    [
      ['seed 31 save', () => renderSave(generateKubeDump({ seed: 31, services: 30, maxEndpoints: 4 }))],
      ['seed 32 restore input', () => renderRestore(generateKubeDump({ seed: 32, services: 25 }))],
      ["seed 33 save, x typed at a rule's end first", () => renderSave(generateKubeDump({ seed: 33, services: 25 }))],
    ],
    /^-A /m,
  );

  /**
   * Splits random kube-proxy rule lines at a random character (or before an `x` typed at the end, as a user
   * typing on and pressing Enter leaves a line no reader takes) and joins them again, asking for the analysis
   * after each edit, and checks the model and the analysis against a fresh parse and analysis of the text.
   */
  for (const [name, text] of texts) {
    it(name, () => {
      const random = seededRandom(name.length * 4099);
      let doc = DumpDocument.fromText('file:///dump', 1, text());
      void doc.kube;
      const typeX = name.includes('x typed');
      for (let step = 0; step < 40; step++) {
        const ruleLines = kubeRuleLines(doc);
        const line = ruleLines[Math.floor(random() * ruleLines.length)];
        if (line === undefined) {
          return;
        }
        const group = ruleGroup(doc.dump.lineOwners[line] as Rule);
        const at = (character: number): { line: number; character: number } => ({ line, character });
        let length = doc.lines[line].length;
        const changes: [string, TextEdit][] = [];
        if (typeX) {
          changes.push(['x typed', { range: { start: at(length), end: at(length) }, text: 'x' }]);
        }
        const split = typeX ? length : 1 + Math.floor(random() * (length - 1));
        length += typeX ? 1 : 0;
        changes.push(['split', { range: { start: at(split), end: at(split) }, text: '\n' }]);
        changes.push(['joined', { range: { start: at(split), end: { line: line + 1, character: 0 } }, text: '' }]);
        if (typeX) {
          changes.push(['x deleted', { range: { start: at(length - 1), end: at(length) }, text: '' }]);
        }
        for (const [label, change] of changes) {
          doc = doc.withEdits(doc.version + 1, [change]);
          const where = `${name}, step ${step}, line ${line + 1}: ${label} ${JSON.stringify(change)}`;
          const fresh = parseLines([...doc.lines]);
          assert.deepStrictEqual(modelSnapshot(doc.dump), modelSnapshot(fresh), `${where}: model differs`);
          assertSameAnalysis(doc.kube, doc.dump, analyzeKube(fresh), fresh, where);
          const parsed = doc.parseComputation!;
          const computed = doc.kubeComputation!;
          bump(
            tally,
            `${label} in ${group}: model ${parsed.incremental ? parsed.edit : 'parsed'}, analysis ${computed.incremental ? 'incremental' : 'whole'}`,
          );
        }
      }
    });
  }

  it('followed most splits and joins in place, with the analysis updated incrementally', () => {
    for (const label of ['split', 'joined']) {
      for (const group of ['KUBE-SEP', 'KUBE-SVC/SVL', 'dispatch']) {
        const incremental = count(new RegExp(`^${label} in ${group.replace('/', '\\/')}: model lines-replaced, analysis incremental`));
        assert.ok(incremental > 10, `${label} in ${group}: ${incremental} incremental`);
      }
    }
  });
});

describe("-L: a blank line typed among a chain's rows and deleted again (incremental) equals a fresh parse and analysis", function () {
  this.timeout(300_000);
  const { tally, count } = pathTally();

  const texts = withCorpus(
    [
      ...[21, 22].map((seed): [string, () => string] => [
        `seed ${seed} -L -n -v`,
        () => renderListing(generateKubeDump({ seed, services: 25, maxEndpoints: 5 })),
      ]),
      ['seed 23 -L -n -v -x --line-numbers', () => renderListing(generateKubeDump({ seed: 23, services: 20 }), { exactWithLineNumbers: true })],
    ],
    /^Chain /m,
  );

  /**
   * Types Enter at the end of random lines of -L chains (a row, a `Chain` header, a column header) and deletes the
   * blank line again, checking the model and the analysis after each edit against a fresh parse and analysis, the
   * path taken, and that the deletion gives back the text and the analysis from before the Enter.
   */
  for (const [name, text] of texts) {
    it(name, () => {
      const random = seededRandom(name.length * 7901);
      let doc = DumpDocument.fromText('file:///dump', 1, text());
      void doc.kube;
      const listLines: number[] = [];
      doc.dump.lineOwners.forEach((owner, line) => {
        if (owner !== undefined && ('bodyStart' in owner || 'rules' in owner) && owner.table.format === 'list') {
          listLines.push(line, line + 1); // a row or a header, and the line after a header (its column header)
        }
      });
      assert.ok(listLines.length > 0, `${name} has -L chains`);
      for (let step = 0; step < 60; step++) {
        const line = listLines[Math.floor(random() * listLines.length)];
        const lines = doc.lines;
        if (line >= lines.length - 1 || lines[line] === '') {
          continue;
        }
        const owner = doc.dump.lineOwners[line];
        const group = owner !== undefined && 'bodyStart' in owner ? ruleGroup(owner) : 'header';
        const textBefore = lines.join('\n');
        const analysisBefore = canonical(doc.kube, doc.dump);
        // A blank line changes nothing above a blank line or a header; else it ends the chain's rows there.
        const below = lines[line + 1];
        const expected = below.trim() === '' || below.startsWith('Chain ') ? 'blank-lines' : 'list-rows';
        const end = lines[line].length;
        const enter: TextEdit = { range: { start: { line, character: end }, end: { line, character: end } }, text: '\n' };
        const backspace: TextEdit = { range: { start: { line, character: end }, end: { line: line + 1, character: 0 } }, text: '' };
        for (const [what, change] of [
          ['enter', enter],
          ['delete', backspace],
        ] as const) {
          doc = doc.withEdits(doc.version + 1, [change]);
          const where = `${name}, step ${step}, line ${line + 1}: ${what} ${JSON.stringify(change)}`;
          const parsed = doc.parseComputation!;
          assert.equal(parsed.incremental ? parsed.edit : 'parsed', expected, where);
          const fresh = parseLines([...doc.lines]);
          assert.deepStrictEqual(modelSnapshot(doc.dump), modelSnapshot(fresh), `${where}: model differs`);
          if (what === 'enter' && random() < 0.3) {
            continue; // edits arrive faster than requests: the deletion's analysis starts from the one before the Enter
          }
          assertSameAnalysis(doc.kube, doc.dump, analyzeKube(fresh), fresh, where);
          assertEndpointsShared(doc.kube, where);
          const computed = doc.kubeComputation!;
          bump(
            tally,
            `${what} in ${group}: ${expected}, analysis ${computed.incremental ? 'incremental' : `whole (${computed.reason.replace(/line \d+|\d+ chains|KUBE-\w+-\w+|service port .*/g, '…')})`}`,
          );
        }
        assert.equal(doc.lines.join('\n'), textBefore, `${name}, step ${step}: the text is back`);
        assert.deepStrictEqual(canonical(doc.kube, doc.dump), analysisBefore, `${name}, step ${step}: the analysis is back`);
      }
    });
  }

  it('re-read the rows in place and updated the analysis incrementally', () => {
    for (const what of ['enter', 'delete']) {
      for (const group of ['KUBE-SEP', 'KUBE-SVC/SVL', 'header']) {
        const incremental = count(new RegExp(`^${what} in ${group.replace('/', '\\/')}: list-rows, analysis incremental`));
        const whole = count(new RegExp(`^${what} in ${group.replace('/', '\\/')}: list-rows, analysis whole`));
        assert.ok(incremental > 10 && incremental >= 5 * whole, `${what} in ${group}: ${incremental} incremental, ${whole} whole`);
      }
    }
    assert.ok(count(/^(enter|delete) in dispatch: list-rows, analysis incremental/) > 10);
    assert.equal(count(/the update failed/), 0);
  });
});

describe('a rule commented out and back in, and a note typed beside it (in place), equal a fresh parse and analysis', function () {
  this.timeout(300_000);
  const { tally, count } = pathTally();

  const texts = withCorpus(
    [
      ['seed 41 save', () => renderSave(generateKubeDump({ seed: 41, services: 30, maxEndpoints: 4 }))],
      ['seed 42 restore input', () => renderRestore(generateKubeDump({ seed: 42, services: 25 }))],
      ['seed 43 -L -n -v --line-numbers', () => renderListing(generateKubeDump({ seed: 43, services: 20 }), { exactWithLineNumbers: true })],
    ],
    /^-A KUBE-/m,
  );

  /**
   * Comments out a random kube-proxy rule (`#` typed before it), types a note on a line of its own above it, asks
   * for the analysis, then takes both back; checks the model and the analysis after each edit against a fresh parse
   * and analysis, and that the text and the analysis are back at the end.
   */
  for (const [name, text] of texts) {
    it(name, () => {
      const random = seededRandom(name.length * 6151);
      let doc = DumpDocument.fromText('file:///dump', 1, text());
      void doc.kube;
      for (let step = 0; step < 30; step++) {
        const ruleLines = kubeRuleLines(doc);
        const line = ruleLines[Math.floor(random() * ruleLines.length)];
        const group = ruleGroup(doc.dump.lineOwners[line] as Rule);
        const at = (l: number, character: number): { line: number; character: number } => ({ line: l, character });
        const note = '# why this endpoint?';
        const changes: [string, TextEdit][] = [
          ['commented out', { range: { start: at(line, 0), end: at(line, 0) }, text: '#' }],
          ['note typed', { range: { start: at(line, 0), end: at(line, 0) }, text: `${note}\n` }],
          ['commented back in', { range: { start: at(line + 1, 0), end: at(line + 1, 1) }, text: '' }],
          ['note deleted', { range: { start: at(line, 0), end: at(line + 1, 0) }, text: '' }],
        ];
        doc = editAndUndo(doc, changes, group, `${name}, step ${step}, line ${line + 1}`, tally);
      }
    });
  }

  it('followed them in place, with the analysis updated incrementally', () => {
    for (const group of ['KUBE-SEP', 'KUBE-SVC/SVL', 'dispatch']) {
      for (const label of ['commented out', 'commented back in']) {
        const incremental = count(new RegExp(`^${label} in ${group.replace('/', '\\/')}: model lines-replaced, analysis incremental`));
        assert.ok(incremental > 10, `${label} in ${group}: ${incremental} incremental`);
      }
      for (const label of ['note typed', 'note deleted']) {
        const incremental = count(new RegExp(`^${label} in ${group.replace('/', '\\/')}: model comment-lines, analysis incremental`));
        assert.ok(incremental > 10, `${label} in ${group}: ${incremental} incremental`);
      }
    }
  });
});

describe("a chain's declaration or -L header retyped or commented out (in place) equals a fresh parse and analysis", function () {
  this.timeout(300_000);
  const { tally, count } = pathTally();

  const texts = withCorpus(
    [
      ['seed 41 save', () => renderSave(generateKubeDump({ seed: 41, services: 30, maxEndpoints: 4 }))],
      ['seed 42 restore input', () => renderRestore(generateKubeDump({ seed: 42, services: 25 }))],
      ['seed 43 -L -n -v', () => renderListing(generateKubeDump({ seed: 43, services: 20 }))],
      // Without comments, a service chain renamed in its header can make a nameless port of its own.
      ['seed 44 -L -n -v, no comments', () => renderListing(generateKubeDump({ seed: 44, services: 20, comments: false }))],
    ],
    /^(:|Chain )KUBE-SEP-/m,
  );

  /** The group of the chain a declaration or `-L` header declares, for the tally. */
  const declaredGroup = (doc: DumpDocument, line: number): string => {
    const owner = doc.dump.lineOwners[line];
    const name = owner !== undefined && 'rules' in owner ? owner.name : '';
    const kind = chainKind(name);
    return kind === 'endpoint'
      ? 'KUBE-SEP'
      : kind === 'service' || kind === 'service-local'
        ? 'KUBE-SVC/SVL'
        : kind === 'external' || kind === 'firewall' || kind === 'external-local'
          ? 'KUBE-EXT/FW/XLB'
          : 'other';
  };

  /**
   * Types a character at the end of a random chain's name in its declaration (a save table's `:NAME …`, or an `-L`
   * user chain's `Chain NAME (…)`), and in a save table comments a declaration out; asks for the analysis after each
   * edit, then takes the edit back. Checks the model and the analysis after each edit against a fresh parse and
   * analysis, and that the text and the analysis are back at the end.
   */
  for (const [name, text] of texts) {
    it(name, () => {
      const random = seededRandom(name.length * 7919);
      let doc = DumpDocument.fromText('file:///dump', 1, text());
      void doc.kube;
      const declarations = doc.lines.flatMap((line, i) => (/^:\S+ \S+/.test(line) || /^Chain \S+ \(\d+ references\)/.test(line) ? [i] : []));
      for (let step = 0; step < 40; step++) {
        const line = declarations[Math.floor(random() * declarations.length)];
        const group = declaredGroup(doc, line);
        const before = doc.lines[line];
        const nameEnd = before.indexOf(' ', before.startsWith(':') ? 1 : 6);
        const at = (character: number): { line: number; character: number } => ({ line, character });
        const typed = String.fromCharCode(65 + Math.floor(random() * 26));
        const commentOut: [string, TextEdit] = ['commented out', { range: { start: at(0), end: at(0) }, text: '#' }];
        const commentIn: [string, TextEdit] = ['commented back in', { range: { start: at(0), end: at(1) }, text: '' }];
        const typeName: [string, TextEdit] = ['name typed', { range: { start: at(nameEnd), end: at(nameEnd) }, text: typed }];
        const deleteTyped: [string, TextEdit] = ['typed name deleted', { range: { start: at(nameEnd), end: at(nameEnd + 1) }, text: '' }];
        const pick = before.startsWith(':') ? random() : 1;
        // The third: a chain with no rule (the new name's) declared, then commented out: it is gone, and with it what the
        // analysis said about it on that line.
        const changes: [string, TextEdit][] =
          pick < 0.3 ? [commentOut, commentIn] : pick < 0.6 ? [typeName, commentOut, commentIn, deleteTyped] : [typeName, deleteTyped];
        doc = editAndUndo(doc, changes, group, `${name}, step ${step}, line ${line + 1}`, tally);
      }
    });
  }

  it("followed endpoint and service chains' declarations in place, with the analysis updated incrementally", () => {
    for (const group of ['KUBE-SEP', 'KUBE-SVC/SVL']) {
      for (const label of ['name typed', 'typed name deleted', 'commented out', 'commented back in']) {
        const incremental = count(new RegExp(`^${label} in ${group.replace('/', '\\/')}: model declaration, analysis incremental`));
        assert.ok(incremental > 10, `${label} in ${group}: ${incremental} incremental`);
      }
    }
    // A service chain renamed (an `-L` header retyped) takes its rules, and the names in their comments, to a port of
    // its own; renamed back, the dispatch rules that jump to it again: followed too, as a rule.
    for (const group of ['KUBE-SVC/SVL', 'KUBE-EXT/FW/XLB']) {
      for (const label of ['name typed', 'typed name deleted']) {
        const prefix = `^${label} in ${group.replace('/', '\\/')}: model declaration, analysis`;
        const incremental = count(new RegExp(`${prefix} incremental`));
        const whole = count(new RegExp(`${prefix} whole`));
        assert.ok(incremental > 4 * whole, `${label} in ${group}: ${incremental} incremental, ${whole} whole`);
      }
    }
  });
});

describe("a character typed in a rule's chain name and deleted (in place) equals a fresh parse and analysis", function () {
  this.timeout(300_000);
  const { tally, count } = pathTally();

  const texts = withCorpus(
    [
      ['seed 41 save', () => renderSave(generateKubeDump({ seed: 41, services: 30, maxEndpoints: 4 }))],
      ['seed 42 restore input', () => renderRestore(generateKubeDump({ seed: 42, services: 25 }))],
    ],
    /^-A KUBE-SEP-/m,
  );

  /**
   * Types a character at the end of the chain name of a random kube-proxy rule (`-A KUBE-SEP-…Z`: the rule of a chain
   * it makes, which no line declares) and deletes it again (the chain is gone); checks the model and the analysis
   * after each edit against a fresh parse and analysis, and that the text and the analysis are back at the end.
   */
  for (const [name, text] of texts) {
    it(name, () => {
      const random = seededRandom(name.length * 104729);
      let doc = DumpDocument.fromText('file:///dump', 1, text());
      void doc.kube;
      const ruleLines = kubeRuleLines(doc).filter((line) => doc.lines[line].startsWith('-A '));
      for (let step = 0; step < 30; step++) {
        const line = ruleLines[Math.floor(random() * ruleLines.length)];
        const group = ruleGroup(doc.dump.lineOwners[line] as Rule);
        const nameEnd = doc.lines[line].indexOf(' ', 3);
        const at = (character: number): { line: number; character: number } => ({ line, character });
        const changes: [string, TextEdit][] = [
          ['typed', { range: { start: at(nameEnd), end: at(nameEnd) }, text: 'Z' }],
          ['deleted', { range: { start: at(nameEnd), end: at(nameEnd + 1) }, text: '' }],
        ];
        doc = editAndUndo(doc, changes, group, `${name}, step ${step}, line ${line + 1}`, tally);
      }
    });
  }

  it('followed the rules of endpoint and service chains in place, with the analysis updated incrementally', () => {
    // A service chain's rule moved to a chain of a new name makes a port of its own, named by the rule's comment.
    for (const group of ['KUBE-SEP', 'KUBE-SVC/SVL', 'KUBE-EXT/FW/XLB']) {
      for (const label of ['typed', 'deleted']) {
        const prefix = `^${label} in ${group.replace('/', '\\/')}: model lines-replaced, analysis`;
        const incremental = count(new RegExp(`${prefix} incremental`));
        assert.ok(incremental > 10 && count(new RegExp(`${prefix} whole`)) === 0, `${label} in ${group}: ${incremental} incremental`);
      }
    }
  });
});

describe('declarations retyped among other edits, several before the analysis is asked for, equal a fresh parse and analysis', function () {
  this.timeout(300_000);
  const { tally, count } = pathTally();

  /**
   * Random edits of four kinds, and the analysis asked for after about half of them only (edits arrive faster than
   * requests: the next analysis then starts from one several edits old): a character typed at the end of a random
   * declaration's name or deleted again, Enter typed at the end of a random rule line (the lines below move, the
   * declarations' among them) or that empty line deleted, and a space typed at the end of a random kube-proxy rule.
   * Each time the analysis is asked for, the model and the analysis are compared with a fresh parse and analysis.
   */
  for (const [name, text] of [
    ['seed 41 save', () => renderSave(generateKubeDump({ seed: 41, services: 30, maxEndpoints: 4 }))],
    ['seed 42 restore input', () => renderRestore(generateKubeDump({ seed: 42, services: 25 }))],
  ] as const) {
    it(name, () => {
      const random = seededRandom(name.length * 15485863);
      let doc = DumpDocument.fromText('file:///dump', 1, text());
      void doc.kube;
      const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
      const at = (line: number, character: number): { line: number; character: number } => ({ line, character });
      let pending: string[] = [];
      for (let step = 0; step < 80; step++) {
        const lines = doc.lines;
        const declarations = lines.flatMap((line, i) => (/^:KUBE-SEP-\S+ /.test(line) ? [i] : []));
        const typedIn = lines.flatMap((line, i) => (/^:KUBE-SEP-\S+Q /.test(line) ? [i] : []));
        const blanks = lines.flatMap((line, i) => (line === '' && i < lines.length - 1 && lines[i - 1]?.startsWith('-A ') ? [i] : []));
        const rules = kubeRuleLines(doc);
        const commented = lines.flatMap((line, i) => (line.startsWith('#:KUBE-SEP-') ? [i] : []));
        const kind = pick([
          'type in a declaration',
          'delete what was typed',
          'comment out a declaration typed in',
          'comment back in',
          'Enter after a rule',
          'delete an empty line',
          'space after a rule',
        ]);
        let change: TextEdit | undefined;
        if (kind === 'type in a declaration') {
          const line = pick(declarations);
          const nameEnd = lines[line].indexOf(' ');
          change = { range: { start: at(line, nameEnd), end: at(line, nameEnd) }, text: 'Q' };
        } else if (kind === 'delete what was typed' && typedIn.length > 0) {
          const line = pick(typedIn);
          const nameEnd = lines[line].indexOf(' ');
          change = { range: { start: at(line, nameEnd - 1), end: at(line, nameEnd) }, text: '' };
        } else if (kind === 'comment out a declaration typed in' && typedIn.length > 0) {
          // A chain without rules (the name typed), with the analysis's warning on its line: gone, and the warning.
          const line = pick(typedIn);
          change = { range: { start: at(line, 0), end: at(line, 0) }, text: '#' };
        } else if (kind === 'comment back in' && commented.length > 0) {
          const line = pick(commented);
          change = { range: { start: at(line, 0), end: at(line, 1) }, text: '' };
        } else if (kind === 'Enter after a rule') {
          const line = pick(rules);
          change = { range: { start: at(line, lines[line].length), end: at(line, lines[line].length) }, text: '\n' };
        } else if (kind === 'delete an empty line' && blanks.length > 0) {
          const line = pick(blanks);
          change = { range: { start: at(line - 1, lines[line - 1].length), end: at(line, 0) }, text: '' };
        } else if (kind === 'space after a rule') {
          const line = pick(rules);
          change = { range: { start: at(line, lines[line].length), end: at(line, lines[line].length) }, text: ' ' };
        }
        if (change === undefined) {
          continue;
        }
        doc = doc.withEdits(doc.version + 1, [change]);
        pending.push(`${kind} ${JSON.stringify(change)}`);
        if (random() < 0.5) {
          continue; // the next edit comes before the analysis is asked for
        }
        const where = `${name}, step ${step}, after ${pending.join('; ')}`;
        const fresh = parseLines([...doc.lines]);
        assert.deepStrictEqual(modelSnapshot(doc.dump), modelSnapshot(fresh), `${where}: model differs`);
        assertSameAnalysis(doc.kube, doc.dump, analyzeKube(fresh), fresh, where);
        assertEndpointsShared(doc.kube, where);
        const computed = doc.kubeComputation!;
        bump(tally, `${pending.length} edit${pending.length === 1 ? '' : 's'}${pending.some((e) => /^(type in|delete what|comment)/.test(e)) ? ', a declaration among them' : ''}: analysis ${computed.incremental ? 'incremental' : `whole (${computed.reason.replace(/line \d+|\d+ chains|KUBE-\w+-\w+/g, '…')})`}`);
        pending = [];
      }
    });
  }

  it('updated the analysis incrementally after most batches with a declaration in them', () => {
    const incremental = count(/a declaration among them: analysis incremental/);
    const whole = count(/a declaration among them: analysis whole/);
    assert.ok(incremental > 20 && incremental > 4 * whole, `${incremental} incremental, ${whole} whole`);
  });
});

describe('comment-only dispatch rules renamed, deleted and pasted (in place) equal a fresh parse and analysis', function () {
  this.timeout(300_000);
  const { tally, count } = pathTally();
  const mix = { loadBalancer: 0.3, localPolicy: 0.5 };
  const texts = withCorpus(
    [
      ['seed 51 save', () => renderSave(generateKubeDump({ seed: 51, services: 30, maxEndpoints: 3, mix }))],
      ['seed 52 -L -n -v', () => renderListing(generateKubeDump({ seed: 52, services: 25, maxEndpoints: 3, mix }))],
      ['seed 53 restore input', () => renderRestore(generateKubeDump({ seed: 53, services: 25, maxEndpoints: 3, mix }))],
      [
        'seed 54 IPv4 and IPv6 save pasted together',
        () =>
          renderSave(generateKubeDump({ seed: 54, services: 12, maxEndpoints: 3, mix })) +
          renderSave(generateKubeDump({ seed: 54, services: 12, maxEndpoints: 3, mix, family: 6 })),
      ],
    ],
    /has no endpoints|health check node port/,
  );
  /** A `namespace/name[:port]` token, as kube-proxy writes a service port in a comment. */
  const identityToken = /(?<=["\s*])[a-z0-9](?:[-a-z0-9]*[a-z0-9])?\/[a-z](?:[-a-z0-9]*[a-z0-9])?(?::[A-Za-z0-9-]*)?(?=[\s"*])/;

  /** Lines of rules that name a service port in a comment without jumping to a service chain ("has no endpoints" …). */
  function namingRuleLines(doc: DumpDocument): number[] {
    const lines: number[] = [];
    doc.dump.lineOwners.forEach((owner, line) => {
      if (owner === undefined || !('bodyStart' in owner) || !DISPATCH_KINDS.has(chainKind(owner.chain.name))) {
        return;
      }
      const target = owner.targetName;
      const comment = ruleComment(owner);
      if ((target === undefined || !isServiceChainKind(chainKind(target))) && comment !== undefined && parseKubeComment(comment) !== undefined) {
        lines.push(line);
      }
    });
    return lines;
  }

  /**
   * Random edits of such rules: the service port renamed (to another port of the dump, to a port no rule names, or by
   * a character typed in its name), the rule deleted, or a copy pasted below it; each checked against a fresh parse
   * and analysis of the text (the model, every field of the analysis, the order of the ports).
   */
  for (const [name, text] of texts) {
    it(name, () => {
      const random = seededRandom(name.length * 7411);
      let doc = DumpDocument.fromText('file:///dump', 1, text());
      void doc.kube;
      for (let step = 0; step < 40; step++) {
        const lines = namingRuleLines(doc);
        if (lines.length === 0) {
          break;
        }
        const line = lines[Math.floor(random() * lines.length)];
        const before = doc.lines[line];
        const kind = chainKind((doc.dump.lineOwners[line] as Rule).chain.name);
        const pick = random();
        let change: TextEdit;
        let label: string;
        if (pick < 0.5) {
          const token = identityToken.exec(before)![0];
          const named = doc.kube.services.filter((service) => service.portName !== undefined);
          const to =
            pick < 0.2 && named.length > 0
              ? named[Math.floor(random() * named.length)].portName!
              : pick < 0.35
                ? `fuzz/svc-${Math.floor(random() * 4)}:p`
                : `${token.split(':')[0]}x${token.includes(':') ? `:${token.split(':')[1]}` : ''}`;
          change = rangeEdit(line, before, before.replace(token, to));
          label = pick < 0.2 ? 'renamed to a port of the dump' : pick < 0.35 ? 'renamed to a new port' : 'a character typed in the name';
        } else if (pick < 0.75) {
          change = { range: { start: { line, character: 0 }, end: { line: line + 1, character: 0 } }, text: '' };
          label = 'deleted';
        } else {
          change = { range: { start: { line: line + 1, character: 0 }, end: { line: line + 1, character: 0 } }, text: `${before}\n` };
          label = 'pasted below';
        }
        doc = editAndCheck(doc, change, label, kind, `${name}, step ${step}, line ${line + 1}`, tally);
      }
    });
  }

  it('updated the analysis incrementally after most of them', () => {
    const incremental = count(/analysis incremental/);
    const whole = count(/analysis whole/);
    assert.ok(incremental > 3 * whole, `${incremental} incremental, ${whole} whole`);
  });
});
