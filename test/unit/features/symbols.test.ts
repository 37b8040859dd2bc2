import { strict as assert } from 'node:assert';
import { DumpDocument } from '../../../server/src/features/document';
import { kubeOutline } from '../../../server/src/features/kubeFeatures';
import { documentSymbols } from '../../../server/src/features/symbols';
import { chainKind, isServiceChainKind } from '../../../server/src/kube/chainKinds';
import { readCorpus } from '../../support/corpus';
import { generateKubeDump, renderSave } from '../../support/generateKubeDump';

const tier = (name: string): number => (isServiceChainKind(chainKind(name)) ? 1 : chainKind(name) === 'endpoint' ? 2 : 0);

describe('the outline and its limit', () => {
  const text = renderSave(generateKubeDump({ seed: 4, services: 80, maxEndpoints: 4 }));
  const doc = DumpDocument.fromText('file:///kube.iptables-save', 1, text);
  const all = documentSymbols(doc);
  const names = all.flatMap((table) => table.children!.map((chain) => chain.name));
  /** `table chain` of each listed chain: built-in chains are in several tables. */
  const keys = (outline: typeof all): string[] => outline.flatMap((table) => table.children!.map((chain) => `${table.name} ${chain.name}`));

  it('lists every declared chain, in file order, without a limit', () => {
    const declared = text.split('\n').filter((line) => line.startsWith(':')).map((line) => line.slice(1, line.indexOf(' ')));
    assert.deepEqual(names, declared);
    assert.ok(all.every((table) => !table.detail!.includes('in the outline')));
  });

  for (const limit of [3, 40, 150, 250]) {
    it(`lists ${limit} chains under a limit of ${limit}: named chains, then service chains, then endpoint chains, in file order`, () => {
      const limited = documentSymbols(doc, undefined, limit);
      const listed = keys(limited);
      assert.ok(limit < names.length);
      assert.equal(listed.length, limit);
      // The same chains as taking the tiers one after another, each in file order; shown in file order.
      const everything = keys(all);
      const tierOf = (key: string): number => tier(key.split(' ')[1]);
      const expected = new Set([0, 1, 2].flatMap((t) => everything.filter((key) => tierOf(key) === t)).slice(0, limit));
      assert.deepEqual(listed, everything.filter((key) => expected.has(key)));
      for (const table of limited) {
        const full = all.find((t) => t.name === table.name)!;
        const shown = table.children!.length;
        assert.equal(table.detail, shown < full.children!.length ? `${full.detail} · ${shown} in the outline (limit ${limit})` : full.detail);
        // A listed chain's symbol is the one the whole outline has.
        for (const chain of table.children!) {
          assert.deepEqual(chain, full.children!.find((c) => c.name === chain.name));
        }
      }
    });
  }

  it('names service chains by their service, and leaves the details of other chains alone', () => {
    const named = kubeOutline(doc, 100).flatMap((table) => table.children!);
    const service = named.find((chain) => chain.name.startsWith('KUBE-SVC-'))!;
    assert.match(service.detail!, /^[a-z0-9-]+\/[a-z0-9-]+:\S+( \(\S+\))? · \d+ references? · \d+ rules?$/);
    assert.ok(named.filter((chain) => tier(chain.name) === 0).every((chain) => /^(policy|\d+ reference)/.test(chain.detail!)));
  });

  it('names the chains alike from the analysis, once it is there, as from the rules around them before', () => {
    for (const [name, dumpText] of [
      ['generated', text],
      ['corpus', readCorpus('kube-proxy-TestOverallIPTablesRules.real-iptables-save')],
      ['no kube-proxy', readCorpus('moby-new-daemon-nvL-line-numbers-filter+nat.txt')],
    ]) {
      const opened = DumpDocument.fromText('file:///opened', 1, dumpText);
      assert.equal(opened.readyKube, undefined, `${name}: no analysis yet`);
      const before = kubeOutline(opened);
      void opened.kube;
      assert.notEqual(opened.readyKube, undefined, `${name}: the analysis is there`);
      assert.deepEqual(kubeOutline(opened), before, name);
    }
  });

  it('leaves a dump without kube-proxy chains as it is, counting thousands with commas', () => {
    const moby = DumpDocument.fromText('file:///moby.txt', 1, readCorpus('moby-new-daemon-nvL-line-numbers-filter+nat.txt'));
    assert.deepEqual(kubeOutline(moby), documentSymbols(moby));
    const big = ['*filter', ...Array.from({ length: 1234 }, (_, i) => `:C${i} - [0:0]`), 'COMMIT', ''].join('\n');
    const [table] = documentSymbols(DumpDocument.fromText('file:///big.iptables-save', 1, big), undefined, 1000);
    assert.equal(table.detail, 'iptables-save · 1,234 chains · 1,000 in the outline (limit 1,000)');
  });
});
