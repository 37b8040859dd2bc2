import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { analyzeKube, chainSymbolDetail } from '../../../server/src/kube/analysis';
import { OutlineNames } from '../../../server/src/kube/outlineNames';
import type { Dump } from '../../../server/src/model/types';
import { parseDump } from '../../../server/src/parse/index';
import { corpusFiles, readCorpus } from '../../support/corpus';
import { generateKubeDump, renderListing, renderRestore, renderSave } from '../../support/generateKubeDump';

/** Every chain the outline names differently from the analysis, as `chain: analysis ≠ outline`. */
function differences(dump: Dump): { named: number; differing: string[] } {
  const analysis = analyzeKube(dump);
  const names = new OutlineNames();
  let named = 0;
  const differing: string[] = [];
  for (const table of dump.tables) {
    for (const chain of table.chains.values()) {
      const expected = analysis.hasKubeProxy ? chainSymbolDetail(analysis, chain) : undefined;
      const actual = names.describe(chain);
      named += expected === undefined ? 0 : 1;
      if (actual !== expected) {
        differing.push(`${table.name} ${chain.name}: ${String(expected)} ≠ ${String(actual)}`);
      }
    }
  }
  return { named, differing };
}

describe('outline names (read around each chain) against the analysis of the whole dump', () => {
  it('name every chain of the corpus as the analysis does', () => {
    let named = 0;
    for (const file of corpusFiles()) {
      const result = differences(parseDump(readCorpus(file)));
      assert.deepEqual(result.differing, [], file);
      named += result.named;
    }
    assert.ok(named > 100, `only ${named} chains named: the corpus lost its kube-proxy dumps`);
  });

  it('name every chain of the samples as the analysis does', () => {
    const samples = path.resolve(__dirname, '../../../samples');
    for (const file of ['calico-kube-proxy-nat.txt', 'kube-proxy.iptables-save']) {
      const result = differences(parseDump(readFileSync(path.join(samples, file), 'utf8')));
      assert.deepEqual(result.differing, [], file);
      assert.ok(result.named > 10, file);
    }
  });

  for (const seed of [1, 2, 3]) {
    for (const comments of [true, false] as const) {
      it(`name every chain of a generated ruleset as the analysis does (seed ${seed}, ${comments ? 'with' : 'without'} endpoint comments)`, () => {
        const generated = generateKubeDump({ seed, services: 150, maxEndpoints: 5, comments });
        for (const render of [renderRestore, renderSave, renderListing]) {
          const result = differences(parseDump(render(generated)));
          assert.deepEqual(result.differing, [], render.name);
          assert.ok(result.named >= generated.servicePorts.length, `${render.name}: ${result.named} named`);
        }
      });
    }
  }

  it('name IPv6 service ports and endpoints as the analysis does', () => {
    const generated = generateKubeDump({ seed: 9, services: 40, family: 6 });
    const result = differences(parseDump(renderSave(generated)));
    assert.deepEqual(result.differing, []);
    assert.ok(result.named > 40);
  });
});
