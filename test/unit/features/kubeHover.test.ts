import { strict as assert } from 'node:assert';
import { parseDump } from '../../../server/src/parse/index';
import { addressFactsInOrder, analyzeKube } from '../../../server/src/kube/analysis';
import { implementation } from '../../../server/src/features/implementation';
import { kubeHover } from '../../../server/src/features/kubeHover';
import type { TextPosition } from '../../../server/src/features/kubeHover';
import { readCorpus } from '../../support/corpus';
import { generateKubeDump, renderSave } from '../../support/generateKubeDump';
import { positionOf } from '../kube/positions';

function load(file: string): { text: string; hover: (p: TextPosition) => ReturnType<typeof kubeHover> } {
  const text = readCorpus(file);
  const dump = parseDump(text);
  const analysis = analyzeKube(dump);
  return { text, hover: (p) => kubeHover(dump, analysis, p) };
}

describe('kube hover', () => {
  describe('seed: where does traffic to 10.100.200.79:80 go?', () => {
    const { text, hover } = load('seed-calico-nat-L-n-v.txt');

    for (const [where, line] of [
      ['its Chain header', /^Chain KUBE-SVC-BEPXDJBUHFCSYIC3/],
      ['the KUBE-SERVICES rule that jumps to it', /KUBE-SVC-BEPXDJBUHFCSYIC3 .*10\.100\.200\.79/],
    ] as const) {
      it(`answers on KUBE-SVC-BEPXDJBUHFCSYIC3 in ${where}`, () => {
        const position = positionOf(text, line, 'KUBE-SVC-BEPXDJBUHFCSYIC3', 4);
        const result = hover(position);
        assert.ok(result);
        for (const fact of [
          'default/my-nginx',
          '80/tcp',
          '10.100.200.79',
          '10.200.165.70:80',
          '10.200.165.71:80',
          'cluster traffic policy',
        ]) {
          assert.ok(result.contents.includes(fact), `hover lacks ${fact}:\n${result.contents}`);
        }
        const rows = result.contents.split('\n').filter((l) => l.startsWith('| `10.200.165.7'));
        assert.equal(rows.length, 2);
        assert.ok(
          rows.every((row) => row.includes('**50%**')),
          rows.join('\n'),
        );
        assert.equal(result.span?.line, position.line);
        assert.equal(text.split('\n')[position.line].slice(result.span.start, result.span.end), 'KUBE-SVC-BEPXDJBUHFCSYIC3');
      });
    }

    it('answers on an endpoint chain: the pod and the service that reaches it, with its share', () => {
      const result = hover(positionOf(text, /^Chain KUBE-SEP-AOFVCMQOP4BSPNKH/, 'KUBE-SEP-AOFVCMQOP4BSPNKH'));
      assert.ok(result);
      assert.match(result.contents, /Pod endpoint `10\.200\.165\.70:80`/);
      assert.match(result.contents, /default\/my-nginx:80\/tcp\*\* via `KUBE-SVC-BEPXDJBUHFCSYIC3`: probability 0\.5 → share \*\*50%\*\*/);
    });

    it('answers on a statistic fragment with the conditional and the effective probability', () => {
      const position = positionOf(text, /KUBE-SEP-MWWFI2FSQNNTZPVG .*statistic/, 'probability 0.5');
      const result = hover(position);
      assert.ok(result);
      assert.match(result.contents, /probability 0\.5\*\* \(conditional\)/);
      assert.match(result.contents, /66\.7% of kube-system\/kube-dns:dns-tcp \(53\/tcp\)'s traffic/);
      assert.match(result.contents, /gets \*\*33\.3%\*\*/);
      const line = text.split('\n')[position.line];
      assert.equal(line.slice(result.span!.start, result.span!.end), 'statistic mode random probability 0.50000000000');
    });

    it('answers on a cluster IP and on an endpoint IP', () => {
      const cluster = hover(positionOf(text, /KUBE-SVC-BEPXDJBUHFCSYIC3 .*10\.100\.200\.79/, '10.100.200.79', 3));
      assert.ok(cluster);
      assert.match(
        cluster.contents,
        /`10\.100\.200\.79` is the \*\*cluster IP\*\* of \*\*default\/my-nginx:80\/tcp\*\* → `10\.200\.165\.70:80` 50%, `10\.200\.165\.71:80` 50%/,
      );
      const pod = hover(positionOf(text, /DNAT .*to:10\.200\.165\.71:80/, '10.200.165.71', 2));
      assert.ok(pod);
      assert.match(pod.contents, /\*\*pod endpoint\*\* \(`10\.200\.165\.71:80`/);
    });

    it('answers anywhere on a KUBE-SERVICES dispatch rule, names other chains, and stays silent elsewhere', () => {
      const result = hover(positionOf(text, /KUBE-MARK-MASQ .*default\/my-nginx: cluster IP/, 'tcp dpt:80', 2));
      assert.ok(result);
      assert.match(result.contents, /^This rule dispatches \*\*default\/my-nginx:80\/tcp\*\*/);
      assert.equal(hover(positionOf(text, /^Chain cali-OUTPUT/, 'cali-OUTPUT'))?.contents, '`cali-OUTPUT`: Calico (CNI) chain');
      assert.equal(
        hover(positionOf(text, /^Chain KUBE-MARK-MASQ/, 'KUBE-MARK-MASQ'))?.contents,
        '`KUBE-MARK-MASQ`: kube-proxy: marks packets for masquerade (SNAT)',
      );
      assert.equal(hover(positionOf(text, /^Chain PREROUTING/, 'PREROUTING')), null);
      assert.equal(hover(positionOf(text, /MARK or 0x8000/, 'MARK or')), null);
    });
  });

  describe('the same ruleset in save and -L output', () => {
    for (const file of ['kube-proxy-TestOverallIPTablesRules.real-iptables-save', 'kube-proxy-TestOverallIPTablesRules.real-L.txt']) {
      it(`${file}: the cluster IP 172.30.0.44 leads to two endpoints at 50%`, () => {
        const { text, hover } = load(file);
        const result = hover(positionOf(text, /KUBE-SVC-4SW47YFZTEDKD3PK .*172\.30\.0\.44/, '172.30.0.44', 2));
        assert.ok(result);
        assert.match(
          result.contents,
          /\*\*cluster IP\*\* of \*\*ns4\/svc4:p80 \(80\/tcp\)\*\* → `10\.180\.0\.4:80` 50%, `10\.180\.0\.5:80` 50%/,
        );
        const statistic = hover(positionOf(text, /statistic.*UKSFD7AGPMPPLUHC|UKSFD7AGPMPPLUHC.*statistic/, 'probability', 3));
        assert.ok(statistic);
        assert.match(statistic.contents, /probability 0\.5\*\* \(conditional\)/);
        assert.match(statistic.contents, /endpoint `10\.180\.0\.4:80` \(`KUBE-SEP-UKSFD7AGPMPPLUHC`\) gets \*\*50%\*\*/);
        const service = hover(positionOf(text, /KUBE-SVC-NUKIZ6OKUXPJNT4C/, 'KUBE-SVC-NUKIZ6OKUXPJNT4C'));
        assert.ok(service);
        for (const fact of ['ns5/svc5', '172.30.0.45:80', '5.6.7.8', 'session affinity **ClientIP** for 10800 s', '10.180.0.3:80']) {
          assert.ok(service.contents.includes(fact), `lacks ${fact}:\n${service.contents}`);
        }
      });
    }
  });

  it('shows observed shares beside expected ones where the dump has counters', () => {
    const { text, hover } = load('docker-desktop-k8s-nat-nvL-kube-proxy-XLB.txt');
    const result = hover(positionOf(text, /^Chain KUBE-SVC-TCOU7JCQXEZGVUNU/, 'KUBE-SVC-TCOU7JCQXEZGVUNU'));
    assert.ok(result);
    assert.ok(
      result.contents.includes('| `10.1.0.216:53` | `KUBE-SEP-JPYJVE4BPHWKYBDW` | 0.5 | **50%** | 52.3% (67 pkts) |'),
      result.contents,
    );
    const local = hover(positionOf(text, /^Chain KUBE-XLB-D7TXZ2ONB4DT7BQA/, 'KUBE-XLB-D7TXZ2ONB4DT7BQA'));
    assert.ok(local);
    assert.match(local.contents, /traffic policy \*\*Local\*\*/);
    assert.match(local.contents, /1 node-local endpoint\*\*/);
  });
});

describe('kube hover on a large service', () => {
  it('lists the first 50 endpoints and sums the rest', () => {
    // kube-proxy's split over 120 endpoints: rule i has probability 1/(120-i), the last none.
    const count = 120;
    const svc = 'KUBE-SVC-AAAAAAAAAAAAAAAA';
    const text = [
      '*nat',
      `:${svc} - [0:0]`,
      ...Array.from({ length: count }, (_, i) => `:KUBE-SEP-${String(i).padStart(16, 'B')} - [0:0]`),
      ...Array.from({ length: count }, (_, i) => {
        const statistic = i < count - 1 ? ` -m statistic --mode random --probability ${(1 / (count - i)).toFixed(11)}` : '';
        return `-A ${svc}${statistic} -j KUBE-SEP-${String(i).padStart(16, 'B')}`;
      }),
      ...Array.from(
        { length: count },
        (_, i) => `-A KUBE-SEP-${String(i).padStart(16, 'B')} -p tcp -m tcp -j DNAT --to-destination 10.9.${i >> 8}.${i & 255}:80`,
      ),
      'COMMIT',
    ].join('\n');
    const dump = parseDump(text);
    const result = kubeHover(dump, analyzeKube(dump), positionOf(text, new RegExp(`^:${svc}`), svc));
    assert.ok(result);
    const rows = result.contents.split('\n').filter((l) => l.startsWith('| `10.9.'));
    assert.equal(rows.length, 50);
    assert.ok(
      rows.every((row) => row.includes('**0.8%**')),
      rows[0],
    );
    assert.ok(result.contents.includes('| … 70 more | | | 58.3% together |'), result.contents);
  });
});

describe('kube hover and jump on an address with several facts', () => {
  // A cluster IP of a service with several ports: one fact per port. The analysis learns them in the order of its
  // chain groups, and after an edit the ports analysed again come last: what is told must not depend on that order.
  const text = renderSave(generateKubeDump({ seed: 500, services: 30 }));
  const dump = parseDump(text);
  const analysis = analyzeKube(dump);
  const shared = [...analysis.addresses].filter(([, facts]) => facts.length >= 3 && facts.every((fact) => fact.role === 'cluster-ip'));

  it('finds cluster IPs of several ports in the generated dump', () => {
    assert.ok(shared.length > 0);
  });

  it('orders the facts of two ports with one label (a hand-edited dump) by where their chains are', () => {
    const [, facts] = shared[0];
    const [a, b] = facts.map((fact) => ({ ...fact, service: { ...fact.service!, label: 'default/same:http (80/tcp)' } }));
    const byPlace = [a, b].sort((x, y) => (x.service.chains[0].name < y.service.chains[0].name ? -1 : 1));
    assert.deepEqual(addressFactsInOrder([a, b]), byPlace);
    assert.deepEqual(addressFactsInOrder([b, a]), byPlace);
  });

  for (const [address, facts] of shared.slice(0, 3)) {
    it(`tells the ports of ${address} by label, and jumps to their endpoints in that order, whatever order the facts are in`, () => {
      const position = positionOf(text, new RegExp(`-A KUBE-SERVICES -d ${address.replace(/\./g, '\\.')}/32`), address, 2);
      const before = kubeHover(dump, analysis, position);
      const jumpsBefore = implementation(dump, analysis, position);
      analysis.addresses.set(address, [...facts].reverse());
      const after = kubeHover(dump, analysis, position);
      const jumpsAfter = implementation(dump, analysis, position);
      analysis.addresses.set(address, facts);
      assert.ok(before);
      assert.deepEqual(after, before);
      assert.deepEqual(jumpsAfter, jumpsBefore);
      const labels = before.contents.split('\n\n').map((paragraph) => /of \*\*(.+?)\*\*/.exec(paragraph)?.[1]);
      assert.deepEqual(labels, facts.map((fact) => fact.service!.label).sort());
    });
  }
});
