import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { parseDump } from '../../../server/src/parse/index';
import type { Chain, Dump } from '../../../server/src/model/types';
import { analyzeKube, serviceOfChain } from '../../../server/src/kube/analysis';
import type { KubeAnalysis } from '../../../server/src/kube/analysis';
import type { DumpEndpoint, DumpServicePort } from '../../../server/src/kube/types';
import { generateKubeDump, renderListing, renderRestore, renderSave } from '../../support/generateKubeDump';
import type { GeneratedKubeDump, GeneratedServicePort } from '../../support/generateKubeDump';

/** The analysis's service port for a generated one: by its chain, or (no chains) by name and protocol. */
function find(analysis: KubeAnalysis, truth: GeneratedServicePort): DumpServicePort {
  const chain = truth.chains.svc ?? truth.chains.svl ?? truth.chains.ext;
  const service =
    chain !== undefined
      ? serviceOfChain(analysis, chain)
      : analysis.services.find((s) => s.portName === truth.portName && s.protocol === truth.protocol);
  assert.ok(service, `${truth.portName}/${truth.protocol} not found`);
  return service;
}

/** Checks every service port of a generated ruleset against its ground truth. */
function assertMatchesTruth(generated: GeneratedKubeDump, analysis: KubeAnalysis, context: string): void {
  assert.equal(analysis.services.length, generated.servicePorts.length, context);
  for (const truth of generated.servicePorts) {
    const service = find(analysis, truth);
    const where = `${context}: ${truth.portName}/${truth.protocol}`;
    assert.equal(service.portName, truth.portName, where);
    assert.equal(service.protocol, truth.protocol, where);
    assert.deepEqual(service.clusterIPs, [truth.clusterIP], where);
    assert.equal(service.servicePort, truth.servicePort, where);
    assert.equal(service.noEndpoints, truth.noEndpoints, where);
    if (truth.noEndpoints) {
      continue;
    }
    assert.equal(service.hashMatches, true, where);
    assert.deepEqual(service.nodePorts, truth.nodePort !== undefined ? [truth.nodePort] : [], where);
    assert.deepEqual([...service.externalIPs].sort(), [...truth.externalIPs].sort(), where);
    assert.deepEqual([...service.loadBalancerIPs].sort(), [...truth.loadBalancerIPs].sort(), where);
    assert.equal(service.healthCheckNodePort, truth.healthCheckNodePort, where);
    assert.equal(service.trafficPolicy, truth.externalTrafficPolicy, where);
    assert.equal(service.affinitySeconds, truth.affinitySeconds, where);
    assert.deepEqual(
      service.endpoints.map((e) => [e.chain.name, e.address, e.hashMatches]),
      truth.endpoints.map((e) => [e.chain, e.address, true]),
      where,
    );
    service.endpoints.forEach((endpoint, i) => assert.ok(Math.abs(endpoint.share - truth.endpoints[i].share) < 1e-9, where));
    const local = truth.chains.svl !== undefined ? truth.endpoints.filter((e) => e.local) : [];
    assert.deepEqual(
      service.localEndpoints.map((e) => e.address),
      local.map((e) => e.address),
      where,
    );
    service.localEndpoints.forEach((endpoint, i) => assert.ok(Math.abs(endpoint.share - (local[i].localShare ?? NaN)) < 1e-9, where));
  }
  assert.deepEqual(
    analysis.diagnostics.filter((d) => d.code !== 'kube-no-endpoints'),
    [],
    context,
  );
  assert.equal(analysis.diagnostics.length, generated.servicePorts.filter((s) => s.noEndpoints).length, context);
}

/**
 * Every field of an analysis as one text, in the analysis's own order (lists, maps in insertion order, object keys
 * as JSON writes them, so also the CLI's `services --json`): chains by table position and name, service ports by
 * their place in `services`, endpoints by service port and place, rules by line.
 */
function canonicalText(analysis: KubeAnalysis, dump: Dump): string {
  const serviceIds = new Map(analysis.services.map((service, i) => [service, `service#${i}`]));
  const endpointIds = new Map<DumpEndpoint, string>();
  analysis.services.forEach((service, i) => {
    service.endpoints.forEach((endpoint, j) => endpointIds.set(endpoint, `service#${i}/endpoint#${j}`));
    service.localEndpoints.forEach((endpoint, j) => endpointIds.set(endpoint, `service#${i}/local#${j}`));
  });
  const chainId = (chain: Chain): string => `${dump.tables.indexOf(chain.table)}:${chain.name}`;
  const factsIds = new Map([...analysis.endpointsByChain].map(([chain, facts]) => [facts as object, `facts ${chainId(chain)}`]));
  const reference = (key: string, value: unknown): unknown => {
    if (value === null || typeof value !== 'object') {
      return value;
    }
    if (key === 'service') {
      return serviceIds.get(value as DumpServicePort) ?? 'unlisted service';
    }
    if (key === 'endpoint') {
      return endpointIds.get(value as DumpEndpoint) ?? factsIds.get(value) ?? 'unknown endpoint';
    }
    if (key === 'rule') {
      return `rule@${(value as { line: number }).line}`;
    }
    return value;
  };
  return JSON.stringify(
    {
      hasKubeProxy: analysis.hasKubeProxy,
      tables: analysis.tables === dump.tables,
      services: analysis.services,
      serviceByChain: [...analysis.serviceByChain].map(([chain, service]) => [chainId(chain), serviceIds.get(service)]),
      endpointsByChain: [...analysis.endpointsByChain].map(([chain, facts]) => [chainId(chain), facts]),
      addresses: [...analysis.addresses],
      dispatchByLine: [...analysis.dispatchByLine].map(([line, service]) => [line, serviceIds.get(service)]),
      endpointRuleByLine: [...analysis.endpointRuleByLine],
      diagnostics: analysis.diagnostics,
    },
    reference,
  );
}

describe('kube analysis on generated kube-proxy rulesets (ground truth from the generator)', () => {
  for (const seed of [1, 2, 3]) {
    for (const comments of [true, false] as const) {
      const generated = generateKubeDump({ seed, services: 60, maxEndpoints: 5, comments });
      for (const [format, render] of [
        ['restore input', renderRestore],
        ['save', renderSave],
        ['-L -n -v', renderListing],
      ] as const) {
        it(`seed ${seed}, ${comments ? 'with' : 'without'} endpoint comments, ${format}`, () => {
          assertMatchesTruth(generated, analyzeKube(parseDump(render(generated))), `seed ${seed} ${format}`);
        });
      }
    }
  }

  it('IPv6 endpoints hash as [ip]:port', () => {
    const generated = generateKubeDump({ seed: 7, services: 20, family: 6 });
    assertMatchesTruth(generated, analyzeKube(parseDump(renderSave(generated))), 'IPv6 save');
  });

  // The whole analysis of 2,000 services, pinned: a change to how it is computed (for speed, for memory) must not
  // change what it computes. The digests were taken from the analysis as it stood before such work (commit
  // a22f7f5); a deliberate change of the analysis's output updates them, and says so in its commit.
  for (const [format, render, digest] of [
    ['save', renderSave, '89e3882d5a01bb3debbed1d77466f6bfabdfab04820a75e4ad3a133548ecd3ea'],
    ['-L -n -v', renderListing, 'c9a63109ec47e197046ecb63de2dcb766bff55cba7add3772134518456ae3e7c'],
  ] as const) {
    it(`2,000 services, ${format}: matches the ground truth, and every field of the analysis is as pinned`, function () {
      this.timeout(120_000);
      const generated = generateKubeDump({ seed: 2000, services: 2000, maxEndpoints: 8 });
      const dump = parseDump(render(generated));
      const analysis = analyzeKube(dump);
      assertMatchesTruth(generated, analysis, `2,000 services ${format}`);
      const text = canonicalText(analysis, dump);
      assert.equal(createHash('sha256').update(text).digest('hex'), digest, `canonical analysis of ${text.length} characters`);
    });
  }

  it('analyses a 450,000-line dump with 120,000 chains in linear time', function () {
    this.timeout(300_000);
    // Service ports of one port with exactly three endpoints each: 15 lines and 4 chains per port.
    const measure = (services: number): { lines: number; chains: number; cpuMs: number; ports: number; analysis: KubeAnalysis } => {
      const generated = generateKubeDump({
        seed: 11,
        services,
        minEndpoints: 3,
        maxEndpoints: 3,
        mix: { multiPort: 0, nodePort: 0, loadBalancer: 0, externalIP: 0, affinity: 0 },
      });
      const dump = parseDump(renderSave(generated));
      const chains = dump.tables.reduce((sum, t) => sum + t.chains.size, 0);
      const before = process.cpuUsage();
      const analysis = analyzeKube(dump);
      const used = process.cpuUsage(before);
      return { lines: dump.lineCount, chains, cpuMs: (used.user + used.system) / 1000, ports: generated.servicePorts.length, analysis };
    };
    const small = measure(3_000);
    const large = measure(30_000);
    assert.ok(large.lines >= 450_000 && large.chains >= 120_000, `${large.lines} lines, ${large.chains} chains`);
    assert.equal(large.analysis.services.length, large.ports);
    // Ten times the dump must cost about ten times the time (a quadratic step would cost a hundred times).
    const ratio = large.cpuMs / small.cpuMs;
    console.log(
      `      analyzeKube: ${small.lines} lines ${small.cpuMs.toFixed(0)} ms CPU, ${large.lines} lines / ${large.chains} chains ${large.cpuMs.toFixed(0)} ms CPU (×${ratio.toFixed(1)})`,
    );
    assert.ok(ratio < 25, `×${ratio.toFixed(1)} for ten times the dump`);
    assert.ok(large.cpuMs < 10_000, `${large.cpuMs.toFixed(0)} ms CPU`);
  });
});

describe('kube analysis of iptables-save and ip6tables-save pasted together', () => {
  it('keeps the IPv4 and IPv6 services of the same chain names apart', () => {
    const v4 = generateKubeDump({ seed: 5, services: 15, minEndpoints: 1 });
    const v6 = generateKubeDump({ seed: 5, services: 15, minEndpoints: 1, family: 6 });
    const dump = parseDump(renderSave(v4) + renderSave(v6));
    const analysis = analyzeKube(dump);
    const [nat4, nat6] = dump.tables.filter((t) => t.name === 'nat');
    assert.ok(nat4 && nat6);
    assert.equal(analysis.services.length, v4.servicePorts.length + v6.servicePorts.length);
    for (const [generated, table] of [
      [v4, nat4],
      [v6, nat6],
    ] as const) {
      for (const truth of generated.servicePorts.filter((p) => p.chains.svc !== undefined)) {
        const service = serviceOfChain(analysis, truth.chains.svc!, table);
        assert.ok(service);
        assert.deepEqual(service.clusterIPs, [truth.clusterIP]);
        assert.deepEqual(
          service.endpoints.map((e) => [e.address, e.hashMatches]),
          truth.endpoints.map((e) => [e.address, true]),
        );
      }
    }
    assert.deepEqual(
      analysis.diagnostics.filter((d) => d.code !== 'kube-no-endpoints'),
      [],
    );
  });
});
