// The parser's fast paths (the common save rule, declaration, -L header and row read without the word cursor,
// and the index filled while reading) against the general word-by-word readers and the index built at the end
// (`fastPaths: false`): the same model, to the last span and diagnostic, on the corpus, on generated kube-proxy
// dumps in every format, and on random lines made of the pieces the fast paths must get right or hand over.
import { strict as assert } from 'node:assert';
import * as fc from 'fast-check';
import { parseLines, splitLines } from '../../../server/src/parse/index';
import { corpusFiles, readCorpus } from '../../support/corpus';
import { fuzzParameters } from '../../support/fuzzInputs';
import { generateKubeDump, renderListing, renderRestore, renderSave } from '../../support/generateKubeDump';
import { modelSnapshot } from '../../support/modelSnapshot';


function assertSameModel(text: string, what: string): void {
  const lines = splitLines(text);
  const fast = parseLines(lines.slice());
  const general = parseLines(lines.slice(), { fastPaths: false });
  assert.deepStrictEqual(modelSnapshot(fast, { diagnosticsInOrder: true }), modelSnapshot(general, { diagnosticsInOrder: true }), what);
}

/** The lines of a save dump as `iptables-save -c` prints them: `[packets:bytes]` before each rule. */
function withRuleCounters(save: string): string {
  let n = 0;
  return save.replace(/^-A /gm, () => `[${n++ % 7}:${(n * 977) % 100000}] -A `);
}

describe('parser fast paths read what the general readers read', () => {
  for (const file of corpusFiles()) {
    it(`the corpus: ${file}`, () => {
      assertSameModel(readCorpus(file), file);
    });
  }

  it('generated kube-proxy dumps: save, save -c, restore input, -L -n -v, -L -n -v -x --line-numbers, IPv6', () => {
    for (const seed of [1, 2]) {
      const dump = generateKubeDump({ seed, services: 150, maxEndpoints: 6, mix: { affinity: 0.2, loadBalancer: 0.2, localPolicy: 0.3, externalIP: 0.2, sourceRanges: 0.2 } });
      assertSameModel(renderSave(dump), `save, seed ${seed}`);
      assertSameModel(withRuleCounters(renderSave(dump)), `save -c, seed ${seed}`);
      assertSameModel(renderRestore(dump), `restore, seed ${seed}`);
      assertSameModel(renderListing(dump), `-L -n -v, seed ${seed}`);
      assertSameModel(renderListing(dump, { exactWithLineNumbers: true }), `-L -n -v -x --line-numbers, seed ${seed}`);
    }
    const ipv6 = generateKubeDump({ seed: 5, services: 60, family: 6 });
    assertSameModel(renderSave(ipv6), 'save, IPv6');
    assertSameModel(renderListing(ipv6), '-L, IPv6');
  });

  it('random lines built from what the fast paths must read or hand over (quotes, tabs, blanks, -g, -c, counters, columns)', () => {
    const piece = fc.constantFrom(
      '-A', '-I', '-N', '-j', '-g', '--jump', '--goto', '-c', '--set-counters', 'X', 'Y', 'KUBE-SVC-X', 'KUBE-MARK-MASQ', 'DNAT', 'ACCEPT',
      '"', "'", '\\', ' ', '  ', '\t', '\r', '"a b"', "'c -j d'", '-j"X"', '"x -j Y"', '[1:2]', '[0:0]', '12', '-m', 'comment', '--comment',
      ':X', ':Y - [0:0]', 'Chain', '(1 references)', '(2 reference)', 'policy', '0', '--', '-f', '!f', '12K', '3M', '*', '0.0.0.0/0',
      '/* x */', '[goto]', 'all', 'tcp', 'ü', '\u00a0', '😀',
    );
    const start = fc.constantFrom(
      '-A X ', '-A Y ', '-A KUBE-SVC-X ', '[1:2] -A X ', '[0:0] -A Y', '[1:2]  -A X ', '-A X', '-A  X ', '-I X ', '-I X 1 ', ':X ', ':KUBE-SVC-X - [0:0]', ':Y ACCEPT',
      '    0     0 ', '1 ', '0 0 X all -- ', '  12K  3M X  all  --  *  *  0.0.0.0/0  0.0.0.0/0  ', 'X all -- 0.0.0.0/0 0.0.0.0/0 ', 'Chain X ', 'Chain Y (',
    );
    const line = fc
      .tuple(start, fc.array(piece, { maxLength: 12 }), fc.boolean())
      .map(([first, pieces, spaced]) => first + pieces.join(spaced ? ' ' : ''));
    const header = fc.constantFrom(
      '',
      '*nat\n:X - [0:0]\n:Y - [0:0]\n',
      '*filter\n:INPUT ACCEPT [0:0]\n:X - [0:0]\n-A INPUT -j X\n',
      'Chain X (1 references)\n pkts bytes target     prot opt in     out     source               destination\n',
      'Chain X (2 references)\nnum   pkts bytes target     prot opt in     out     source               destination\n',
      'Chain INPUT (policy ACCEPT)\ntarget     prot opt source               destination\n',
    );
    fc.assert(
      fc.property(header, fc.array(line, { maxLength: 25 }), (head, lines) => {
        assertSameModel(head + lines.join('\n'), JSON.stringify(head + lines.join('\n')));
      }),
      fuzzParameters(600),
    );
  });
});
