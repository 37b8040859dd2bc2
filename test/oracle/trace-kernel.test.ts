// The tracer against the Linux kernel: generated kube-proxy rulesets loaded into a real "node" namespace, real
// connections to cluster IPs, and the endpoints the kernel chose compared with what the tracer says.
//
// The virtual network, per generated dump (every address lives in a namespace made here; none has a default route):
//
//   client ns  eth0 198.18.0.2/24 + 10.247.255.2/32 ──veth── to-client 198.18.0.1/24   node ns (the dump's filter
//                                                                                         and nat tables, ip_forward)
//   pod ns k   eth0 100.64.k.2/24 + endpoint IPs/32  ──veth── to-pod-k 100.64.k.1/24
//   sink ns    eth0 100.127.0.2/30, cluster IPs on lo ──veth── to-sink 100.127.0.1/30  (route for 10.96.0.0/12: what
//                                                                                       no rule catches ends here)
//
// 10.247.255.2 is inside the generated cluster CIDR (10.244.0.0/14), so kube-proxy does not masquerade it;
// 198.18.0.2 is outside, so it is masqueraded to the node's address on the pod's veth. Each pod namespace runs
// one listener that answers every connection with the endpoint address it reached and the source it saw.
import * as assert from 'node:assert/strict';
import { parseDump, ruleDetails } from '../../server/src/parse/index';
import { normaliseAddress, protocolMatches } from '../../server/src/trace/address';
import { tracePacket } from '../../server/src/trace/index';
import type { TraceOutcome, TracePacket, TraceResult } from '../../server/src/trace/index';
import { generateKubeDump, renderRestore } from '../support/generateKubeDump';
import type { GeneratedKubeDump, GeneratedServicePort } from '../support/generateKubeDump';
import { NetworkNamespace, requireNetnsIptables } from '../support/netns';
import { connectVeth, ip, Listener, runConnections, sysctl } from '../support/netnsTraffic';
import type { ConnectionJob, ConnectionResult, ListenSpec } from '../support/netnsTraffic';

/** The addresses of the virtual network in one IP family. */
interface NetPlan {
  family: 4 | 6;
  /** The client's address outside the cluster CIDR (masqueraded) and its node-side peer. */
  client: string;
  nodeClientSide: string;
  /** The client's address inside the cluster CIDR (not masqueraded). */
  podClient: string;
  sinkNodeSide: string;
  sink: string;
  /** Where the generator puts cluster IPs. */
  serviceRange: string;
  linkPrefix: number;
  hostPrefix: number;
  podNodeSide(k: number): string;
  podSide(k: number): string;
}

const IPV4: NetPlan = {
  family: 4,
  client: '198.18.0.2',
  nodeClientSide: '198.18.0.1',
  podClient: '10.247.255.2', // inside the generated cluster CIDR 10.244.0.0/14
  sinkNodeSide: '100.127.0.1',
  sink: '100.127.0.2',
  serviceRange: '10.96.0.0/12',
  linkPrefix: 24,
  hostPrefix: 32,
  podNodeSide: (k) => `100.64.${k}.1`,
  podSide: (k) => `100.64.${k}.2`,
};

const IPV6: NetPlan = {
  family: 6,
  client: 'fd00:198::2',
  nodeClientSide: 'fd00:198::1',
  podClient: 'fd00:10:244:ff::2', // inside the generated cluster CIDR fd00:10:244::/56
  sinkNodeSide: 'fd00:127::1',
  sink: 'fd00:127::2',
  serviceRange: 'fd00:10:96::/64',
  linkPrefix: 64,
  hostPrefix: 128,
  podNodeSide: (k) => `fd00:64:${k}::1`,
  podSide: (k) => `fd00:64:${k}::2`,
};

/** Connections per sampled service port and client address. */
const CONNECTIONS = 150;
/** Connections from each client address to a service with session affinity. */
const AFFINITY_CONNECTIONS = 30;
/** Connections to a service without endpoints, per protocol sampled. */
const REJECTED_CONNECTIONS = 20;
/** Shares may differ from the tracer's probabilities by this many standard deviations (binomial). */
const SIGMAS = 5;
const MAX_POD_NAMESPACES = 4;

/** The dumps: a few seeds, enough services that some have no endpoints, some UDP, no session affinity. */
const DUMPS = [...[11, 12, 13, 14].map((seed) => ({ seed, plan: IPV4 })), ...[16, 17].map((seed) => ({ seed, plan: IPV6 }))].map(
  ({ seed, plan }) => ({
    seed,
    plan,
    dump: generateKubeDump({ seed, family: plan.family, services: 14, minEndpoints: 0, maxEndpoints: 4, mix: { affinity: 0, udp: 0.3 } }),
  }),
);
/** A dump of load balancers with source ranges (KUBE-FW-* chains, KUBE-PROXY-FIREWALL drops). */
const LOAD_BALANCER_SEED = 31;
/** Connections from a source a load balancer's source ranges do not allow (each waits for its timeout). */
const DROPPED_CONNECTIONS = 8;
/** A dump where every service has session affinity (`-m recent`). */
const AFFINITY_SEED = 21;

interface Measured {
  name: string;
  ports: number;
  endpoints: number;
  connections: number;
  rejected: number;
  worstSigma: number;
  seconds: number;
}
const measured: Measured[] = [];

interface Sample {
  /** Cluster IPs with endpoints: UDP first, then the most endpoints. */
  balanced: GeneratedServicePort[];
  /** Without endpoints: one per protocol. */
  rejected: GeneratedServicePort[];
  /** A node port of a `Cluster`-policy service with endpoints. */
  nodePort?: GeneratedServicePort;
}

function sample(dump: GeneratedKubeDump): Sample {
  const withEndpoints = dump.servicePorts.filter((p) => !p.noEndpoints && p.endpoints.length > 0);
  const udp = withEndpoints.filter((p) => p.protocol === 'udp').sort((a, b) => b.endpoints.length - a.endpoints.length);
  const tcp = withEndpoints.filter((p) => p.protocol === 'tcp').sort((a, b) => b.endpoints.length - a.endpoints.length);
  const balanced = [...udp.slice(0, 1), ...tcp.slice(0, 3 - Math.min(1, udp.length))];
  const rejected = ['tcp', 'udp'].flatMap((protocol) =>
    dump.servicePorts.filter((p) => p.noEndpoints && p.protocol === protocol).slice(0, 1),
  );
  const nodePort = withEndpoints.find((p) => p.nodePort !== undefined && p.externalTrafficPolicy === 'Cluster' && !balanced.includes(p));
  return { balanced, rejected, nodePort };
}

/** The virtual network of one test: a node namespace with the dump loaded, a client, a sink, pods with listeners. */
interface NodeNetwork {
  plan: NetPlan;
  node: NetworkNamespace;
  client: NetworkNamespace;
  /** Where the node routes the service range: what no rule catches ends here. */
  sink: NetworkNamespace;
  /** The node's own addresses (for the tracer's addrtype LOCAL). */
  nodeAddresses: string[];
  /** The node's address on the veth to the pod namespace holding an endpoint IP: what masquerading rewrites to. */
  podSideOf(endpointIP: string): string;
}

/** Builds the network for `ports`, runs `body`, and always removes the listeners and the namespaces. */
async function withNodeNetwork<T>(
  dump: GeneratedKubeDump,
  ports: GeneratedServicePort[],
  plan: NetPlan,
  body: (net: NodeNetwork) => Promise<T>,
): Promise<T> {
  const namespaces: NetworkNamespace[] = [];
  const listeners: Listener[] = [];
  const make = (): NetworkNamespace => {
    const ns = NetworkNamespace.create('iplt');
    namespaces.push(ns);
    return ns;
  };
  // IPv6 addresses skip duplicate address detection, which would hold them back for a second or two.
  const addr = (ns: NetworkNamespace, address: string, prefix: number, dev: string): void =>
    ip(ns, 'addr', 'add', `${address}/${prefix}`, 'dev', dev, ...(plan.family === 6 ? ['nodad'] : []));
  const link = (a: NetworkNamespace, aName: string, aAddress: string, b: NetworkNamespace, bName: string, bAddress: string): void => {
    connectVeth(a, aName, undefined, b, bName, undefined);
    addr(a, aAddress, plan.linkPrefix, aName);
    addr(b, bAddress, plan.linkPrefix, bName);
  };
  try {
    const node = make();
    const client = make();
    const sink = make();
    node.restore(renderRestore(dump), { family: plan.family });
    if (plan.family === 4) {
      sysctl(node, 'net.ipv4.ip_forward', '1');
      // REJECT answers with ICMP, which the kernel rate-limits per destination (a burst of 6, then 1/s).
      sysctl(node, 'net.ipv4.icmp_ratelimit', '0');
    } else {
      sysctl(node, 'net.ipv6.conf.all.forwarding', '1');
      sysctl(node, 'net.ipv6.icmp.ratelimit', '0');
    }
    link(node, 'to-client', plan.nodeClientSide, client, 'eth0', plan.client);
    addr(client, plan.podClient, plan.hostPrefix, 'eth0');
    ip(client, 'route', 'add', plan.serviceRange, 'via', plan.nodeClientSide);
    ip(node, 'route', 'add', `${plan.podClient}/${plan.hostPrefix}`, 'dev', 'to-client');
    link(node, 'to-sink', plan.sinkNodeSide, sink, 'eth0', plan.sink);
    ip(node, 'route', 'add', plan.serviceRange, 'via', plan.sink);
    for (const clusterIP of new Set(ports.map((p) => p.clusterIP))) {
      addr(sink, clusterIP, plan.hostPrefix, 'lo');
    }
    ip(sink, 'route', 'add', `${plan.client}/${plan.hostPrefix}`, 'via', plan.sinkNodeSide);
    ip(sink, 'route', 'add', `${plan.podClient}/${plan.hostPrefix}`, 'via', plan.sinkNodeSide);

    const endpointIPs = [...new Set(ports.flatMap((p) => p.endpoints.map((e) => e.ip)))];
    const podCount = Math.min(MAX_POD_NAMESPACES, endpointIPs.length);
    const podOf = new Map(endpointIPs.map((address, i) => [address, i % podCount]));
    const nodeAddresses = [plan.nodeClientSide, plan.sinkNodeSide];
    const pods: NetworkNamespace[] = [];
    const specs: ListenSpec[][] = [];
    for (let k = 0; k < podCount; k++) {
      const pod = make();
      pods.push(pod);
      specs.push([]);
      link(node, `to-pod-${k}`, plan.podNodeSide(k), pod, 'eth0', plan.podSide(k));
      nodeAddresses.push(plan.podNodeSide(k));
      ip(pod, 'route', 'add', `${plan.client}/${plan.hostPrefix}`, 'via', plan.podNodeSide(k));
      ip(pod, 'route', 'add', `${plan.podClient}/${plan.hostPrefix}`, 'via', plan.podNodeSide(k));
    }
    for (const address of endpointIPs) {
      const k = podOf.get(address)!;
      addr(pods[k], address, plan.hostPrefix, 'eth0');
      ip(node, 'route', 'add', `${address}/${plan.hostPrefix}`, 'via', plan.podSide(k));
    }
    for (const port of ports) {
      for (const e of port.endpoints) {
        const list = specs[podOf.get(e.ip)!];
        if (!list.some((s) => s.protocol === port.protocol && s.ip === e.ip && s.port === e.port)) {
          list.push({ protocol: port.protocol, ip: e.ip, port: e.port });
        }
      }
    }
    listeners.push(...(await Promise.all(pods.map((pod, k) => Listener.start(pod, specs[k])))));
    return await body({ plan, node, client, sink, nodeAddresses, podSideOf: (endpointIP) => plan.podNodeSide(podOf.get(endpointIP)!) });
  } finally {
    await Promise.all(listeners.map((l) => l.stop()));
    for (const ns of namespaces.reverse()) {
      ns.delete();
    }
  }
}

/** Traces a packet on the rules as the kernel prints them back, in save and in `-L -n -v` form, which must agree. */
function traceOnKernelRules(net: NodeNetwork): (packet: TracePacket) => TraceResult {
  const saved = parseDump(net.node.save({ family: net.plan.family }));
  const listed = parseDump(net.node.listTables(['filter', 'nat'], { family: net.plan.family }));
  const shape = (r: TraceResult): [string, number, string][] =>
    r.outcomes.map((o: TraceOutcome) => [o.label, Number(o.probability.toFixed(9)), o.masquerade.decision]);
  return (packet) => {
    const fromSave = tracePacket(saved, packet);
    assert.deepEqual(
      shape(tracePacket(listed, packet)),
      shape(fromSave),
      `iptables -L and iptables-save traces of ${packet.dst}:${packet.dstPort} agree`,
    );
    return fromSave;
  };
}

function endpointKey(ipAddress: string, port: number | undefined): string {
  return `${ipAddress}:${port}`;
}

/** The tracer's DNAT outcomes as endpoint → probability; fails on anything else. */
function tracedEndpoints(result: TraceResult, allowConditional = false): Map<string, number> {
  const shares = new Map<string, number>();
  for (const outcome of result.outcomes) {
    assert.equal(outcome.verdict, 'ACCEPT', `unexpected outcome ${outcome.label}`);
    assert.equal(outcome.conditional, allowConditional, `${outcome.label} depends on assumptions`);
    assert.ok(outcome.dnat, `${outcome.label} has no DNAT`);
    shares.set(endpointKey(outcome.dnat.ip, outcome.dnat.port), outcome.probability);
  }
  return shares;
}

/** The kernel's answers as endpoint → count and the set of source addresses each endpoint saw. */
function kernelEndpoints(results: ConnectionResult[]): { counts: Map<string, number>; seen: Map<string, Set<string>> } {
  const counts = new Map<string, number>();
  const seen = new Map<string, Set<string>>();
  for (const result of results) {
    for (const [answer, count] of Object.entries(result.answers)) {
      const [endpoint, remote] = answer.split(' ');
      counts.set(endpoint, (counts.get(endpoint) ?? 0) + count);
      seen.set(endpoint, new Set([...(seen.get(endpoint) ?? []), remote]));
    }
  }
  return { counts, seen };
}

/** How many standard deviations `observed` lies from n·p. */
function sigmas(observed: number, n: number, p: number): number {
  const sd = Math.sqrt(n * p * (1 - p));
  return sd === 0 ? (observed === n * p ? 0 : Infinity) : Math.abs(observed - n * p) / sd;
}

/**
 * Compares one batch of kernel connections with the trace: the same endpoints, shares within SIGMAS, and each
 * endpoint seeing the client (not masqueraded) or the node's pod-side address (masqueraded), as the trace says.
 * Returns the worst deviation in σ and the number of connections.
 */
function compareBalancing(
  label: string,
  traced: TraceResult,
  kernel: ConnectionResult[],
  src: string,
  net: NodeNetwork,
): { worst: number; n: number } {
  const expected = tracedEndpoints(traced);
  for (const r of kernel) {
    assert.deepEqual(r.errors, {}, `${label} from ${r.job.src}: every connection answered`);
  }
  const { counts, seen } = kernelEndpoints(kernel);
  assert.deepEqual(new Set(counts.keys()), new Set(expected.keys()), `${label}: the endpoints the kernel chose`);
  const n = [...counts.values()].reduce((a, b) => a + b, 0);
  let worst = 0;
  for (const [endpoint, p] of expected) {
    const deviation = sigmas(counts.get(endpoint) ?? 0, n, p);
    worst = Math.max(worst, deviation);
    assert.ok(
      deviation <= SIGMAS,
      `${label} → ${endpoint}: ${counts.get(endpoint)} of ${n}, expected ${(n * p).toFixed(1)} (${deviation.toFixed(2)} σ)`,
    );
  }
  for (const outcome of traced.outcomes) {
    const endpoint = endpointKey(outcome.dnat!.ip, outcome.dnat!.port);
    assert.notEqual(outcome.masquerade.decision, 'depends', `${label}: the masquerade decision is certain`);
    const expectedSource = normaliseAddress(outcome.masquerade.decision === 'yes' ? net.podSideOf(outcome.dnat!.ip) : src);
    assert.deepEqual(
      [...(seen.get(endpoint) ?? [])].map(normaliseAddress),
      [expectedSource],
      `${label} from ${src} → ${endpoint}: the source the endpoint saw`,
    );
  }
  return { worst, n };
}

describe('trace vs the kernel: generated kube-proxy rulesets in network namespaces', function () {
  this.timeout(90_000);

  before(() => {
    requireNetnsIptables();
  });

  after(() => {
    for (const m of measured) {
      // The numbers the report quotes: what the kernel did, per dump.
      process.stdout.write(
        `      ${m.name}: ${m.ports} service ports, ${m.endpoints} endpoints, ${m.connections} connections ` +
          `(+${m.rejected} refused or dropped), worst share deviation ${m.worstSigma.toFixed(2)} σ, ${m.seconds.toFixed(1)} s\n`,
      );
    }
  });

  it('the sample covers UDP, several endpoints and a service without endpoints', () => {
    const samples = DUMPS.map(({ dump }) => sample(dump));
    assert.ok(
      samples.some((s) => s.balanced.some((p) => p.protocol === 'udp')),
      'some UDP service port',
    );
    assert.ok(
      samples.some((s) => s.balanced.some((p) => p.endpoints.length >= 3)),
      'some port with 3+ endpoints',
    );
    assert.ok(
      samples.some((s) => s.rejected.some((p) => p.protocol === 'tcp')),
      'some TCP port without endpoints',
    );
    assert.ok(
      samples.some((s) => s.rejected.some((p) => p.protocol === 'udp')),
      'some UDP port without endpoints',
    );
    assert.ok(
      samples.some((s) => s.nodePort !== undefined),
      'some node port',
    );
  });

  for (const { seed, dump, plan } of DUMPS) {
    it(`seed ${seed} (IPv${plan.family}): the kernel's endpoints, shares, rejections and masquerading match the trace`, async () => {
      requireNetnsIptables({ family: plan.family });
      const { client: CLIENT_ADDRESS, podClient: POD_CLIENT_ADDRESS, nodeClientSide: NODE_CLIENT_SIDE } = plan;
      const started = Date.now();
      const { balanced, rejected, nodePort } = sample(dump);
      const ports = [...balanced, ...rejected, ...(nodePort ? [nodePort] : [])];
      await withNodeNetwork(dump, ports, plan, async (net) => {
        const trace = traceOnKernelRules(net);
        const packet = (dst: string, dstPort: number, port: GeneratedServicePort, src: string): TracePacket => ({
          dst,
          dstPort,
          protocol: port.protocol,
          src,
          from: src === POD_CLIENT_ADDRESS ? 'pod' : 'external',
          inInterface: 'to-client',
          localAddresses: net.nodeAddresses,
        });
        const jobs: ConnectionJob[] = [];
        for (const port of balanced) {
          for (const src of [POD_CLIENT_ADDRESS, CLIENT_ADDRESS]) {
            jobs.push({ protocol: port.protocol, dst: port.clusterIP, port: port.servicePort, src, count: CONNECTIONS });
          }
        }
        for (const port of rejected) {
          jobs.push({
            protocol: port.protocol,
            dst: port.clusterIP,
            port: port.servicePort,
            src: CLIENT_ADDRESS,
            count: REJECTED_CONNECTIONS,
          });
        }
        if (nodePort) {
          jobs.push({
            protocol: nodePort.protocol,
            dst: NODE_CLIENT_SIDE,
            port: nodePort.nodePort!,
            src: CLIENT_ADDRESS,
            count: CONNECTIONS,
          });
        }
        const { results, unfinished } = await runConnections(net.client, jobs, { deadlineMs: 45_000, timeoutMs: 4_000, concurrency: 8 });
        assert.equal(unfinished, 0, 'every connection was attempted before the deadline');
        const resultsOf = (dst: string, dstPort: number, protocol: string, src?: string): ConnectionResult[] =>
          results.filter(
            (r) => r.job.dst === dst && r.job.port === dstPort && r.job.protocol === protocol && (src === undefined || r.job.src === src),
          );

        let worst = 0;
        let connections = 0;
        for (const port of balanced) {
          const inside = trace(packet(port.clusterIP, port.servicePort, port, POD_CLIENT_ADDRESS));
          const outside = trace(packet(port.clusterIP, port.servicePort, port, CLIENT_ADDRESS));
          assert.deepEqual(tracedEndpoints(outside), tracedEndpoints(inside), 'the source does not change the endpoints');
          assert.ok(
            inside.outcomes.every((o) => o.masquerade.decision === 'no'),
            'a pod-network client is not masqueraded',
          );
          assert.ok(
            outside.outcomes.every((o) => o.masquerade.decision === 'yes'),
            'a client outside the pod network is masqueraded',
          );
          // The endpoint set and shares over both sources together; the masquerading per source.
          const both = resultsOf(port.clusterIP, port.servicePort, port.protocol);
          const all = compareBalancing(
            port.portName,
            inside,
            both.filter((r) => r.job.src === POD_CLIENT_ADDRESS),
            POD_CLIENT_ADDRESS,
            net,
          );
          const out = compareBalancing(
            port.portName,
            outside,
            both.filter((r) => r.job.src === CLIENT_ADDRESS),
            CLIENT_ADDRESS,
            net,
          );
          worst = Math.max(worst, all.worst, out.worst);
          connections += all.n + out.n;
        }

        if (nodePort) {
          const traced = trace(packet(NODE_CLIENT_SIDE, nodePort.nodePort!, nodePort, CLIENT_ADDRESS));
          assert.ok(
            traced.paths.every((p) => p.steps.some((s) => s.chain === 'KUBE-NODEPORTS')),
            'through KUBE-NODEPORTS (addrtype LOCAL)',
          );
          const result = compareBalancing(
            `${nodePort.portName} node port ${nodePort.nodePort}`,
            traced,
            resultsOf(NODE_CLIENT_SIDE, nodePort.nodePort!, nodePort.protocol),
            CLIENT_ADDRESS,
            net,
          );
          assert.ok(
            traced.outcomes.every((o) => o.masquerade.decision === 'yes'),
            'node-port traffic of a Cluster-policy service is masqueraded',
          );
          worst = Math.max(worst, result.worst);
          connections += result.n;
        }

        // Services without endpoints: the tracer says REJECT; the kernel refuses every connection, by that rule.
        const counters = parseDump(net.node.list('filter', { exact: true, family: plan.family }));
        const filterServices = counters.tables[0].chains.get('KUBE-SERVICES');
        for (const port of rejected) {
          const traced = trace(packet(port.clusterIP, port.servicePort, port, CLIENT_ADDRESS));
          assert.equal(traced.outcomes.length, 1);
          assert.equal(traced.outcomes[0].verdict, 'REJECT');
          assert.equal(traced.outcomes[0].probability, 1);
          assert.ok(traced.outcomes[0].reason?.includes(`${port.portName} has no endpoints`), traced.outcomes[0].reason);
          assert.equal(traced.paths[0].verdictRule?.table, 'filter');
          assert.equal(traced.paths[0].verdictRule?.chain, 'KUBE-SERVICES');
          const [result] = resultsOf(port.clusterIP, port.servicePort, port.protocol);
          assert.deepEqual(result.answers, {}, `${port.portName}: no answer`);
          if (port.protocol === 'udp') {
            // A UDP client learns of the REJECT only from an ICMP error, which the kernel may drop under load; the
            // rule's counter below still has to show every datagram reaching the REJECT.
            const { ECONNREFUSED = 0, TIMEOUT = 0, ...other } = result.errors;
            assert.deepEqual(other, {}, `${port.portName}: refused`);
            assert.equal(ECONNREFUSED + TIMEOUT, REJECTED_CONNECTIONS, `${port.portName}: refused`);
            assert.ok(TIMEOUT <= 2, `${port.portName}: refused (${TIMEOUT} ICMP errors lost)`);
          } else {
            assert.deepEqual(result.errors, { ECONNREFUSED: REJECTED_CONNECTIONS }, `${port.portName}: refused`);
          }
          const rejectRule = filterServices?.rules.find((r) => {
            const details = ruleDetails(r);
            const value = (name: string): string | undefined => details.matches.find((o) => o.name === name)?.values[0];
            return (
              r.target?.name === 'REJECT' &&
              normaliseAddress(value('--destination') ?? '') === normaliseAddress(port.clusterIP) &&
              value('--dport') === String(port.servicePort) &&
              protocolMatches(port.protocol, value('--protocol') ?? '') === true
            );
          });
          // Every attempt reached the rule. (Over IPv6, Linux's TCP here sends each SYN twice before it reports the
          // ICMPv6 port unreachable, so that rule counts two packets per attempt.)
          const packets = rejectRule?.counters?.packets ?? 0;
          const perAttempt = plan.family === 6 && port.protocol === 'tcp' ? [1, 2] : [1, 1];
          assert.ok(
            packets >= perAttempt[0] * REJECTED_CONNECTIONS && packets <= perAttempt[1] * REJECTED_CONNECTIONS,
            `the REJECT rule counted every attempt (${packets} packets for ${REJECTED_CONNECTIONS}): ${rejectRule?.text}`,
          );
          assert.equal(rejectRule?.line !== undefined && traced.paths[0].verdictRule?.text.includes(port.clusterIP), true);
        }

        measured.push({
          name: `seed ${seed} (IPv${plan.family})`,
          ports: balanced.length + (nodePort ? 1 : 0),
          endpoints: balanced.reduce((sum, p) => sum + p.endpoints.length, 0) + (nodePort?.endpoints.length ?? 0),
          connections,
          rejected: rejected.length * REJECTED_CONNECTIONS,
          worstSigma: worst,
          seconds: (Date.now() - started) / 1000,
        });
      });
    });
  }

  it('load balancer source ranges: an allowed client reaches the endpoints, another is dropped in KUBE-PROXY-FIREWALL', async () => {
    const started = Date.now();
    const dump = generateKubeDump({
      seed: LOAD_BALANCER_SEED,
      services: 6,
      minEndpoints: 2,
      maxEndpoints: 3,
      mix: { loadBalancer: 1, sourceRanges: 1, localPolicy: 0, affinity: 0, udp: 0, externalIP: 0 },
    });
    const port = dump.servicePorts.find((p) => p.loadBalancerSourceRanges.length > 0 && p.endpoints.length >= 2 && p.protocol === 'tcp');
    assert.ok(port, 'a TCP load balancer with source ranges and 2+ endpoints');
    const lbIP = port.loadBalancerIPs[0];
    // One client address inside the allowed /25, one in the other half of 203.0.113.0/24.
    const allowedRange = port.loadBalancerSourceRanges[0];
    const allowed = allowedRange.startsWith('203.0.113.128/') ? '203.0.113.200' : '203.0.113.10';
    const denied = allowed === '203.0.113.200' ? '203.0.113.10' : '203.0.113.200';
    await withNodeNetwork(dump, [port], IPV4, async (net) => {
      for (const address of [allowed, denied]) {
        ip(net.client, 'addr', 'add', `${address}/32`, 'dev', 'eth0');
      }
      ip(net.client, 'route', 'add', `${lbIP}/32`, 'via', IPV4.nodeClientSide);
      ip(net.node, 'route', 'add', '203.0.113.0/24', 'dev', 'to-client');
      ip(net.sink, 'addr', 'add', `${lbIP}/32`, 'dev', 'lo');
      ip(net.node, 'route', 'add', `${lbIP}/32`, 'via', IPV4.sink);
      const trace = traceOnKernelRules(net);
      const packet = (src: string): TracePacket => ({
        dst: lbIP,
        dstPort: port.servicePort,
        protocol: 'tcp',
        src,
        from: 'external',
        inInterface: 'to-client',
        localAddresses: net.nodeAddresses,
      });
      const { results } = await runConnections(
        net.client,
        [
          { protocol: 'tcp', dst: lbIP, port: port.servicePort, src: allowed, count: CONNECTIONS },
          { protocol: 'tcp', dst: lbIP, port: port.servicePort, src: denied, count: DROPPED_CONNECTIONS },
        ],
        { deadlineMs: 45_000, timeoutMs: 1_500, concurrency: 8 },
      );
      const [allowedResult, deniedResult] = results;

      const tracedAllowed = trace(packet(allowed));
      assert.ok(
        tracedAllowed.paths.every((p) => p.steps.some((s) => s.chain.startsWith('KUBE-FW-'))),
        'through the KUBE-FW chain',
      );
      assert.ok(tracedAllowed.outcomes.every((o) => o.masquerade.decision === 'yes'));
      const balance = compareBalancing(`${port.portName} load balancer ${lbIP}`, tracedAllowed, [allowedResult], allowed, net);

      const tracedDenied = trace(packet(denied));
      assert.equal(tracedDenied.outcomes.length, 1);
      assert.equal(tracedDenied.outcomes[0].verdict, 'DROP');
      assert.equal(tracedDenied.outcomes[0].probability, 1);
      assert.match(tracedDenied.outcomes[0].reason ?? '', /traffic not accepted by KUBE-FW-/);
      const dropRule = tracedDenied.paths[0].verdictRule;
      assert.equal(dropRule?.table, 'filter');
      assert.equal(dropRule?.chain, 'KUBE-PROXY-FIREWALL');
      // The kernel: no answer, every attempt timed out, and that DROP rule saw every attempt's SYN (and its resends).
      assert.deepEqual(deniedResult.answers, {});
      assert.deepEqual(deniedResult.errors, { TIMEOUT: DROPPED_CONNECTIONS });
      const firewall = parseDump(net.node.list('filter', { exact: true })).tables[0].chains.get('KUBE-PROXY-FIREWALL');
      const counted = firewall?.rules.find((r) => r.target?.name === 'DROP' && r.text.includes(lbIP))?.counters?.packets ?? 0;
      assert.ok(counted >= DROPPED_CONNECTIONS, `the DROP rule counted ${counted} packets for ${DROPPED_CONNECTIONS} attempts`);

      measured.push({
        name: `seed ${LOAD_BALANCER_SEED} (load balancer source ranges)`,
        ports: 1,
        endpoints: port.endpoints.length,
        connections: balance.n,
        rejected: DROPPED_CONNECTIONS,
        worstSigma: balance.worst,
        seconds: (Date.now() - started) / 1000,
      });
    });
  });

  it(`seed ${AFFINITY_SEED} (session affinity): each client sticks to one endpoint, which the trace flags as a condition`, async () => {
    const started = Date.now();
    const dump = generateKubeDump({ seed: AFFINITY_SEED, services: 14, minEndpoints: 2, maxEndpoints: 4, mix: { affinity: 1, udp: 0 } });
    const port = dump.servicePorts
      .filter((p) => p.affinitySeconds !== undefined && p.protocol === 'tcp')
      .sort((a, b) => b.endpoints.length - a.endpoints.length)[0];
    assert.ok(port && port.endpoints.length >= 2, 'a TCP service with affinity and 2+ endpoints');
    const { client: CLIENT_ADDRESS, podClient: POD_CLIENT_ADDRESS } = IPV4;
    await withNodeNetwork(dump, [port], IPV4, async (net) => {
      const trace = traceOnKernelRules(net);
      const jobs = [POD_CLIENT_ADDRESS, CLIENT_ADDRESS].map((src) => ({
        protocol: port.protocol,
        dst: port.clusterIP,
        port: port.servicePort,
        src,
        count: AFFINITY_CONNECTIONS,
      }));
      const { results } = await runConnections(net.client, jobs, { deadlineMs: 30_000 });
      for (const result of results) {
        const traced = trace({
          dst: port.clusterIP,
          dstPort: port.servicePort,
          protocol: 'tcp',
          src: result.job.src,
          localAddresses: net.nodeAddresses,
          inInterface: 'to-client',
        });
        // Without affinity (the first connection) the trace gives 1/n each; with it, up to all of them.
        const first = tracedEndpoints(traced, true);
        for (const p of first.values()) {
          assert.ok(Math.abs(p - 1 / port.endpoints.length) < 1e-6);
        }
        assert.ok(traced.outcomes.every((o) => o.probabilityRange.max === 1 && o.conditions.some((c) => c.kind === 'recent' && c.holds)));
        assert.deepEqual(result.errors, {});
        const { counts } = kernelEndpoints([result]);
        assert.equal(counts.size, 1, `all ${AFFINITY_CONNECTIONS} connections from ${result.job.src} reached one endpoint`);
        assert.ok(first.has([...counts.keys()][0]), 'an endpoint the trace lists');
      }
      measured.push({
        name: `seed ${AFFINITY_SEED} (affinity)`,
        ports: 1,
        endpoints: port.endpoints.length,
        connections: 2 * AFFINITY_CONNECTIONS,
        rejected: 0,
        worstSigma: 0,
        seconds: (Date.now() - started) / 1000,
      });
    });
  });
});
