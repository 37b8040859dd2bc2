import { strict as assert } from 'node:assert';
import { parseDump } from '../../../server/src/parse/index';
import { analyzeKube } from '../../../server/src/kube/analysis';
import { codeLenses, codeLensOf, codeLensSites } from '../../../server/src/features/codeLens';
import { readCorpus } from '../../support/corpus';
import { generateKubeDump, renderSave } from '../../support/generateKubeDump';

function lenses(file: string): { lines: string[]; lenses: ReturnType<typeof codeLenses> } {
  const text = readCorpus(file);
  const dump = parseDump(text);
  return { lines: text.split('\n'), lenses: codeLenses(dump, analyzeKube(dump)) };
}

describe('kube code lenses', () => {
  it('resolves each site, by its chain, to the lens made with all of them at once (corpus and generated dumps)', () => {
    const dumps: Record<string, string> = { generated: renderSave(generateKubeDump({ services: 300, seed: 5 })) };
    for (const file of ['seed-calico-nat-L-n-v.txt', 'docker-desktop-k8s-nat-nvL-kube-proxy-XLB.txt', 'kube-proxy-TestOverallIPTablesRules.real-iptables-save']) {
      dumps[file] = readCorpus(file);
    }
    for (const [file, text] of Object.entries(dumps)) {
      const dump = parseDump(text);
      const analysis = analyzeKube(dump);
      const all = codeLenses(dump, analysis);
      const sites = codeLensSites(dump, analysis);
      assert.ok(sites.length > 0, file);
      assert.deepEqual(sites, all.map((lens) => ({ span: lens.span, chain: lens.chain })), file);
      for (const site of sites) {
        assert.deepEqual(codeLensOf(dump, analysis, site.chain), all.find((lens) => lens.chain === site.chain), `${file}: ${site.chain}`);
      }
      assert.equal(codeLensOf(dump, analysis, 'KUBE-SVC-NOTINTHISDUMP0'), undefined);
    }
  });

  it('puts "default/my-nginx:80/tcp → 2 endpoints" on the seed\'s service chain, peeking both DNAT rules', () => {
    const { lines, lenses: all } = lenses('seed-calico-nat-L-n-v.txt');
    assert.equal(all.length, 6, 'one per service chain declaration');
    const lens = all.find((l) => l.chain === 'KUBE-SVC-BEPXDJBUHFCSYIC3');
    assert.ok(lens);
    assert.equal(lens.title, 'default/my-nginx:80/tcp → 2 endpoints');
    assert.match(lines[lens.span.line], /^Chain KUBE-SVC-BEPXDJBUHFCSYIC3/);
    assert.deepEqual(
      lens.locations.map((span) => lines[span.line].trim().replace(/\s+/g, ' ')),
      [
        '0 0 DNAT tcp -- * * 0.0.0.0/0 0.0.0.0/0 tcp to:10.200.165.70:80',
        '0 0 DNAT tcp -- * * 0.0.0.0/0 0.0.0.0/0 tcp to:10.200.165.71:80',
      ],
    );
    assert.deepEqual(
      all.map((l) => l.span.line),
      [...all.map((l) => l.span.line)].sort((a, b) => a - b),
      'in document order',
    );
  });

  it('adds observed shares where the dump has counters', () => {
    const { lenses: all } = lenses('docker-desktop-k8s-nat-nvL-kube-proxy-XLB.txt');
    const dns = all.find((l) => l.chain === 'KUBE-SVC-TCOU7JCQXEZGVUNU');
    assert.equal(dns?.title, 'kube-system/kube-dns:dns (53/udp) → 2 endpoints · observed 52.3% / 47.7% of 128 packets');
    const xlb = all.find((l) => l.chain === 'KUBE-XLB-Q7CDIBSFDYNOJNFE');
    assert.equal(xlb?.title, 'default/ingress-nginx-controller:https (443/tcp) → 1 endpoint');
  });

  it('covers every chain of every service port (SVC, EXT, FW) in save output, and none for a service without chains', () => {
    const { lines, lenses: all } = lenses('kube-proxy-TestOverallIPTablesRules.real-iptables-save');
    assert.deepEqual(all.map((l) => l.chain).sort(), [
      'KUBE-EXT-4SW47YFZTEDKD3PK',
      'KUBE-EXT-GNZBNJ2PO5MGZ6GT',
      'KUBE-EXT-NUKIZ6OKUXPJNT4C',
      'KUBE-EXT-X27LE4BHSL4DOUIK',
      'KUBE-FW-NUKIZ6OKUXPJNT4C',
      'KUBE-SVC-4SW47YFZTEDKD3PK',
      'KUBE-SVC-GNZBNJ2PO5MGZ6GT',
      'KUBE-SVC-NUKIZ6OKUXPJNT4C',
      'KUBE-SVC-X27LE4BHSL4DOUIK',
      'KUBE-SVC-XPGD46QRK7WJZT7O',
    ]);
    for (const lens of all) {
      assert.ok(lines[lens.span.line].startsWith(`:${lens.chain} `));
      assert.ok(lens.locations.length > 0);
      assert.ok(lens.locations.every((span) => / -j DNAT --to-destination /.test(lines[span.line])));
    }
  });
});
