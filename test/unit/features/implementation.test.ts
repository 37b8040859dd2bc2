import { strict as assert } from 'node:assert';
import { parseDump } from '../../../server/src/parse/index';
import { analyzeKube } from '../../../server/src/kube/analysis';
import { implementation } from '../../../server/src/features/implementation';
import type { TextPosition } from '../../../server/src/features/kubeHover';
import { readCorpus } from '../../support/corpus';
import { positionOf } from '../kube/positions';

function load(file: string): { text: string; lines: string[]; jump: (p: TextPosition) => number[] } {
  const text = readCorpus(file);
  const dump = parseDump(text);
  const analysis = analyzeKube(dump);
  return { text, lines: text.split('\n'), jump: (p) => implementation(dump, analysis, p).map((span) => span.line) };
}

/** Lines whose text matches, in document order. */
function linesMatching(lines: string[], pattern: RegExp): number[] {
  return lines.flatMap((line, index) => (pattern.test(line) ? [index] : []));
}

describe('kube implementation (jump to endpoints)', () => {
  describe('seed', () => {
    const { text, lines, jump } = load('seed-calico-nat-L-n-v.txt');
    const dnat = [linesMatching(lines, /DNAT .*to:10\.200\.165\.70:80/)[0], linesMatching(lines, /DNAT .*to:10\.200\.165\.71:80/)[0]];

    it('jumps from KUBE-SVC-BEPXDJBUHFCSYIC3 to the DNAT rules of both endpoints', () => {
      assert.deepEqual(jump(positionOf(text, /^Chain KUBE-SVC-BEPXDJBUHFCSYIC3/, 'KUBE-SVC-BEPXDJBUHFCSYIC3')), dnat);
      assert.deepEqual(jump(positionOf(text, /KUBE-SVC-BEPXDJBUHFCSYIC3 .*10\.100\.200\.79/, 'KUBE-SVC-BEPXDJBUHFCSYIC3')), dnat);
    });

    it('jumps from the cluster IP 10.100.200.79 on its KUBE-SERVICES rules to the same DNAT rules', () => {
      assert.deepEqual(jump(positionOf(text, /KUBE-SVC-BEPXDJBUHFCSYIC3 .*10\.100\.200\.79/, '10.100.200.79', 5)), dnat);
      assert.deepEqual(jump(positionOf(text, /KUBE-MARK-MASQ .*10\.100\.200\.79/, '10.100.200.79', 0)), dnat);
    });

    it('jumps from an endpoint chain name to its DNAT rule, and nowhere from other places', () => {
      assert.deepEqual(jump(positionOf(text, /KUBE-SEP-VAZHZYTNC3JEIHVH .*0\.0\.0\.0/, 'KUBE-SEP-VAZHZYTNC3JEIHVH')), [dnat[1]]);
      assert.deepEqual(jump(positionOf(text, /^Chain KUBE-MARK-MASQ/, 'KUBE-MARK-MASQ')), []);
      assert.deepEqual(jump(positionOf(text, /^Chain cali-PREROUTING/, 'cali-PREROUTING')), []);
    });
  });

  for (const file of [
    'kube-proxy-TestOverallIPTablesRules.real-iptables-save',
    'kube-proxy-TestOverallIPTablesRules.real-S.txt',
    'kube-proxy-TestOverallIPTablesRules.real-L-n-v.txt',
    'kube-proxy-TestOverallIPTablesRules.real-L.txt',
  ]) {
    it(`${file}: KUBE-SVC-4SW47YFZTEDKD3PK and its cluster IP lead to the DNAT rules of 10.180.0.4 and 10.180.0.5`, () => {
      const { text, lines, jump } = load(file);
      const expected = [
        linesMatching(lines, /DNAT.*(to:|--to-destination )10\.180\.0\.4:80/)[0],
        linesMatching(lines, /DNAT.*(to:|--to-destination )10\.180\.0\.5:80/)[0],
      ];
      assert.ok(expected.every((line) => line !== undefined));
      assert.deepEqual(
        jump(
          positionOf(
            text,
            /KUBE-SERVICES .*KUBE-SVC-4SW47YFZTEDKD3PK|KUBE-SVC-4SW47YFZTEDKD3PK .*172\.30\.0\.44/,
            'KUBE-SVC-4SW47YFZTEDKD3PK',
          ),
        ),
        expected,
      );
      assert.deepEqual(
        jump(positionOf(text, /KUBE-SVC-4SW47YFZTEDKD3PK.*172\.30\.0\.44|172\.30\.0\.44.*KUBE-SVC-4SW47YFZTEDKD3PK/, '172.30.0.44', 3)),
        expected,
      );
      // The external IP's KUBE-EXT chain leads to the same endpoints.
      assert.deepEqual(
        jump(
          positionOf(
            text,
            /192\.168\.99\.33.*KUBE-EXT-4SW47YFZTEDKD3PK|KUBE-EXT-4SW47YFZTEDKD3PK.*192\.168\.99\.33/,
            'KUBE-EXT-4SW47YFZTEDKD3PK',
          ),
        ),
        expected,
      );
    });
  }

  it('on a KUBE-XLB chain, jumps to the node-local endpoints only', () => {
    const { text, lines, jump } = load('docker-desktop-k8s-nat-nvL-kube-proxy-XLB.txt');
    const expected = linesMatching(lines, /DNAT .*to:10\.1\.0\.220:80$/);
    assert.equal(expected.length, 1);
    assert.deepEqual(jump(positionOf(text, /^Chain KUBE-XLB-D7TXZ2ONB4DT7BQA/, 'KUBE-XLB-D7TXZ2ONB4DT7BQA')), expected);
  });
});
