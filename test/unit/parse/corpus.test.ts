import { strict as assert } from 'node:assert';
import { parseDump } from '../../../server/src/parse/index';
import { isBuiltinTarget } from '../../../server/src/model/builtinTargets';
import type { Dump } from '../../../server/src/model/types';
import { corpusFiles, readCorpus } from '../../support/corpus';

/** chain → rule count and jump targets, per table: what must agree between formats of one ruleset. */
function shape(dump: Dump): Record<string, Record<string, { rules: number; jumps: string[] }>> {
  const result: Record<string, Record<string, { rules: number; jumps: string[] }>> = {};
  for (const table of dump.tables) {
    const chains: Record<string, { rules: number; jumps: string[] }> = {};
    for (const chain of table.chains.values()) {
      chains[chain.name] = { rules: chain.rules.length, jumps: [...new Set(chain.rules.flatMap((r) => (r.target ? [r.target.name] : [])))].sort() };
    }
    result[table.name] = chains;
  }
  return result;
}

describe('parser on the real corpus', () => {
  for (const file of corpusFiles()) {
    describe(file, () => {
      const text = readCorpus(file);
      const dump = parseDump(text);

      it('reports no error or warning on lines the tool printed', () => {
        const bad = dump.diagnostics.filter((d) => d.severity === 'error' || d.severity === 'warning');
        assert.deepEqual(bad.map((d) => `${d.span.line + 1}: ${d.message}`), []);
      });

      it('finds every chain that a rule jumps to', () => {
        for (const table of dump.tables) {
          for (const chain of table.chains.values()) {
            for (const rule of chain.rules) {
              const target = rule.target?.name;
              if (target && !isBuiltinTarget(target)) {
                assert.ok(table.chains.get(target)?.declaration, `${file}:${rule.line + 1}: ${target} not found in ${table.name}`);
                assert.ok(table.chains.get(target)!.referencedBy.includes(rule));
              }
            }
          }
        }
      });

      it('gives every non-blank line a meaning or a diagnostic', () => {
        const lines = text.split('\n');
        const diagnosed = new Set(dump.diagnostics.map((d) => d.span.line));
        lines.forEach((line, i) => {
          const ignorable = line.trim() === '' || line.startsWith('#') || /^\s*(num\s+)?(pkts\s+bytes\s+)?target\s+prot/.test(line);
          if (!ignorable) {
            assert.ok(dump.lineOwners[i] !== undefined || diagnosed.has(i), `${file}:${i + 1} has no owner: ${line}`);
          }
        });
      });

      it('keeps every span inside its line', () => {
        const lines = text.split('\n');
        for (const table of dump.tables) {
          for (const chain of table.chains.values()) {
            if (chain.declaration) {
              assert.equal(lines[chain.declaration.line].slice(chain.declaration.start, chain.declaration.end), chain.name);
            }
            for (const rule of chain.rules) {
              if (rule.target) {
                assert.equal(lines[rule.line].slice(rule.target.span.start, rule.target.span.end), rule.target.name);
              }
            }
          }
        }
      });
    });
  }

  it('counts the same chains and rules as the text shows (save format)', () => {
    const text = readCorpus('kube-proxy-TestOverallIPTablesRules.real-iptables-save');
    const dump = parseDump(text);
    const lines = text.split('\n');
    const declared = lines.filter((l) => l.startsWith(':')).length;
    const rules = lines.filter((l) => l.startsWith('-A ')).length;
    assert.equal(dump.tables.reduce((n, t) => n + t.chains.size, 0), declared);
    assert.equal(dump.tables.reduce((n, t) => n + [...t.chains.values()].reduce((m, c) => m + c.rules.length, 0), 0), rules);
    assert.deepEqual(dump.tables.map((t) => [t.name, t.nameSource, t.committed]), [
      ['filter', 'header', true],
      ['nat', 'header', true],
    ]);
  });

  it('reads one ruleset printed five ways by real iptables 1.8.9 into the same chains, rule counts and jumps', () => {
    const save = shape(parseDump(readCorpus('kube-proxy-TestOverallIPTablesRules.real-iptables-save')));
    for (const file of [
      'kube-proxy-TestOverallIPTablesRules.real-S.txt',
      'kube-proxy-TestOverallIPTablesRules.real-L.txt',
      'kube-proxy-TestOverallIPTablesRules.real-L-n-v.txt',
      'kube-proxy-TestOverallIPTablesRules.real-L-n-v-x-line-numbers.txt',
    ]) {
      assert.deepEqual(shape(parseDump(readCorpus(file))), save, file);
    }
  });

  it('names tables of -L and -S output from their built-in chains', () => {
    for (const file of ['kube-proxy-TestOverallIPTablesRules.real-L-n-v.txt', 'kube-proxy-TestOverallIPTablesRules.real-S.txt', 'moby-new-daemon-nvL-line-numbers-filter+nat.txt']) {
      assert.deepEqual(parseDump(readCorpus(file)).tables.map((t) => t.name), ['filter', 'nat'], file);
    }
    assert.deepEqual(parseDump(readCorpus('seed-calico-nat-L-n-v.txt')).tables.map((t) => t.name), ['nat']);
  });

  it('treats the Debug Services grep output as an excerpt: chains known from their first rule, no errors', () => {
    const dump = parseDump(readCorpus('k8s-docs-debug-service-iptables-save-grep.txt'));
    assert.equal(dump.tables.length, 1);
    const table = dump.tables[0];
    assert.equal(table.excerpt, true);
    assert.equal(table.name, 'nat');
    const svc = table.chains.get('KUBE-SVC-NWV5X2332I4OT4T3')!;
    assert.equal(svc.declaredBy, 'first-rule');
    assert.equal(svc.rules.length, 3);
    assert.equal(svc.referencedBy.length, 1);
    assert.equal(dump.diagnostics.filter((d) => d.severity === 'error').length, 0);
  });

  it('reads -L K/M counters as approximate and -x counters as exact', () => {
    const seed = parseDump(readCorpus('seed-calico-nat-L-n-v.txt'));
    const output = seed.tables[0].chains.get('OUTPUT')!;
    assert.deepEqual(output.rules[0].counters, { packets: 23905, bytes: 1445000, approximate: true });
    assert.deepEqual(output.policyCounters, { packets: 14, bytes: 844, approximate: false });
    const exact = parseDump(readCorpus('kube-proxy-TestOverallIPTablesRules.real-L-n-v-x-line-numbers.txt'));
    const rule = exact.tables[0].chains.get('KUBE-EXTERNAL-SERVICES')!.rules[1];
    assert.equal(rule.listedNumber, 2);
    assert.equal(rule.counters?.approximate, false);
  });
});
