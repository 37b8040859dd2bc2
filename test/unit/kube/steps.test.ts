// The analysis in steps (what the server runs after opening a dump, or after an edit it parses whole) against the
// analysis in one go: the same result, whatever the step size, with a fraction done that only grows and stays below 1
// until the end.
import { strict as assert } from 'node:assert';
import { analyzeKube, analyzeKubeInSteps } from '../../../server/src/kube/analysis';
import type { KubeAnalysis } from '../../../server/src/kube/analysis';
import type { Dump } from '../../../server/src/model/types';
import { parseDump } from '../../../server/src/parse/index';
import { corpusFiles, readCorpus } from '../../support/corpus';
import { generateKubeDump, renderListing, renderSave } from '../../support/generateKubeDump';

/** The analysis of `dump` in steps of `slice`, and the fractions its steps yielded. */
function inSteps(dump: Dump, slice: number): { analysis: KubeAnalysis; fractions: number[] } {
  const steps = analyzeKubeInSteps(dump, slice);
  const fractions: number[] = [];
  for (;;) {
    const step = steps.next();
    if (step.done === true) {
      return { analysis: step.value, fractions };
    }
    fractions.push(step.value);
  }
}

function checkSteps(dump: Dump, slice: number, what: string): number {
  const whole = analyzeKube(dump);
  const { analysis, fractions } = inSteps(dump, slice);
  assert.deepEqual(analysis, whole, what);
  for (let i = 1; i < fractions.length; i++) {
    assert.ok(fractions[i] >= fractions[i - 1], `${what}: step ${i} went back from ${fractions[i - 1]} to ${fractions[i]}`);
  }
  const outside = fractions.filter((fraction) => fraction < 0 || fraction >= 1);
  assert.deepEqual(outside.slice(0, 5), [], `${what}: ${outside.length} of ${fractions.length} fractions outside 0 ≤ f < 1`);
  return fractions.length;
}

describe('the kube-proxy analysis in steps', () => {
  it('equals the analysis in one go on every dump of the corpus, in steps of 3', () => {
    let steps = 0;
    for (const file of corpusFiles()) {
      steps += checkSteps(parseDump(readCorpus(file)), 3, file);
    }
    assert.ok(steps > 100, `${steps} steps in all`);
  });

  for (const [name, render] of [['save', renderSave], ['-L', renderListing]] as const) {
    it(`equals the analysis in one go on a generated ${name} dump, in steps of 1, 7 and 50`, () => {
      const generated = generateKubeDump({ seed: 11, services: 300, maxEndpoints: 6 });
      const dump = parseDump(render(generated));
      const counts = [1, 7, 50].map((slice) => checkSteps(dump, slice, `${name} in steps of ${slice}`));
      // Every kind of work pauses: endpoint chains, service ports and dispatch rules (1,000s of steps of 1).
      assert.ok(counts[0] > generated.servicePorts.length * 4, `${counts[0]} steps of 1 for ${generated.servicePorts.length} service ports`);
      assert.ok(counts[0] > counts[1] && counts[1] > counts[2], counts.join(' '));
    });
  }
});
