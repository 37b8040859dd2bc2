// The kube-proxy analysis against the generator's ground truth, on what real iptables prints for the generated rulesets.
//
// Each generated ruleset is loaded into a fresh network namespace and printed back by real iptables in the formats
// users paste; `analyzeKube(parseDump(text))` must then find every service port the generator wrote — its name,
// protocol, cluster IP and port, node port, external and load-balancer IPs, chains, traffic policy — and its
// endpoints in rule order with kube-proxy's names and the shares the probabilities give.
import * as assert from 'node:assert/strict';
import { parseDump } from '../../server/src/parse/index';
import { analyzeKube, serviceOfChain, type KubeAnalysis } from '../../server/src/kube/analysis';
import type { DumpServicePort } from '../../server/src/kube/types';
import {
  generateKubeDump,
  renderRestore,
  type GeneratedKubeDump,
  type GeneratedServicePort,
  type KubeDumpOptions,
} from '../support/generateKubeDump';
import { NetworkNamespace, requireNetnsIptables, type IptablesFlavour } from '../support/netns';

/** The kernel keeps a probability as a 31-bit fraction, so a printed share differs from 1/n by about 1e-10. */
const SHARE_TOLERANCE = 1e-6;

const FORMATS: { name: string; print(ns: NetworkNamespace, flavour: IptablesFlavour): string }[] = [
  { name: 'iptables-save', print: (ns, flavour) => ns.save(flavour) },
  { name: 'iptables -S', print: (ns, flavour) => ns.specTables(['filter', 'nat'], flavour) },
  { name: 'iptables -L -n -v', print: (ns, flavour) => ns.listTables(['filter', 'nat'], flavour) },
  {
    name: 'iptables -L -n -v -x --line-numbers',
    print: (ns, flavour) => ns.listTables(['filter', 'nat'], { ...flavour, exact: true, lineNumbers: true }),
  },
];

/** Every difference between one generated service port and what the analysis found for it. */
function portDifferences(truth: GeneratedServicePort, analysis: KubeAnalysis, commentsKept: boolean): string[] {
  const label = truth.portName;
  let found: DumpServicePort | undefined;
  if (truth.chains.svc !== undefined) {
    found = serviceOfChain(analysis, truth.chains.svc);
  } else {
    found = analysis.services.find((s) => s.portName === truth.portName && s.protocol === truth.protocol);
  }
  if (!found) {
    return [`${label}: not found (${truth.chains.svc ?? 'no endpoints'})`];
  }
  const differences: string[] = [];
  const expect = (what: string, actual: unknown, expected: unknown): void => {
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      differences.push(`${label}: ${what} ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
    }
  };
  expect('portName', found.portName, truth.portName);
  expect('protocol', found.protocol, truth.protocol);
  expect('clusterIPs', found.clusterIPs, [truth.clusterIP]);
  expect('servicePort', found.servicePort, truth.servicePort);
  expect('noEndpoints', found.noEndpoints, truth.noEndpoints);
  if (truth.noEndpoints) {
    // kube-proxy rejects an external IP and a load-balancer IP of a port without endpoints with rules of the same
    // shape and comment (`… has no endpoints`): the dump cannot tell them apart, only that they are the port's.
    expect('external and load-balancer IPs', [...found.externalIPs, ...found.loadBalancerIPs].sort(), [
      ...[...truth.externalIPs, ...truth.loadBalancerIPs].sort(),
    ]);
  } else {
    expect('externalIPs', found.externalIPs, truth.externalIPs);
    expect('loadBalancerIPs', found.loadBalancerIPs, truth.loadBalancerIPs);
    expect('nodePorts', found.nodePorts, truth.nodePort === undefined ? [] : [truth.nodePort]);
    const chains = Object.values(truth.chains)
      .filter((c): c is string => c !== undefined)
      .sort();
    expect('chains', found.chains.map((c) => c.name).sort(), chains);
    expect('hashMatches', found.hashMatches, commentsKept ? true : found.hashMatches);
    if (truth.chains.svl !== undefined) {
      expect('trafficPolicy', found.trafficPolicy, 'Local');
    }
    expect(
      'endpoints',
      found.endpoints.map((e) => [e.chain.name, e.address]),
      truth.endpoints.map((e) => [e.chain, e.address]),
    );
    found.endpoints.forEach((endpoint, i) => {
      const expected = truth.endpoints[i]?.share ?? NaN;
      if (!(Math.abs(endpoint.share - expected) < SHARE_TOLERANCE)) {
        differences.push(`${label}: endpoint ${i + 1} share ${endpoint.share}, expected ${expected}`);
      }
      if (truth.affinitySeconds !== undefined) {
        expect(`endpoint ${i + 1} affinitySeconds`, endpoint.affinitySeconds, truth.affinitySeconds);
      }
    });
  }
  return differences;
}

function generatedCase(name: string, options: KubeDumpOptions): { name: string; generated: GeneratedKubeDump } {
  return { name, generated: generateKubeDump(options) };
}

const CASES = [
  generatedCase('IPv4, 150 services, every feature', {
    services: 150,
    maxEndpoints: 6,
    seed: 31,
    mix: { affinity: 0.2, externalIP: 0.15, loadBalancer: 0.25, nodePort: 0.2, udp: 0.2, multiPort: 0.15 },
  }),
  generatedCase('IPv4, 400 services, large cluster mode (no endpoint comments)', {
    services: 400,
    minEndpoints: 2,
    maxEndpoints: 8,
    seed: 32,
  }),
  generatedCase('IPv6, 80 services', { services: 80, maxEndpoints: 5, seed: 33, family: 6, mix: { affinity: 0.2, loadBalancer: 0.2 } }),
];

describe('oracle: kube-proxy analysis against the generator ground truth', function () {
  this.timeout(60_000);

  before(() => {
    requireNetnsIptables({ family: 4 });
    requireNetnsIptables({ family: 6 });
  });

  for (const { name, generated } of CASES) {
    describe(name, () => {
      const printed = new Map<string, string>();
      const flavour: IptablesFlavour = { family: generated.family };

      before(() => {
        const ns = NetworkNamespace.create();
        try {
          ns.restore(renderRestore(generated), flavour);
          for (const format of FORMATS) {
            printed.set(format.name, format.print(ns, flavour));
          }
        } finally {
          ns.delete();
        }
      });

      for (const format of FORMATS) {
        it(`${format.name}: every service port, its addresses, chains and endpoints with their shares`, () => {
          const analysis = analyzeKube(parseDump(printed.get(format.name) ?? ''));
          const differences = generated.servicePorts.flatMap((port) => portDifferences(port, analysis, generated.endpointComments));
          const shown = differences.slice(0, 15).join('\n  ');
          assert.equal(differences.length, 0, `${differences.length} differences:\n  ${shown}`);
          // Every port the analysis reports with a chain, an address or an endpoint is one the generator wrote, once.
          // (Bare ports it makes from a lone rule are left out: a UDP port's `health check node port` rule is
          // always `-p tcp`, and the analysis currently makes a phantom tcp port of it — reported to its owner.)
          const generatedKeys = new Set(generated.servicePorts.map((p) => `${p.portName}/${p.protocol}`));
          const reported = analysis.services
            .filter((s) => s.chains.length > 0 || s.clusterIPs.length > 0 || s.endpoints.length > 0)
            .map((s) => `${s.portName}/${s.protocol}`);
          assert.deepEqual(
            reported.filter((key, i) => !generatedKeys.has(key) || reported.indexOf(key) !== i),
            [],
            'service ports found twice or made up',
          );
          assert.equal(new Set(reported).size, generated.servicePorts.length);
        });
      }
    });
  }
});
