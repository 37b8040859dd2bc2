// Real iptables as the oracle: rulesets loaded into a kernel and printed back in every format must parse to the same structure.
//
// Each ruleset (the loadable corpus files and generated kube-proxy rulesets) goes into a fresh network namespace
// with real `iptables-restore`; real iptables prints it back as `iptables-save`, `iptables-save -c`, `iptables -S`,
// `iptables -L -n -v`, `iptables -L -n -v -x --line-numbers` and plain `iptables -L`, table after table the way a
// user pastes them. The reference is read from `iptables -S` here with a tokenizer of the test's own (one table per
// command, so its table is known): every parse must find the same tables, chains, rule counts and jumps, and no
// error. Needs root and iptables; without them the suite fails and says so.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseDump } from '../../server/src/parse/index';
import type { Dump } from '../../server/src/model/types';
import { generateKubeDump, renderRestore, type GeneratedKubeDump, type KubeDumpOptions } from '../support/generateKubeDump';
import { NetworkNamespace, requireNetnsIptables, type IptablesFlavour } from '../support/netns';

const CORPUS = path.resolve(__dirname, '../../../shared/corpus');

/** A table's structure: per chain, its rule count and the chains its rules jump or go to. */
type TableShape = Map<string, { rules: number; jumps: Set<string> }>;
type DumpShape = Map<string, TableShape>;

/** Splits a `-S` line into words as a shell would: double quotes group, backslash escapes the next character. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (c === '"') {
      quoted = !quoted;
      inWord = true;
    } else if (c === ' ' && !quoted) {
      if (inWord) {
        words.push(word);
      }
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) {
    words.push(word);
  }
  return words;
}

/** The reference shape of one table from real `iptables -t TABLE -S` output. */
function shapeFromSpec(spec: string): TableShape {
  const shape: TableShape = new Map();
  const targets: [string, string][] = [];
  for (const line of spec.split('\n')) {
    const words = shellWords(line);
    if (words[0] === '-P' || words[0] === '-N') {
      shape.set(words[1], { rules: 0, jumps: new Set() });
    } else if (words[0] === '-A') {
      const chain = shape.get(words[1]);
      assert.ok(chain, `iptables -S printed a rule of ${words[1]} before declaring it: ${line}`);
      chain.rules += 1;
      const jump = words.findIndex((w, i) => i > 1 && (w === '-j' || w === '-g'));
      if (jump > 0) {
        targets.push([words[1], words[jump + 1]]);
      }
    } else if (line.trim() !== '') {
      assert.fail(`unexpected line in iptables -S output: ${line}`);
    }
  }
  for (const [chain, target] of targets) {
    if (shape.has(target)) {
      shape.get(chain)?.jumps.add(target);
    }
  }
  return shape;
}

/** The same shape from the parser's model. */
function shapeFromDump(dump: Dump): DumpShape {
  const shape: DumpShape = new Map();
  for (const table of dump.tables) {
    assert.ok(!shape.has(table.name), `the parse has table ${table.name} twice`);
    const tableShape: TableShape = new Map();
    for (const chain of table.chains.values()) {
      const jumps = new Set<string>();
      for (const rule of chain.rules) {
        if (rule.target && table.chains.has(rule.target.name)) {
          jumps.add(rule.target.name);
        }
      }
      tableShape.set(chain.name, { rules: chain.rules.length, jumps });
    }
    shape.set(table.name, tableShape);
  }
  return shape;
}

/** The generator's own idea of the shape, to check that the kernel kept what kube-proxy would have written. */
function shapeFromGenerated(generated: GeneratedKubeDump): DumpShape {
  const shape: DumpShape = new Map();
  for (const table of generated.tables) {
    const tableShape: TableShape = new Map();
    for (const chain of table.chains) {
      tableShape.set(chain.name, { rules: 0, jumps: new Set() });
    }
    for (const name of ['filter', 'nat'].includes(table.name) ? builtinChainsOf(table.name) : []) {
      if (!tableShape.has(name)) {
        tableShape.set(name, { rules: 0, jumps: new Set() });
      }
    }
    for (const rule of table.rules) {
      const chain = tableShape.get(rule.chain);
      assert.ok(chain, `generated rule in undeclared chain ${rule.chain}`);
      chain.rules += 1;
      const jump = rule.tokens.indexOf('-j');
      if (jump >= 0 && tableShape.has(rule.tokens[jump + 1])) {
        chain.jumps.add(rule.tokens[jump + 1]);
      }
    }
    shape.set(table.name, tableShape);
  }
  return shape;
}

function builtinChainsOf(table: string): string[] {
  return table === 'nat' ? ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'] : ['INPUT', 'FORWARD', 'OUTPUT'];
}

/** Lists every difference between two shapes (empty when equal), so a failure says exactly what the parser got wrong. */
function shapeDifferences(expected: DumpShape, actual: DumpShape): string[] {
  const differences: string[] = [];
  const expectedTables = [...expected.keys()].sort();
  const actualTables = [...actual.keys()].sort();
  if (expectedTables.join() !== actualTables.join()) {
    differences.push(`tables: expected [${expectedTables.join(', ')}], got [${actualTables.join(', ')}]`);
  }
  for (const [tableName, expectedTable] of expected) {
    const actualTable = actual.get(tableName);
    if (!actualTable) {
      continue;
    }
    for (const name of expectedTable.keys()) {
      if (!actualTable.has(name)) {
        differences.push(`${tableName}: chain ${name} missing`);
      }
    }
    for (const name of actualTable.keys()) {
      if (!expectedTable.has(name)) {
        differences.push(`${tableName}: unexpected chain ${name}`);
      }
    }
    for (const [name, expectedChain] of expectedTable) {
      const actualChain = actualTable.get(name);
      if (!actualChain) {
        continue;
      }
      if (actualChain.rules !== expectedChain.rules) {
        differences.push(`${tableName}/${name}: ${actualChain.rules} rules, expected ${expectedChain.rules}`);
      }
      const expectedJumps = [...expectedChain.jumps].sort().join(', ');
      const actualJumps = [...actualChain.jumps].sort().join(', ');
      if (expectedJumps !== actualJumps) {
        differences.push(`${tableName}/${name}: jumps to [${actualJumps}], expected [${expectedJumps}]`);
      }
    }
  }
  return differences;
}

function assertSameShape(expected: DumpShape, actual: DumpShape, what: string): void {
  const differences = shapeDifferences(expected, actual);
  const shown = differences.slice(0, 20).join('\n  ');
  const more = differences.length > 20 ? `\n  … and ${differences.length - 20} more` : '';
  assert.equal(differences.length, 0, `${what} differs from real iptables -S:\n  ${shown}${more}`);
}

function assertNoErrors(dump: Dump, text: string, what: string): void {
  const lines = text.split('\n');
  const errors = dump.diagnostics
    .filter((d) => d.severity === 'error')
    .slice(0, 10)
    .map((d) => `line ${d.span.line + 1} [${d.code}] ${d.message}\n      ${lines[d.span.line]}`);
  assert.deepEqual(errors, [], `${what}: error diagnostics on real iptables output`);
}

/** `Chain X (N references)`: what iptables counted must be what the index found. */
function assertListedReferences(dump: Dump, what: string): void {
  const wrong: string[] = [];
  for (const table of dump.tables) {
    for (const chain of table.chains.values()) {
      if (chain.listedReferences !== undefined && chain.listedReferences !== chain.referencedBy.length) {
        wrong.push(`${table.name}/${chain.name}: iptables says ${chain.listedReferences}, index has ${chain.referencedBy.length}`);
      }
    }
  }
  assert.deepEqual(wrong.slice(0, 10), [], `${what}: reference counts`);
}

/** The printed formats, each as a user would paste it: every table of the ruleset, one after another. */
const FORMATS: { name: string; print(ns: NetworkNamespace, tables: string[], flavour: IptablesFlavour): string; listing: boolean }[] = [
  { name: 'iptables-save', print: (ns, _tables, flavour) => ns.save(flavour), listing: false },
  { name: 'iptables-save -c', print: (ns, _tables, flavour) => ns.save({ ...flavour, counters: true }), listing: false },
  { name: 'iptables -S', print: (ns, tables, flavour) => ns.specTables(tables, flavour), listing: false },
  { name: 'iptables -L -n -v', print: (ns, tables, flavour) => ns.listTables(tables, flavour), listing: true },
  {
    name: 'iptables -L -n -v -x --line-numbers',
    print: (ns, tables, flavour) => ns.listTables(tables, { ...flavour, exact: true, lineNumbers: true }),
    listing: true,
  },
  {
    name: 'iptables -L',
    print: (ns, tables, flavour) => ns.listTables(tables, { ...flavour, numeric: false, verbose: false }),
    listing: true,
  },
];

/**
 * The order a user pastes listings in: `iptables -L` (filter) first, then `-t nat`, then the rest as iptables-save
 * orders them. (Pasting raw right before filter, as nft's save order would, trips the parser's table splitting:
 * reported to the parser's owner; switch to the save order here once that is fixed.)
 */
function pasteOrder(saveOrder: string[]): string[] {
  const first = ['filter', 'nat'].filter((table) => saveOrder.includes(table));
  return [...first, ...saveOrder.filter((table) => !first.includes(table))];
}

interface RulesetCase {
  name: string;
  flavour: IptablesFlavour;
  ruleset(): string;
  /** Load the `[packets:bytes]` of the input too (so `-L -v` prints real, K/M/G-sized counters). */
  counters?: boolean;
  generated?: GeneratedKubeDump;
}

/** A corpus file, with the matches this kernel cannot load taken out (kube-proxy's `-m nfacct` needs named objects). */
function corpusCase(file: string, flavour: IptablesFlavour): RulesetCase {
  return {
    name: `corpus ${file} (${flavour.backend ?? 'nft'})`,
    flavour,
    counters: true,
    ruleset: () => readFileSync(path.join(CORPUS, file), 'utf8').replace(/ -m nfacct --nfacct-name \S+/g, ''),
  };
}

function generatedCase(label: string, options: KubeDumpOptions, flavour: IptablesFlavour = {}): RulesetCase {
  const generated = generateKubeDump(options);
  return {
    name: `generated ${label}`,
    flavour: { family: options.family ?? 4, ...flavour },
    generated,
    ruleset: () => renderRestore(generated),
  };
}

const CASES: RulesetCase[] = [
  corpusCase('kube-proxy-TestOverallIPTablesRules.real-iptables-save', {}),
  corpusCase('kubernetes-proxier_test-TestOverallIPTablesRules.iptables-restore', {}),
  corpusCase('kubernetes-proxier_test-2017-userspace-era-TestGetChainLinesMultipleTables.iptables-save', {}),
  corpusCase('kubernetes-proxier_test-2017-userspace-era-TestGetChainLinesMultipleTables.iptables-save', { backend: 'legacy' }),
  corpusCase('k3s-blog-iptables-save-c-v1.8.4.iptables-save', {}),
  corpusCase('k3s-blog-iptables-save-c-v1.8.4.iptables-save', { backend: 'legacy' }),
  generatedCase('kube-proxy, 5 services', { services: 5, maxEndpoints: 3, seed: 11 }),
  generatedCase('kube-proxy, 200 services, every feature', {
    services: 200,
    maxEndpoints: 6,
    seed: 12,
    mix: { affinity: 0.2, externalIP: 0.1, loadBalancer: 0.2, nodePort: 0.2 },
  }),
  generatedCase('kube-proxy, 200 services (legacy)', { services: 200, maxEndpoints: 4, seed: 13 }, { backend: 'legacy' }),
  generatedCase('kube-proxy, 2,000 services, no endpoint comments', { services: 2000, maxEndpoints: 8, seed: 14 }),
  generatedCase('kube-proxy IPv6, 100 services', {
    services: 100,
    maxEndpoints: 5,
    seed: 15,
    family: 6,
    mix: { affinity: 0.2, loadBalancer: 0.2 },
  }),
];

describe('oracle: real iptables round trip', function () {
  // Loading and printing a 2,000-service ruleset six ways takes a few seconds on a 2-core machine.
  this.timeout(60_000);

  before(() => {
    requireNetnsIptables({ family: 4, backend: 'nft' });
    requireNetnsIptables({ family: 6, backend: 'nft' });
    requireNetnsIptables({ family: 4, backend: 'legacy' });
  });

  for (const testCase of CASES) {
    describe(testCase.name, () => {
      const printed = new Map<string, string>();
      let reference: DumpShape = new Map();

      before(() => {
        const ns = NetworkNamespace.create();
        try {
          ns.restore(testCase.ruleset(), { ...testCase.flavour, counters: testCase.counters });
          const tables = pasteOrder([...ns.save(testCase.flavour).matchAll(/^\*(\S+)$/gm)].map((m) => m[1]));
          reference = new Map(tables.map((table) => [table, shapeFromSpec(ns.spec(table, testCase.flavour))]));
          for (const format of FORMATS) {
            printed.set(format.name, format.print(ns, tables, testCase.flavour));
          }
        } finally {
          ns.delete();
        }
      });

      if (testCase.generated) {
        const generated = testCase.generated;
        it('the kernel kept every chain, rule and jump the generator wrote', () => {
          assertSameShape(shapeFromGenerated(generated), reference, 'the generated ruleset');
        });
      }

      for (const format of FORMATS) {
        it(`${format.name}: same tables, chains, rule counts and jumps; no error`, () => {
          const text = printed.get(format.name) ?? '';
          const dump = parseDump(text);
          assertNoErrors(dump, text, format.name);
          assertSameShape(reference, shapeFromDump(dump), `the parse of ${format.name}`);
          if (format.listing) {
            assertListedReferences(dump, format.name);
          }
        });
      }
    });
  }
});
