import { strict as assert } from 'node:assert';
import { parseDump } from '../../../server/src/parse/index';
import { analyzeKube, serviceOfChain, serviceSymbolDetail } from '../../../server/src/kube/analysis';
import type { KubeAnalysis } from '../../../server/src/kube/analysis';
import { endpointChainName, serviceChainName } from '../../../server/src/kube/chainNames';
import type { DumpServicePort } from '../../../server/src/kube/types';
import { corpusFiles, readCorpus } from '../../support/corpus';

function analyse(file: string): KubeAnalysis {
  return analyzeKube(parseDump(readCorpus(file)));
}

function byLabel(analysis: KubeAnalysis, label: string): DumpServicePort {
  const service = analysis.services.find((s) => s.label === label);
  assert.ok(service, `no service ${label} among ${analysis.services.map((s) => s.label).join(', ')}`);
  return service;
}

/** The facts about a service port that must not depend on the dump's format. */
function facts(analysis: KubeAnalysis): unknown[] {
  return analysis.services
    .map((s) => ({
      label: s.label,
      portName: s.portName,
      protocol: s.protocol,
      clusterIPs: [...s.clusterIPs].sort(),
      externalIPs: [...s.externalIPs].sort(),
      loadBalancerIPs: [...s.loadBalancerIPs].sort(),
      nodePorts: [...s.nodePorts].sort(),
      servicePort: s.servicePort,
      healthCheckNodePort: s.healthCheckNodePort,
      trafficPolicy: s.trafficPolicy,
      affinitySeconds: s.affinitySeconds,
      noEndpoints: s.noEndpoints,
      hashMatches: s.hashMatches,
      chains: s.chains.map((c) => c.name).sort(),
      endpoints: s.endpoints.map((e) => [e.chain.name, e.address, e.probability, e.share, e.hashMatches, e.affinitySeconds]),
      localEndpoints: s.localEndpoints.map((e) => [e.chain.name, e.address, e.probability, e.share, e.hashMatches]),
    }))
    .sort((a, b) => a.label.localeCompare(b.label));
}

function assertSharesSumToOne(analysis: KubeAnalysis): void {
  for (const service of analysis.services) {
    for (const endpoints of [service.endpoints, service.localEndpoints]) {
      if (endpoints.length > 0) {
        const sum = endpoints.reduce((total, e) => total + e.share, 0);
        assert.ok(Math.abs(sum - 1) < 1e-9, `${service.label}: shares sum to ${sum}`);
      }
    }
  }
}

function lineOf(text: string, pattern: RegExp): number {
  const lines = text.split('\n');
  const index = lines.findIndex((l) => pattern.test(l));
  assert.ok(index >= 0, `no line matches ${pattern}`);
  return index;
}

describe('kube analysis', () => {
  describe('seed (Calico + kube-proxy, iptables -t nat -L -n -v)', () => {
    const file = 'seed-calico-nat-L-n-v.txt';
    const text = readCorpus(file);
    const analysis = analyzeKube(parseDump(text));

    it('names KUBE-SVC-BEPXDJBUHFCSYIC3 default/my-nginx, 80/tcp on 10.100.200.79, two endpoints at 50%', () => {
      const service = serviceOfChain(analysis, 'KUBE-SVC-BEPXDJBUHFCSYIC3');
      assert.ok(service);
      assert.equal(service.label, 'default/my-nginx:80/tcp');
      assert.equal(service.namespace, 'default');
      assert.equal(service.name, 'my-nginx');
      assert.equal(service.port, '');
      assert.equal(service.portName, 'default/my-nginx:', 'the pre-1.19 unnamed-port spelling, which the hash confirms');
      assert.equal(service.protocol, 'tcp');
      assert.equal(service.servicePort, 80);
      assert.deepEqual(service.clusterIPs, ['10.100.200.79']);
      assert.equal(service.hashMatches, true);
      assert.equal(service.trafficPolicy, 'Cluster');
      assert.deepEqual(
        service.endpoints.map((e) => [e.chain.name, e.address, e.share, e.hashMatches]),
        [
          ['KUBE-SEP-AOFVCMQOP4BSPNKH', '10.200.165.70:80', 0.5, true],
          ['KUBE-SEP-VAZHZYTNC3JEIHVH', '10.200.165.71:80', 0.5, true],
        ],
      );
      assert.equal(service.endpoints[0].dnatRule?.line, lineOf(text, /DNAT .*to:10\.200\.165\.70:80/));
      assert.equal(service.endpoints[1].dnatRule?.line, lineOf(text, /DNAT .*to:10\.200\.165\.71:80/));
      assert.equal(service.endpoints[0].masqueradeRule?.line, lineOf(text, /KUBE-MARK-MASQ .* 10\.200\.165\.70 /));
    });

    it('finds all six service ports, their hashes verified, with three-way splits of a third each', () => {
      assert.deepEqual(analysis.services.map((s) => s.label).sort(), [
        'default/kubernetes:https (443/tcp)',
        'default/my-nginx:80/tcp',
        'kube-system/kube-dns:dns (53/udp)',
        'kube-system/kube-dns:dns-tcp (53/tcp)',
        'kube-system/kubernetes-dashboard:443/tcp',
        'kube-system/metrics-server:443/tcp',
      ]);
      for (const service of analysis.services) {
        assert.equal(service.hashMatches, true, service.label);
        assert.ok(
          service.endpoints.every((e) => e.hashMatches === true),
          service.label,
        );
      }
      const dns = byLabel(analysis, 'kube-system/kube-dns:dns (53/udp)');
      assert.deepEqual(
        dns.endpoints.map((e) => e.probability),
        [0.33332999982, 0.5, 1],
      );
      for (const endpoint of dns.endpoints) {
        assert.ok(Math.abs(endpoint.share - 1 / 3) < 1e-4);
      }
      assertSharesSumToOne(analysis);
      assert.deepEqual(byLabel(analysis, 'kube-system/kubernetes-dashboard:443/tcp').nodePorts, [30249]);
    });

    it('knows the cluster and endpoint IPs, and reports no kube diagnostics on a healthy dump', () => {
      assert.equal(analysis.addresses.get('10.100.200.79')?.[0].role, 'cluster-ip');
      assert.equal(analysis.addresses.get('10.200.165.70')?.[0].role, 'endpoint');
      assert.deepEqual(analysis.diagnostics, []);
    });

    it('gives the outline a service name for service and endpoint chains', () => {
      assert.equal(serviceSymbolDetail(analysis, 'KUBE-SVC-BEPXDJBUHFCSYIC3'), 'default/my-nginx:80/tcp');
      assert.equal(serviceSymbolDetail(analysis, 'KUBE-SEP-AOFVCMQOP4BSPNKH'), '10.200.165.70:80 ← default/my-nginx:80/tcp');
      assert.equal(serviceSymbolDetail(analysis, 'KUBE-MARK-MASQ'), undefined);
    });
  });

  describe("kube-proxy's TestOverallIPTablesRules in every format", () => {
    const formats = [
      'kube-proxy-TestOverallIPTablesRules.real-iptables-save',
      'kube-proxy-TestOverallIPTablesRules.real-S.txt',
      'kube-proxy-TestOverallIPTablesRules.real-L-n-v.txt',
      'kube-proxy-TestOverallIPTablesRules.real-L-n-v-x-line-numbers.txt',
      'kube-proxy-TestOverallIPTablesRules.real-L.txt',
      'kubernetes-proxier_test-TestOverallIPTablesRules.iptables-restore',
    ];
    const save = analyse(formats[0]);

    it('reads the services of the save output', () => {
      assert.deepEqual(save.services.map((s) => s.label).sort(), [
        'ns1/svc1:p80 (80/tcp)',
        'ns2/svc2:p80 (80/tcp)',
        'ns3/svc3:p80 (80/tcp)',
        'ns4/svc4:p80 (80/tcp)',
        'ns5/svc5:p80 (80/tcp)',
        'ns6/svc6:p80 (80/tcp)',
      ]);
      const svc2 = byLabel(save, 'ns2/svc2:p80 (80/tcp)');
      assert.deepEqual(svc2.clusterIPs, ['172.30.0.42']);
      assert.deepEqual(svc2.externalIPs, ['192.168.99.22']);
      assert.deepEqual(svc2.loadBalancerIPs, ['1.2.3.4']);
      assert.deepEqual(svc2.nodePorts, [3001]);
      assert.equal(svc2.healthCheckNodePort, 30000);
      assert.equal(svc2.trafficPolicy, 'Local');
      const svc4 = byLabel(save, 'ns4/svc4:p80 (80/tcp)');
      assert.deepEqual(
        svc4.endpoints.map((e) => [e.address, e.share]),
        [
          ['10.180.0.4:80', 0.5],
          ['10.180.0.5:80', 0.5],
        ],
      );
      const svc5 = byLabel(save, 'ns5/svc5:p80 (80/tcp)');
      assert.equal(svc5.affinitySeconds, 10800);
      assert.deepEqual(svc5.loadBalancerIPs, ['5.6.7.8']);
      assert.deepEqual(
        svc5.endpoints.map((e) => [e.chain.name, e.address, e.share, e.affinitySeconds]),
        [['KUBE-SEP-I77PXRDZVX7PMWMN', '10.180.0.3:80', 1, 10800]],
      );
      assert.ok(svc5.chains.some((c) => c.name === 'KUBE-FW-NUKIZ6OKUXPJNT4C'));
      const svc6 = byLabel(save, 'ns6/svc6:p80 (80/tcp)');
      assert.equal(svc6.noEndpoints, true);
      assert.deepEqual(svc6.clusterIPs, ['172.30.0.46']);
      assert.equal(serviceChainName('ns1/svc1:p80', 'tcp'), byLabel(save, 'ns1/svc1:p80 (80/tcp)').chains[0].name);
      assert.equal(endpointChainName('ns1/svc1:p80', 'tcp', '10.180.0.1:80'), 'KUBE-SEP-SXIVWICOYRO3J4NJ');
      for (const service of save.services) {
        assert.notEqual(service.hashMatches, false, service.label);
        assert.ok(
          service.endpoints.every((e) => e.hashMatches === true),
          service.label,
        );
      }
      assertSharesSumToOne(save);
    });

    it('gives one information diagnostic, for the service with no endpoints', () => {
      assert.deepEqual(
        save.diagnostics.map((d) => [d.code, d.severity]),
        [['kube-no-endpoints', 'information']],
      );
      assert.match(save.diagnostics[0].message, /ns6\/svc6:p80/);
    });

    for (const file of formats.slice(1)) {
      it(`finds the same service facts in ${file}`, () => {
        const other = analyse(file);
        assert.deepEqual(facts(other), facts(save));
        assert.deepEqual(
          other.diagnostics.map((d) => d.code),
          ['kube-no-endpoints'],
        );
      });
    }
  });

  describe('older and partial dumps', () => {
    it('reads the 2017 userspace-era test (old "ns/svc:" comments) and flags its made-up chain names', () => {
      const analysis = analyse('kubernetes-proxier_test-2017-userspace-era-TestGetChainLinesMultipleTables.iptables-save');
      const kubernetes = serviceOfChain(analysis, 'KUBE-SVC-5555555555555555');
      assert.ok(kubernetes);
      assert.equal(kubernetes.portName, 'default/kubernetes:');
      assert.equal(kubernetes.port, '');
      assert.deepEqual(kubernetes.clusterIPs, ['10.247.0.1']);
      assert.equal(kubernetes.servicePort, 443);
      assert.equal(kubernetes.hashMatches, false);
      const dns = serviceOfChain(analysis, 'KUBE-SVC-1111111111111111');
      assert.ok(dns);
      assert.deepEqual(
        dns.endpoints.map((e) => e.address),
        ['10.246.1.2:53'],
        'a service chain that DNATs itself',
      );
      const mismatches = analysis.diagnostics.filter((d) => d.code === 'kube-hash-mismatch');
      assert.equal(mismatches.length, 6);
      assert.ok(mismatches.every((d) => d.severity === 'warning'));
    });

    it('reads the Debug Services excerpt (no declarations), three endpoints of a third each', () => {
      const text = readCorpus('k8s-docs-debug-service-iptables-save-grep.txt');
      const analysis = analyzeKube(parseDump(text));
      const service = byLabel(analysis, 'default/hostnames:80/tcp');
      assert.deepEqual(service.clusterIPs, ['10.0.1.175']);
      assert.equal(service.hashMatches, true);
      assert.deepEqual(
        service.endpoints.map((e) => e.address),
        ['10.244.1.7:9376', '10.244.2.3:9376', '10.244.3.6:9376'],
      );
      assert.ok(service.endpoints.every((e) => e.hashMatches === true && Math.abs(e.share - 1 / 3) < 1e-4));
      assert.equal(service.endpoints[2].dnatRule?.line, lineOf(text, /KUBE-SEP-57KPRZ3JQVENLNBR .*DNAT/));
      assertSharesSumToOne(analysis);
      assert.deepEqual(analysis.diagnostics, []);
    });

    it('reads the Docker Desktop KUBE-XLB dump: Local policy, node-local endpoints, observed shares', () => {
      const analysis = analyse('docker-desktop-k8s-nat-nvL-kube-proxy-XLB.txt');
      const http = byLabel(analysis, 'default/ingress-nginx-controller:http (80/tcp)');
      assert.equal(http.trafficPolicy, 'Local');
      assert.deepEqual(http.nodePorts, [30701]);
      assert.deepEqual(
        http.localEndpoints.map((e) => e.chain.name),
        ['KUBE-SEP-5VPUENENYDAFRS6E'],
      );
      assert.deepEqual(
        http.endpoints.map((e) => e.address),
        ['10.1.0.220:80'],
      );
      assert.ok(http.chains.some((c) => c.name === 'KUBE-XLB-D7TXZ2ONB4DT7BQA'));
      const dns = byLabel(analysis, 'kube-system/kube-dns:dns (53/udp)');
      assert.deepEqual(
        dns.endpoints.map((e) => [e.observedPackets, e.observedShare]),
        [
          [67, 67 / 128],
          [61, 61 / 128],
        ],
      );
      assert.equal(dns.observedPackets, 128);
      const etcd = byLabel(analysis, 'kube-system/etcd-svc-docker-desktop-xzm:2379/tcp');
      assert.equal(etcd.portName, 'kube-system/etcd-svc-docker-desktop-xzm', 'the 1.19+ unnamed-port spelling');
      for (const service of analysis.services) {
        assert.equal(service.hashMatches, true, service.label);
        assert.ok(
          [...service.endpoints, ...service.localEndpoints].every((e) => e.hashMatches === true),
          service.label,
        );
      }
      assertSharesSumToOne(analysis);
      assert.deepEqual(analysis.diagnostics, []);
    });

    it('reads the K3s save -c dump: counters of zero observe nothing; four ports without endpoints', () => {
      const analysis = analyse('k3s-blog-iptables-save-c-v1.8.4.iptables-save');
      const api = byLabel(analysis, 'default/kubernetes:https (443/tcp)');
      assert.deepEqual(api.clusterIPs, ['10.43.0.1']);
      assert.deepEqual(
        api.endpoints.map((e) => [e.address, e.share, e.observedPackets, e.observedShare]),
        [['10.0.20.5:6443', 1, 0, undefined]],
      );
      const none = analysis.services
        .filter((s) => s.noEndpoints)
        .map((s) => s.label)
        .sort();
      assert.deepEqual(none, [
        'kube-system/kube-dns:dns (53/udp)',
        'kube-system/kube-dns:dns-tcp (53/tcp)',
        'kube-system/kube-dns:metrics (9153/tcp)',
        'kube-system/metrics-server:https (443/tcp)',
      ]);
      assert.deepEqual(
        analysis.diagnostics.map((d) => d.code),
        Array(4).fill('kube-no-endpoints'),
      );
    });

    it('finds nothing to say about dumps without kube-proxy, and never throws on any corpus file', () => {
      const moby = analyse('moby-new-daemon-nvL-line-numbers-filter+nat.txt');
      assert.equal(moby.hasKubeProxy, false);
      assert.deepEqual(moby.services, []);
      for (const file of corpusFiles()) {
        const analysis = analyse(file);
        assertSharesSumToOne(analysis);
      }
    });
  });
});
