// A deterministic generator of kube-proxy-shaped rulesets (iptables mode), with the ground truth the analysis must find in them.
//
// The rules follow what kube-proxy's iptables proxier (1.28 and later) writes in `syncProxyRules`: the same chains,
// the same rules per service port, the same option order in its `iptables-restore` input, kube-proxy's chain-name
// hash, `%0.10f` probabilities 1/(n-i), and its "large cluster mode" that drops endpoint comments above 1,000
// endpoints. Only the order of services differs: kube-proxy walks a Go map (random order), we walk the generated list.
//
// One model, three renderers:
//   renderRestore — kube-proxy's restore input (what real `iptables-restore` loads in the oracle tests);
//   renderSave    — what `iptables-nft-save` 1.8.9 prints back for it (checked byte for byte against the real tool);
//   renderListing — an approximation of `iptables -L -n -v`, for benchmark dumps too big to load into a kernel.
// test/oracle/generatorRender.test.ts compares the last two with real iptables output on small rulesets that use
// every rule shape written here (byte for byte, both families).
import { endpointChainName, endpointString, serviceChainName, servicePortName } from '../../server/src/kube/chainNames';

/** How often each kind of service and feature appears; each is a probability in [0, 1]. */
export interface KubeDumpMix {
  /** Services with two or three ports (all named, as the API requires) rather than one. */
  multiPort: number;
  /** Single-port services whose port has no name (`ns/name` rather than `ns/name:port`). */
  unnamedPort: number;
  /** UDP ports (the rest are TCP). */
  udp: number;
  /** `type: NodePort`. */
  nodePort: number;
  /** `type: LoadBalancer` (which also has a node port). */
  loadBalancer: number;
  /** Load balancers with `loadBalancerSourceRanges` (a KUBE-FW-* chain). */
  sourceRanges: number;
  /** Load balancers with `externalTrafficPolicy: Local` (KUBE-SVL-*, a health check node port). */
  localPolicy: number;
  /** Services with one `externalIPs` entry. */
  externalIP: number;
  /** `sessionAffinity: ClientIP` (`-m recent`). */
  affinity: number;
  /** The chance that an endpoint runs on this node (matters for `Local` policy only). */
  localEndpoint: number;
}

export interface KubeDumpOptions {
  /** PRNG seed: the same options always give the same ruleset. Default 1. */
  seed?: number;
  /** Number of services (each has one to three ports). Default 10. */
  services?: number;
  /** Endpoints per service port are drawn uniformly from minEndpoints..maxEndpoints. Defaults 0 and 3. */
  minEndpoints?: number;
  maxEndpoints?: number;
  /** 4 (iptables) or 6 (ip6tables). Default 4. */
  family?: 4 | 6;
  /**
   * Endpoint comments (`-m comment --comment ns/svc:port` on KUBE-SEP and KUBE-SVC → KUBE-SEP rules): `auto` is
   * kube-proxy's rule (dropped when the ruleset has more than 1,000 endpoints). Default `auto`.
   */
  comments?: 'auto' | boolean;
  /**
   * Also write the built-in chains and the rules that jump from them into kube-proxy's chains (`INPUT` →
   * `KUBE-FIREWALL` …). kube-proxy adds those with separate `iptables` calls, not in its restore input, but every
   * node's `iptables-save` has them, and without them nothing reaches the KUBE chains. Default true.
   */
  builtinJumps?: boolean;
  /** Overrides of the default feature mix. */
  mix?: Partial<KubeDumpMix>;
}

/** The default mix: mostly ClusterIP services, some of every other kind. */
export const DEFAULT_MIX: Readonly<KubeDumpMix> = {
  multiPort: 0.05,
  unnamedPort: 0.5,
  udp: 0.1,
  nodePort: 0.15,
  loadBalancer: 0.1,
  sourceRanges: 0.3,
  localPolicy: 0.4,
  externalIP: 0.04,
  affinity: 0.06,
  localEndpoint: 0.3,
};

/** One endpoint of a service port, and the share of the port's new connections it gets. */
export interface GeneratedEndpoint {
  ip: string;
  port: number;
  /** `ip:port`, or `[ip]:port` for IPv6: what kube-proxy hashes and writes in `--to-destination`. */
  address: string;
  /** The KUBE-SEP-* chain (kube-proxy's hash). */
  chain: string;
  /** Whether the pod runs on this node (for `externalTrafficPolicy: Local`). */
  local: boolean;
  /** `--probability` as kube-proxy writes it in the KUBE-SVC chain (`%0.10f`); undefined for the last endpoint. */
  probability?: string;
  /** The share of the service port's new connections that reach this endpoint through KUBE-SVC: 1/n. */
  share: number;
  /** In the KUBE-SVL chain (local endpoints of a `Local` service): its written probability and share 1/local count. */
  localProbability?: string;
  localShare?: number;
}

/** Ground truth for one service port (kube-proxy's unit, `ns/name:port`). */
export interface GeneratedServicePort {
  namespace: string;
  name: string;
  /** The port's name; '' when unnamed. */
  port: string;
  /** kube-proxy's service port name: `ns/name:port` or `ns/name`. */
  portName: string;
  protocol: 'tcp' | 'udp';
  clusterIP: string;
  servicePort: number;
  targetPort: number;
  type: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  nodePort?: number;
  healthCheckNodePort?: number;
  externalIPs: string[];
  loadBalancerIPs: string[];
  loadBalancerSourceRanges: string[];
  externalTrafficPolicy: 'Cluster' | 'Local';
  /** `sessionAffinity: ClientIP` timeout (kube-proxy's `-m recent --seconds`). */
  affinitySeconds?: number;
  /** The chains of this port that exist in the ruleset (kube-proxy creates only those it needs). */
  chains: { svc?: string; svl?: string; ext?: string; fw?: string };
  /** In the order of the KUBE-SVC chain's rules. */
  endpoints: GeneratedEndpoint[];
  /** No endpoints: kube-proxy writes `REJECT` rules (`has no endpoints`) in the filter table and no nat chains. */
  noEndpoints: boolean;
}

/** A rule in the order of the tokens kube-proxy writes after `-A CHAIN` (values unquoted). */
export interface GeneratedRule {
  chain: string;
  tokens: string[];
}

export interface GeneratedChain {
  name: string;
  builtin: boolean;
  /** `ACCEPT` for built-in chains. */
  policy?: string;
}

export interface GeneratedTable {
  name: 'filter' | 'nat';
  /** In the order kube-proxy declares them. */
  chains: GeneratedChain[];
  /** In the order kube-proxy writes them (chains interleaved). */
  rules: GeneratedRule[];
}

/** A generated ruleset: its tables (for the renderers) and the ground truth. */
export interface GeneratedKubeDump {
  family: 4 | 6;
  tables: GeneratedTable[];
  servicePorts: GeneratedServicePort[];
  totalEndpoints: number;
  /** kube-proxy's large cluster mode (more than 1,000 endpoints): endpoint comments dropped when `comments` is `auto`. */
  largeClusterMode: boolean;
  /** Whether endpoint comments were written. */
  endpointComments: boolean;
}

/** kube-proxy's masquerade mark (`--masquerade-bit 14`). */
const MASQUERADE_MARK = '0x4000';
/** kube-proxy's default ClientIP affinity timeout. */
const AFFINITY_SECONDS = 10800;
/** `largeClusterEndpointsThreshold` in kube-proxy. */
const LARGE_CLUSTER_ENDPOINTS = 1000;

const BUILTIN_CHAINS: Record<GeneratedTable['name'], string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
};

const NAMESPACES = ['default', 'shop', 'payments', 'monitoring', 'auth', 'search', 'media', 'ingress', 'data', 'batch'];
const SERVICE_WORDS = ['api', 'web', 'cart', 'orders', 'users', 'cache', 'db', 'queue', 'gateway', 'metrics', 'worker', 'frontend'];
const PORT_NAMES = ['http', 'https', 'grpc', 'metrics', 'admin', 'web'];
const PORT_NUMBERS = [80, 443, 8080, 8443, 9090, 3306, 5432, 6379, 9000, 7000];

/** sfc32: a small, fast PRNG with a 128-bit state, seeded through splitmix32 so that nearby seeds diverge. */
function makeRandom(seed: number): () => number {
  let s = seed >>> 0;
  const split = (): number => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  return () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** kube-proxy's `computeProbability`: `fmt.Sprintf("%0.10f", 1.0/float64(n))`. */
export function kubeProxyProbability(n: number): string {
  return (1 / n).toFixed(10);
}

/** The address plan of one family: service, pod, external and load-balancer ranges, and the cluster CIDR. */
interface AddressPlan {
  clusterCIDR: string;
  hostSuffix: string;
  localhost: string;
  serviceIP(index: number): string;
  podIP(index: number): string;
  externalIP(index: number): string;
  loadBalancerIP(index: number): string;
  sourceRange(index: number): string;
}

/** Skips host numbers whose low byte is 0 or 255, so no generated address looks like a network or broadcast one. */
function hostNumber(index: number): number {
  return Math.floor(index / 254) * 256 + (index % 254) + 1;
}

const IPV4_PLAN: AddressPlan = {
  clusterCIDR: '10.244.0.0/14',
  hostSuffix: '/32',
  localhost: '127.0.0.0/8',
  // 10.96.0.0/12; kube-dns is 10.96.0.10 and the API server 10.96.0.1, as in kubeadm clusters.
  serviceIP: (index) => {
    const n = 0x0a600000 + hostNumber(index);
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  },
  // 10.244.0.0/14: room for 260,000 pods.
  podIP: (index) => {
    const n = 0x0af40000 + hostNumber(index);
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  },
  // Documentation ranges (RFC 5737): never a real destination.
  externalIP: (index) => `192.0.2.${(index % 254) + 1}`,
  loadBalancerIP: (index) => `198.51.100.${(index % 254) + 1}`,
  sourceRange: (index) => `203.0.113.${(index % 2) * 128}/25`,
};

const IPV6_PLAN: AddressPlan = {
  clusterCIDR: 'fd00:10:244::/56',
  hostSuffix: '/128',
  localhost: '::1/128',
  serviceIP: (index) => `fd00:10:96::${sixHex(hostNumber(index))}`,
  podIP: (index) => `fd00:10:244::${sixHex(hostNumber(index))}`,
  // Documentation range (RFC 3849).
  externalIP: (index) => `2001:db8:e::${((index % 65534) + 1).toString(16)}`,
  loadBalancerIP: (index) => `2001:db8:1b::${((index % 65534) + 1).toString(16)}`,
  sourceRange: (index) => `2001:db8:${(index % 2) + 1}::/64`,
};

/** Up to 32 bits as the last one or two IPv6 groups, written as iptables prints them back (RFC 5952). */
function sixHex(n: number): string {
  const high = n >>> 16;
  const low = n & 0xffff;
  return high === 0 ? low.toString(16) : `${high.toString(16)}:${low.toString(16)}`;
}

/** A value in a rule template: one token, or (an array) several tokens, none when empty. */
type TokenValue = string | number | readonly string[];

const templateWords = new WeakMap<TemplateStringsArray, string[][]>();

/**
 * A rule's tokens written as kube-proxy's line reads: `` words`-m comment --comment ${text} -j ${chain}` ``. The
 * literal parts split on spaces (once per call site); every interpolated value is one token, however many spaces it
 * holds, so comments need no quoting here; an array value adds its tokens.
 */
function words(strings: TemplateStringsArray, ...values: TokenValue[]): string[] {
  let parts = templateWords.get(strings);
  if (!parts) {
    parts = strings.map((literal) => literal.split(' ').filter((word) => word !== ''));
    templateWords.set(strings, parts);
  }
  const tokens: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    for (const word of parts[i]) {
      tokens.push(word);
    }
    if (i < values.length) {
      const value = values[i];
      if (typeof value === 'string') {
        tokens.push(value);
      } else if (typeof value === 'number') {
        tokens.push(String(value));
      } else {
        for (const token of value) {
          tokens.push(token);
        }
      }
    }
  }
  return tokens;
}

/** A ruleset under construction: chain declarations and rules per table, in kube-proxy's order. */
class RulesetBuilder {
  readonly filter: GeneratedTable = { name: 'filter', chains: [], rules: [] };
  readonly nat: GeneratedTable = { name: 'nat', chains: [], rules: [] };

  chain(table: GeneratedTable, name: string): void {
    table.chains.push({ name, builtin: false });
  }

  rule(table: GeneratedTable, chain: string, tokens: string[]): void {
    table.rules.push({ chain, tokens });
  }
}

interface PlannedPort {
  port: string;
  protocol: 'tcp' | 'udp';
  servicePort: number;
  targetPort: number;
}

interface PlannedService {
  namespace: string;
  name: string;
  ports: PlannedPort[];
  clusterIP: string;
  type: GeneratedServicePort['type'];
  externalIPs: string[];
  loadBalancerIPs: string[];
  loadBalancerSourceRanges: string[];
  externalTrafficPolicy: 'Cluster' | 'Local';
  affinity: boolean;
  endpointCounts: number[];
}

/**
 * Generates a kube-proxy ruleset and its ground truth. The first two services are the ones every cluster has
 * (`default/kubernetes:https`, `kube-system/kube-dns` with `dns`, `dns-tcp` and `metrics`), so their chain names are
 * the well-known ones (`KUBE-SVC-TCOU7JCQXEZGVUNU` for `kube-system/kube-dns:dns`).
 */
export function generateKubeDump(options: KubeDumpOptions = {}): GeneratedKubeDump {
  const seed = options.seed ?? 1;
  const serviceCount = options.services ?? 10;
  const minEndpoints = options.minEndpoints ?? 0;
  const maxEndpoints = options.maxEndpoints ?? 3;
  const family = options.family ?? 4;
  const mix: KubeDumpMix = { ...DEFAULT_MIX, ...options.mix };
  const plan = family === 6 ? IPV6_PLAN : IPV4_PLAN;
  if (!Number.isInteger(serviceCount) || serviceCount < 0) {
    throw new RangeError(`services must be a non-negative integer, not ${serviceCount}`);
  }
  if (!Number.isInteger(minEndpoints) || !Number.isInteger(maxEndpoints) || minEndpoints < 0 || maxEndpoints < minEndpoints) {
    throw new RangeError(`endpoints must satisfy 0 <= min <= max, not ${minEndpoints}..${maxEndpoints}`);
  }
  const random = makeRandom(seed);
  const chance = (p: number): boolean => random() < p;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const endpointCount = (): number => minEndpoints + Math.floor(random() * (maxEndpoints - minEndpoints + 1));

  // 1. Plan the services, as the API server would hold them.
  const services: PlannedService[] = [];
  let nextServiceIP = 0;
  let nextExternalIP = 0;
  let nextLoadBalancerIP = 0;
  for (let i = 0; i < serviceCount; i++) {
    let namespace: string;
    let name: string;
    let ports: PlannedPort[];
    let clusterIP: string;
    if (i === 0) {
      namespace = 'default';
      name = 'kubernetes';
      ports = [{ port: 'https', protocol: 'tcp', servicePort: 443, targetPort: 6443 }];
      clusterIP = plan.serviceIP(0);
    } else if (i === 1) {
      namespace = 'kube-system';
      name = 'kube-dns';
      ports = [
        { port: 'dns', protocol: 'udp', servicePort: 53, targetPort: 53 },
        { port: 'dns-tcp', protocol: 'tcp', servicePort: 53, targetPort: 53 },
        { port: 'metrics', protocol: 'tcp', servicePort: 9153, targetPort: 9153 },
      ];
      clusterIP = plan.serviceIP(9);
    } else {
      namespace = pick(NAMESPACES);
      name = `${pick(SERVICE_WORDS)}-${i}`;
      const portCount = chance(mix.multiPort) ? 2 + Math.floor(random() * 2) : 1;
      ports = [];
      const names = [...PORT_NAMES];
      for (let p = 0; p < portCount; p++) {
        const portName = portCount === 1 && chance(mix.unnamedPort) ? '' : names.splice(Math.floor(random() * names.length), 1)[0];
        const servicePort = p === 0 ? pick(PORT_NUMBERS) : 9000 + p;
        ports.push({
          port: portName,
          protocol: chance(mix.udp) ? 'udp' : 'tcp',
          servicePort,
          targetPort: chance(0.5) ? servicePort : 8080 + p,
        });
      }
      // Skip the addresses the two fixed services use.
      nextServiceIP = Math.max(nextServiceIP, 10);
      clusterIP = plan.serviceIP(nextServiceIP++);
    }
    let type: GeneratedServicePort['type'] = 'ClusterIP';
    if (i >= 2) {
      const r = random();
      type = r < mix.loadBalancer ? 'LoadBalancer' : r < mix.loadBalancer + mix.nodePort ? 'NodePort' : 'ClusterIP';
    }
    const loadBalancerIPs = type === 'LoadBalancer' ? [plan.loadBalancerIP(nextLoadBalancerIP++)] : [];
    const loadBalancerSourceRanges = type === 'LoadBalancer' && chance(mix.sourceRanges) ? [plan.sourceRange(nextLoadBalancerIP)] : [];
    const externalIPs = i >= 2 && chance(mix.externalIP) ? [plan.externalIP(nextExternalIP++)] : [];
    const externalTrafficPolicy = type === 'LoadBalancer' && chance(mix.localPolicy) ? 'Local' : 'Cluster';
    const affinity = i >= 2 && chance(mix.affinity);
    const endpointCounts = ports.map(() => (i === 0 ? Math.min(maxEndpoints, Math.max(minEndpoints, 1)) : endpointCount()));
    // The endpoints of a service are its pods: every port of a service has the same number of them.
    endpointCounts.fill(endpointCounts[0]);
    services.push({
      namespace,
      name,
      ports,
      clusterIP,
      type,
      externalIPs,
      loadBalancerIPs,
      loadBalancerSourceRanges,
      externalTrafficPolicy,
      affinity,
      endpointCounts,
    });
  }

  const totalEndpoints = services.reduce((sum, s) => sum + s.endpointCounts.reduce((a, b) => a + b, 0), 0);
  const largeClusterMode = totalEndpoints > LARGE_CLUSTER_ENDPOINTS;
  const endpointComments = options.comments === undefined || options.comments === 'auto' ? !largeClusterMode : options.comments;

  // 2. Write the rules, following kube-proxy's syncProxyRules.
  const b = new RulesetBuilder();
  const { filter, nat } = b;
  for (const chain of ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL']) {
    b.chain(filter, chain);
  }
  for (const chain of ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ']) {
    b.chain(nat, chain);
  }
  const mark = `${MASQUERADE_MARK}/${MASQUERADE_MARK}`;
  b.rule(nat, 'KUBE-POSTROUTING', words`-m mark ! --mark ${mark} -j RETURN`);
  b.rule(nat, 'KUBE-POSTROUTING', words`-j MARK --xor-mark ${MASQUERADE_MARK}`);
  b.rule(nat, 'KUBE-POSTROUTING', words`-m comment --comment ${'kubernetes service traffic requiring SNAT'} -j MASQUERADE --random-fully`);
  b.rule(nat, 'KUBE-MARK-MASQ', words`-j MARK --or-mark ${MASQUERADE_MARK}`);
  if (family === 4) {
    // localhostNodePorts (the default) protects route_localnet with this rule; IPv6 has no localhost node ports.
    b.chain(filter, 'KUBE-FIREWALL');
    b.rule(
      filter,
      'KUBE-FIREWALL',
      words`-m comment --comment ${'block incoming localnet connections'} -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`,
    );
  }

  const servicePorts: GeneratedServicePort[] = [];
  let nextPod = 0;
  let nextNodePort = 30000;
  for (const service of services) {
    // Pods of the service: the same addresses for every port.
    const podCount = service.endpointCounts[0] ?? 0;
    const pods: { ip: string; local: boolean }[] = [];
    for (let p = 0; p < podCount; p++) {
      pods.push({ ip: plan.podIP(nextPod++), local: chance(mix.localEndpoint) });
    }
    const healthCheckNodePort = service.externalTrafficPolicy === 'Local' && nextNodePort <= 32767 ? nextNodePort++ : undefined;
    for (const planned of service.ports) {
      const nodePort = service.type !== 'ClusterIP' && nextNodePort <= 32767 ? nextNodePort++ : undefined;
      servicePorts.push(
        writeServicePort(b, service, planned, pods, {
          nodePort,
          healthCheckNodePort,
          plan,
          endpointComments,
        }),
      );
    }
  }

  // The jump to KUBE-NODEPORTS must be the last rule of KUBE-SERVICES.
  const nodePortsComment = 'kubernetes service nodeports; NOTE: this must be the last rule in this chain';
  const notLocalhost = family === 6 ? words`! -d ::1/128` : [];
  b.rule(
    nat,
    'KUBE-SERVICES',
    words`-m comment --comment ${nodePortsComment} -m addrtype --dst-type LOCAL ${notLocalhost} -j KUBE-NODEPORTS`,
  );
  b.rule(filter, 'KUBE-FORWARD', words`-m conntrack --ctstate INVALID -j DROP`);
  b.rule(filter, 'KUBE-FORWARD', words`-m comment --comment ${'kubernetes forwarding rules'} -m mark --mark ${mark} -j ACCEPT`);
  b.rule(
    filter,
    'KUBE-FORWARD',
    words`-m comment --comment ${'kubernetes forwarding conntrack rule'} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
  );

  if (options.builtinJumps ?? true) {
    addBuiltinJumps(b);
  }

  return {
    family,
    tables: [filter, nat],
    servicePorts,
    totalEndpoints,
    largeClusterMode,
    endpointComments,
  };
}

/** The jumps kube-proxy (and kubelet, for KUBE-FIREWALL) ensure from the built-in chains, in the order they end up in. */
function addBuiltinJumps(b: RulesetBuilder): void {
  const newOnly = words`-m conntrack --ctstate NEW`;
  const jump = (comment: string | undefined, target: string, extra: readonly string[] = []): string[] =>
    comment === undefined ? words`${extra} -j ${target}` : words`${extra} -m comment --comment ${comment} -j ${target}`;
  // kube-proxy prepends each jump, so the last one ensured comes first; kubelet's KUBE-FIREWALL jump was there before.
  const filterJumps: [string, string[]][] = [
    ['INPUT', jump('kubernetes load balancer firewall', 'KUBE-PROXY-FIREWALL', newOnly)],
    ['INPUT', jump('kubernetes health check service ports', 'KUBE-NODEPORTS')],
    ['INPUT', jump('kubernetes externally-visible service portals', 'KUBE-EXTERNAL-SERVICES', newOnly)],
    ['INPUT', jump(undefined, 'KUBE-FIREWALL')],
    ['FORWARD', jump('kubernetes load balancer firewall', 'KUBE-PROXY-FIREWALL', newOnly)],
    ['FORWARD', jump('kubernetes forwarding rules', 'KUBE-FORWARD')],
    ['FORWARD', jump('kubernetes service portals', 'KUBE-SERVICES', newOnly)],
    ['FORWARD', jump('kubernetes externally-visible service portals', 'KUBE-EXTERNAL-SERVICES', newOnly)],
    ['OUTPUT', jump('kubernetes load balancer firewall', 'KUBE-PROXY-FIREWALL', newOnly)],
    ['OUTPUT', jump('kubernetes service portals', 'KUBE-SERVICES', newOnly)],
    ['OUTPUT', jump(undefined, 'KUBE-FIREWALL')],
  ];
  const natJumps: [string, string[]][] = [
    ['PREROUTING', jump('kubernetes service portals', 'KUBE-SERVICES')],
    ['OUTPUT', jump('kubernetes service portals', 'KUBE-SERVICES')],
    ['POSTROUTING', jump('kubernetes postrouting rules', 'KUBE-POSTROUTING')],
  ];
  for (const [table, jumps] of [
    [b.filter, filterJumps],
    [b.nat, natJumps],
  ] as const) {
    table.chains.unshift(...BUILTIN_CHAINS[table.name].map((name) => ({ name, builtin: true, policy: 'ACCEPT' })));
    table.rules.unshift(...jumps.map(([chain, tokens]) => ({ chain, tokens })));
    // IPv6 has no KUBE-FIREWALL rule, but kubelet and kube-proxy still create the chain and jump to it.
    if (!table.chains.some((c) => c.name === 'KUBE-FIREWALL') && jumps.some(([, t]) => t.includes('KUBE-FIREWALL'))) {
      table.chains.push({ name: 'KUBE-FIREWALL', builtin: false });
    }
  }
}

interface PortContext {
  nodePort?: number;
  healthCheckNodePort?: number;
  plan: AddressPlan;
  endpointComments: boolean;
}

/** Writes one service port's rules, in the order of kube-proxy's loop body, and returns its ground truth. */
function writeServicePort(
  b: RulesetBuilder,
  service: PlannedService,
  planned: PlannedPort,
  pods: { ip: string; local: boolean }[],
  context: PortContext,
): GeneratedServicePort {
  const { filter, nat } = b;
  const { plan, endpointComments } = context;
  const protocol = planned.protocol;
  const portName = servicePortName(service.namespace, service.name, planned.port);
  // The four names share one hash; the suffix is computed once and each chain is made only when used.
  const svcChain = serviceChainName(portName, protocol, 'KUBE-SVC-');
  const suffix = svcChain.slice('KUBE-SVC-'.length);
  const svlChain = 'KUBE-SVL-' + suffix;
  const extChain = 'KUBE-EXT-' + suffix;
  const fwChain = 'KUBE-FW-' + suffix;
  const dport = String(planned.servicePort);
  const local = service.externalTrafficPolicy === 'Local';

  const endpoints: GeneratedEndpoint[] = pods.map((pod, i) => {
    const address = endpointString(pod.ip, planned.targetPort);
    const n = pods.length;
    return {
      ip: pod.ip,
      port: planned.targetPort,
      address,
      chain: endpointChainName(portName, protocol, address),
      local: pod.local,
      probability: i < n - 1 ? kubeProxyProbability(n - i) : undefined,
      share: 1 / n,
    };
  });
  const localEndpoints = endpoints.filter((e) => e.local);
  if (local) {
    localEndpoints.forEach((e, i) => {
      const n = localEndpoints.length;
      e.localProbability = i < n - 1 ? kubeProxyProbability(n - i) : undefined;
      e.localShare = 1 / n;
    });
  }

  const hasEndpoints = endpoints.length > 0;
  const hasExternalEndpoints = hasEndpoints && (!local || localEndpoints.length > 0);
  const externallyAccessible = context.nodePort !== undefined || service.externalIPs.length > 0 || service.loadBalancerIPs.length > 0;
  const usesExternalChain = hasEndpoints && externallyAccessible;
  const usesFirewallChain = hasEndpoints && service.loadBalancerIPs.length > 0 && service.loadBalancerSourceRanges.length > 0;
  const usesLocalChain = local && localEndpoints.length > 0;
  const loadBalancerTarget = usesFirewallChain ? fwChain : extChain;
  const externalFilterTarget = hasEndpoints ? 'DROP' : 'REJECT';
  const externalFilterComment = hasEndpoints ? `${portName} has no local endpoints` : `${portName} has no endpoints`;
  const to = (destination: string): string[] => words`-m ${protocol} -p ${protocol} -d ${destination} --dport ${dport}`;

  // Capture the cluster IP.
  if (hasEndpoints) {
    b.rule(nat, 'KUBE-SERVICES', words`-m comment --comment ${`${portName} cluster IP`} ${to(service.clusterIP)} -j ${svcChain}`);
  } else {
    b.rule(filter, 'KUBE-SERVICES', words`-m comment --comment ${`${portName} has no endpoints`} ${to(service.clusterIP)} -j REJECT`);
  }
  for (const externalIP of service.externalIPs) {
    if (hasEndpoints) {
      b.rule(nat, 'KUBE-SERVICES', words`-m comment --comment ${`${portName} external IP`} ${to(externalIP)} -j ${extChain}`);
    }
    if (!hasExternalEndpoints) {
      b.rule(
        filter,
        'KUBE-EXTERNAL-SERVICES',
        words`-m comment --comment ${externalFilterComment} ${to(externalIP)} -j ${externalFilterTarget}`,
      );
    }
  }
  for (const lbIP of service.loadBalancerIPs) {
    if (hasEndpoints) {
      b.rule(nat, 'KUBE-SERVICES', words`-m comment --comment ${`${portName} loadbalancer IP`} ${to(lbIP)} -j ${loadBalancerTarget}`);
    }
    if (usesFirewallChain) {
      const comment = `${portName} traffic not accepted by ${fwChain}`;
      b.rule(filter, 'KUBE-PROXY-FIREWALL', words`-m comment --comment ${comment} ${to(lbIP)} -j DROP`);
    }
  }
  if (!hasExternalEndpoints) {
    for (const lbIP of service.loadBalancerIPs) {
      b.rule(filter, 'KUBE-EXTERNAL-SERVICES', words`-m comment --comment ${externalFilterComment} ${to(lbIP)} -j ${externalFilterTarget}`);
    }
  }
  if (context.nodePort !== undefined) {
    const nodePort = context.nodePort;
    if (hasEndpoints) {
      b.rule(
        nat,
        'KUBE-NODEPORTS',
        words`-m comment --comment ${portName} -m ${protocol} -p ${protocol} --dport ${nodePort} -j ${extChain}`,
      );
    }
    if (!hasExternalEndpoints) {
      b.rule(
        filter,
        'KUBE-EXTERNAL-SERVICES',
        words`-m comment --comment ${externalFilterComment} -m addrtype --dst-type LOCAL -m ${protocol} -p ${protocol} --dport ${nodePort} -j ${externalFilterTarget}`,
      );
    }
  }
  if (context.healthCheckNodePort !== undefined) {
    const comment = `${portName} health check node port`;
    b.rule(filter, 'KUBE-NODEPORTS', words`-m comment --comment ${comment} -m tcp -p tcp --dport ${context.healthCheckNodePort} -j ACCEPT`);
  }

  // Internal traffic: masquerade what does not come from a pod (the cluster CIDR local-traffic detector).
  if (hasEndpoints) {
    const comment = `${portName} cluster IP`;
    b.rule(nat, svcChain, words`-m comment --comment ${comment} ${to(service.clusterIP)} ! -s ${plan.clusterCIDR} -j KUBE-MARK-MASQ`);
  }
  if (usesExternalChain) {
    b.chain(nat, extChain);
    if (!local) {
      const comment = `masquerade traffic for ${portName} external destinations`;
      b.rule(nat, extChain, words`-m comment --comment ${comment} -j KUBE-MARK-MASQ`);
    } else {
      const podComment = `pod traffic for ${portName} external destinations`;
      const masqueradeComment = `masquerade LOCAL traffic for ${portName} external destinations`;
      const routeComment = `route LOCAL traffic for ${portName} external destinations`;
      b.rule(nat, extChain, words`-m comment --comment ${podComment} -s ${plan.clusterCIDR} -j ${svcChain}`);
      b.rule(nat, extChain, words`-m comment --comment ${masqueradeComment} -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`);
      b.rule(nat, extChain, words`-m comment --comment ${routeComment} -m addrtype --src-type LOCAL -j ${svcChain}`);
    }
    if (hasExternalEndpoints) {
      b.rule(nat, extChain, words`-j ${local ? svlChain : svcChain}`);
    }
  }
  if (usesFirewallChain) {
    b.chain(nat, fwChain);
    for (const range of service.loadBalancerSourceRanges) {
      b.rule(nat, fwChain, words`-m comment --comment ${`${portName} loadbalancer IP`} -s ${range} -j ${extChain}`);
    }
    b.rule(nat, fwChain, words`-m comment --comment ${`other traffic to ${portName} will be dropped by KUBE-PROXY-FIREWALL`}`);
  }
  if (hasEndpoints) {
    b.chain(nat, svcChain);
    writeEndpointJumps(b, svcChain, portName, endpoints, service.affinity, endpointComments);
  }
  if (usesLocalChain) {
    b.chain(nat, svlChain);
    writeEndpointJumps(b, svlChain, portName, localEndpoints, service.affinity, endpointComments);
  }
  const comment = endpointComments ? words`-m comment --comment ${portName}` : [];
  for (const endpoint of endpoints) {
    b.chain(nat, endpoint.chain);
    b.rule(nat, endpoint.chain, words`${comment} -s ${endpoint.ip} -j KUBE-MARK-MASQ`);
    const affinity = service.affinity ? words`-m recent --name ${endpoint.chain} --set` : [];
    b.rule(nat, endpoint.chain, words`${comment} ${affinity} -m ${protocol} -p ${protocol} -j DNAT --to-destination ${endpoint.address}`);
  }

  return {
    namespace: service.namespace,
    name: service.name,
    port: planned.port,
    portName,
    protocol,
    clusterIP: service.clusterIP,
    servicePort: planned.servicePort,
    targetPort: planned.targetPort,
    type: service.type,
    nodePort: context.nodePort,
    healthCheckNodePort: context.healthCheckNodePort,
    externalIPs: [...service.externalIPs],
    loadBalancerIPs: [...service.loadBalancerIPs],
    loadBalancerSourceRanges: [...service.loadBalancerSourceRanges],
    externalTrafficPolicy: service.externalTrafficPolicy,
    affinitySeconds: service.affinity ? AFFINITY_SECONDS : undefined,
    chains: {
      svc: hasEndpoints ? svcChain : undefined,
      svl: usesLocalChain ? svlChain : undefined,
      ext: usesExternalChain ? extChain : undefined,
      fw: usesFirewallChain ? fwChain : undefined,
    },
    endpoints,
    noEndpoints: !hasEndpoints,
  };
}

/** kube-proxy's writeServiceToEndpointRules: affinity checks first, then the 1/(n-i) load-balancing rules. */
function writeEndpointJumps(
  b: RulesetBuilder,
  chain: string,
  portName: string,
  endpoints: GeneratedEndpoint[],
  affinity: boolean,
  endpointComments: boolean,
): void {
  const comment = (e: GeneratedEndpoint): readonly string[] =>
    endpointComments ? words`-m comment --comment ${`${portName} -> ${e.address}`}` : [];
  if (affinity) {
    for (const e of endpoints) {
      b.rule(b.nat, chain, words`${comment(e)} -m recent --name ${e.chain} --rcheck --seconds ${AFFINITY_SECONDS} --reap -j ${e.chain}`);
    }
  }
  const n = endpoints.length;
  endpoints.forEach((e, i) => {
    const statistic = i < n - 1 ? words`-m statistic --mode random --probability ${kubeProxyProbability(n - i)}` : [];
    b.rule(b.nat, chain, words`${comment(e)} ${statistic} -j ${e.chain}`);
  });
}

/** A token as iptables-restore reads it: quoted when it holds a space (kube-proxy's comments are the only such tokens). */
function restoreToken(token: string): string {
  return token.includes(' ') ? `"${token}"` : token;
}

/**
 * kube-proxy's `iptables-restore` input: `*filter`, chain lines, rules, `COMMIT`, then `*nat`. With `builtinJumps`
 * (the default) it also declares the built-in chains and jumps from them, so it loads into an empty namespace as a
 * complete node ruleset.
 */
export function renderRestore(dump: GeneratedKubeDump): string {
  const out: string[] = [];
  for (const table of dump.tables) {
    out.push(`*${table.name}`);
    for (const chain of table.chains) {
      out.push(`:${chain.name} ${chain.policy ?? '-'} [0:0]`);
    }
    for (const rule of table.rules) {
      let line = `-A ${rule.chain}`;
      for (const token of rule.tokens) {
        line += ' ' + restoreToken(token);
      }
      out.push(line);
    }
    out.push('COMMIT');
  }
  return out.join('\n') + '\n';
}

/** A rule taken apart the way iptables stores it: basic matches, match modules in order, the target and its options. */
interface CanonicalRule {
  source?: { address: string; negated: boolean };
  destination?: { address: string; negated: boolean };
  protocol?: string;
  modules: { name: string; options: { name: string; negated: boolean; values: string[] }[] }[];
  target?: string;
  targetOptions: { name: string; values: string[] }[];
}

const BASIC_FLAGS: Record<string, 'source' | 'destination' | 'protocol'> = { '-s': 'source', '-d': 'destination', '-p': 'protocol' };
/** Options that take no value in the modules and targets the generator writes. */
const FLAG_OPTIONS = new Set(['--set', '--rcheck', '--reap', '--random-fully']);

/** Splits kube-proxy's tokens into a CanonicalRule; an option belongs to the last `-m` before it (or to the target). */
function canonicalRule(tokens: string[], family: 4 | 6): CanonicalRule {
  const rule: CanonicalRule = { modules: [], targetOptions: [] };
  let negated = false;
  let inTarget = false;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === '!') {
      negated = true;
      continue;
    }
    const basic = BASIC_FLAGS[token];
    if (basic === 'protocol') {
      rule.protocol = tokens[++i];
    } else if (basic) {
      const value = tokens[++i];
      rule[basic] = { address: value.includes('/') ? value : value + (family === 6 ? '/128' : '/32'), negated };
    } else if (token === '-m') {
      rule.modules.push({ name: tokens[++i], options: [] });
    } else if (token === '-j') {
      rule.target = tokens[++i];
      inTarget = true;
    } else {
      const values = FLAG_OPTIONS.has(token) ? [] : [tokens[++i]];
      if (inTarget) {
        rule.targetOptions.push({ name: token, values });
      } else {
        rule.modules[rule.modules.length - 1].options.push({ name: token, negated, values });
      }
    }
    negated = false;
  }
  return rule;
}

/** The probability as the kernel keeps it (a 31-bit fraction) and iptables prints it (`%.11f`). */
function kernelProbability(written: string): string {
  return (Math.round(0x80000000 * Number(written)) / 0x80000000).toFixed(11);
}

function recentMask(family: 4 | 6): string {
  return family === 6 ? 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff' : '255.255.255.255';
}

type CanonicalModule = CanonicalRule['modules'][number];
type CanonicalOption = CanonicalModule['options'][number];

function moduleOption(module: CanonicalModule, name: string): CanonicalOption | undefined {
  for (const option of module.options) {
    if (option.name === name) {
      return option;
    }
  }
  return undefined;
}

function moduleValue(module: CanonicalModule, name: string): string {
  return moduleOption(module, name)?.values[0] ?? '';
}

function targetValue(rule: CanonicalRule, name: string): string | undefined {
  for (const option of rule.targetOptions) {
    if (option.name === name) {
      return option.values[0];
    }
  }
  return undefined;
}

/** One match module as iptables-save prints it (its own option order and defaults). */
function saveModule(module: CanonicalModule, family: 4 | 6): string {
  switch (module.name) {
    case 'comment':
      return ` -m comment --comment "${moduleValue(module, '--comment')}"`;
    case 'statistic':
      return ` -m statistic --mode ${moduleValue(module, '--mode')} --probability ${kernelProbability(moduleValue(module, '--probability'))}`;
    case 'recent': {
      const name = moduleValue(module, '--name');
      if (moduleOption(module, '--set')) {
        return ` -m recent --set --name ${name} --mask ${recentMask(family)} --rsource`;
      }
      const reap = moduleOption(module, '--reap') ? ' --reap' : '';
      return ` -m recent --rcheck --seconds ${moduleValue(module, '--seconds')}${reap} --name ${name} --mask ${recentMask(family)} --rsource`;
    }
    default: {
      let text = ` -m ${module.name}`;
      for (const o of module.options) {
        text += `${o.negated ? ' !' : ''} ${o.name}`;
        for (const v of o.values) {
          text += ' ' + v;
        }
      }
      return text;
    }
  }
}

function saveTarget(rule: CanonicalRule, family: 4 | 6): string {
  switch (rule.target) {
    case undefined:
      return '';
    case 'MARK': {
      const or = targetValue(rule, '--or-mark');
      return or !== undefined ? ` -j MARK --set-xmark ${or}/${or}` : ` -j MARK --set-xmark ${targetValue(rule, '--xor-mark')}/0x0`;
    }
    case 'REJECT':
      return ` -j REJECT --reject-with ${family === 6 ? 'icmp6-port-unreachable' : 'icmp-port-unreachable'}`;
    default: {
      let text = ` -j ${rule.target}`;
      for (const o of rule.targetOptions) {
        text += ' ' + o.name;
        for (const v of o.values) {
          text += ' ' + v;
        }
      }
      return text;
    }
  }
}

function saveRuleBody(rule: CanonicalRule, family: 4 | 6): string {
  let text = '';
  if (rule.source) {
    text += `${rule.source.negated ? ' !' : ''} -s ${rule.source.address}`;
  }
  if (rule.destination) {
    text += `${rule.destination.negated ? ' !' : ''} -d ${rule.destination.address}`;
  }
  if (rule.protocol) {
    text += ` -p ${rule.protocol}`;
  }
  for (const module of rule.modules) {
    text += saveModule(module, family);
  }
  return text + saveTarget(rule, family);
}

/** Chains as iptables prints them: built-in chains in the kernel's order, then user chains sorted by name (byte order). */
function sortedChains(table: GeneratedTable): GeneratedChain[] {
  const builtins = BUILTIN_CHAINS[table.name].map(
    (name) => table.chains.find((c) => c.name === name) ?? { name, builtin: true, policy: 'ACCEPT' },
  );
  const users = table.chains.filter((c) => !c.builtin).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return [...builtins, ...users];
}

/** Rules grouped by chain, in each chain's order. */
function rulesByChain(table: GeneratedTable): Map<string, GeneratedRule[]> {
  const byChain = new Map<string, GeneratedRule[]>();
  for (const rule of table.rules) {
    let list = byChain.get(rule.chain);
    if (!list) {
      list = [];
      byChain.set(rule.chain, list);
    }
    list.push(rule);
  }
  return byChain;
}

export interface RenderSaveOptions {
  /** The date in the `# Generated by` / `# Completed on` lines. Default `Thu Nov 26 05:40:00 2026`. */
  date?: string;
}

/**
 * The ruleset as `iptables-nft-save` 1.8.9 prints it after loading `renderRestore`'s text: header comments, built-in
 * chains first, user chains sorted, `-s`/`-d`/`-p` first with `/32` (`/128`) added, comments quoted, `--set-xmark`,
 * 11-digit kernel probabilities, `--reject-with` and the `recent` defaults spelled out. Pure, so it also makes
 * benchmark dumps far larger than a kernel loads quickly.
 */
export function renderSave(dump: GeneratedKubeDump, options: RenderSaveOptions = {}): string {
  const date = options.date ?? 'Thu Nov 26 05:40:00 2026';
  const tool = dump.family === 6 ? 'ip6tables-nft-save' : 'iptables-nft-save';
  const out: string[] = [];
  for (const table of dump.tables) {
    out.push(`# Generated by ${tool} v1.8.9 (nf_tables) on ${date}`, `*${table.name}`);
    const chains = sortedChains(table);
    for (const chain of chains) {
      out.push(`:${chain.name} ${chain.policy ?? '-'} [0:0]`);
    }
    const byChain = rulesByChain(table);
    for (const chain of chains) {
      for (const rule of byChain.get(chain.name) ?? []) {
        out.push(`-A ${chain.name}${saveRuleBody(canonicalRule(rule.tokens, dump.family), dump.family)}`);
      }
    }
    out.push('COMMIT', `# Completed on ${date}`);
  }
  return out.join('\n') + '\n';
}

/** An address column of `iptables -L -n`: hosts without their /32 (/128), `0.0.0.0/0` (`::/0`) for anything. */
function listAddress(address: CanonicalRule['source'], family: 4 | 6): string {
  if (!address) {
    return ' ' + (family === 6 ? '::/0' : '0.0.0.0/0');
  }
  const text = address.address.replace(family === 6 ? /\/128$/ : /\/32$/, '');
  return (address.negated ? '!' : ' ') + text;
}

/** The text iptables -L prints after the columns for one match module. */
function listModule(module: CanonicalModule, family: 4 | 6): string {
  switch (module.name) {
    case 'comment':
      return ` /* ${moduleValue(module, '--comment')} */`;
    case 'tcp':
    case 'udp':
      return moduleOption(module, '--dport') ? ` ${module.name} dpt:${moduleValue(module, '--dport')}` : ` ${module.name}`;
    case 'statistic':
      return ` statistic mode ${moduleValue(module, '--mode')} probability ${kernelProbability(moduleValue(module, '--probability'))}`;
    case 'recent': {
      const name = moduleValue(module, '--name');
      if (moduleOption(module, '--set')) {
        return ` recent: SET name: ${name} side: source mask: ${recentMask(family)}`;
      }
      const reap = moduleOption(module, '--reap') ? ' reap' : '';
      return ` recent: CHECK seconds: ${moduleValue(module, '--seconds')}${reap} name: ${name} side: source mask: ${recentMask(family)}`;
    }
    case 'conntrack':
      return ` ${moduleOption(module, '--ctstate')?.negated ? '! ' : ''}ctstate ${moduleValue(module, '--ctstate')}`;
    case 'mark':
      return ` mark match ${moduleOption(module, '--mark')?.negated ? '! ' : ''}${moduleValue(module, '--mark')}`;
    case 'addrtype':
      return moduleOption(module, '--dst-type')
        ? ` ADDRTYPE match dst-type ${moduleValue(module, '--dst-type')}`
        : ` ADDRTYPE match src-type ${moduleValue(module, '--src-type')}`;
    default:
      return ` ${module.name}`;
  }
}

function listTarget(rule: CanonicalRule, family: 4 | 6): string {
  switch (rule.target) {
    case 'MARK': {
      const or = targetValue(rule, '--or-mark');
      return or !== undefined ? ` MARK or ${or}` : ` MARK xor ${targetValue(rule, '--xor-mark')}`;
    }
    case 'REJECT':
      return ` reject-with ${family === 6 ? 'icmp6-port-unreachable' : 'icmp-port-unreachable'}`;
    case 'DNAT':
      return ` to:${targetValue(rule, '--to-destination')}`;
    case 'MASQUERADE':
      return targetValue(rule, '--random-fully') !== undefined || rule.targetOptions.length > 0 ? ' random-fully' : '';
    default:
      return '';
  }
}

const PROTOCOL_NUMBERS: Record<string, string> = { tcp: '6', udp: '17' };

export interface RenderListingOptions {
  /** `-x --line-numbers` columns (exact 8-wide counters and the `num` column). Default false (`-L -n -v`). */
  exactWithLineNumbers?: boolean;
}

/**
 * An approximation of `iptables -t filter -L -n -v; iptables -t nat -L -n -v` (1.8.9, nf_tables) for the generated
 * ruleset: the same chain order, headers, reference counts, columns and match texts for every rule shape the
 * generator writes, all counters 0. It is not a general iptables printer (no `-L` without `-n`, no K/M/G counters);
 * test/oracle/generatorRender.test.ts compares it with real `iptables -L` output on small rulesets. Use it for dumps
 * too big to load into a kernel in a benchmark.
 */
export function renderListing(dump: GeneratedKubeDump, options: RenderListingOptions = {}): string {
  const numbered = options.exactWithLineNumbers ?? false;
  const family = dump.family;
  const header = numbered
    ? 'num      pkts      bytes target     prot opt in     out     source               destination         '
    : ' pkts bytes target     prot opt in     out     source               destination         ';
  const counters = numbered ? '       0        0 ' : '    0     0 ';
  const out: string[] = [];
  for (const table of dump.tables) {
    const chains = sortedChains(table);
    const byChain = rulesByChain(table);
    const references = new Map<string, number>();
    for (const rule of table.rules) {
      const j = rule.tokens.indexOf('-j');
      if (j >= 0) {
        const target = rule.tokens[j + 1];
        references.set(target, (references.get(target) ?? 0) + 1);
      }
    }
    chains.forEach((chain, index) => {
      if (index > 0) {
        out.push('');
      }
      out.push(
        chain.builtin
          ? `Chain ${chain.name} (policy ${chain.policy ?? 'ACCEPT'} 0 packets, 0 bytes)`
          : `Chain ${chain.name} (${references.get(chain.name) ?? 0} references)`,
        header,
      );
      (byChain.get(chain.name) ?? []).forEach((generated, position) => {
        const rule = canonicalRule(generated.tokens, family);
        const target = (rule.target ?? '').padEnd(9) + ' ';
        const protocol = (rule.protocol ? PROTOCOL_NUMBERS[rule.protocol] : '0').padEnd(4) + ' ';
        let line = numbered ? String(position + 1).padEnd(4) + ' ' : '';
        line += counters + target + ' ' + protocol + '--  *      *      ';
        line += listAddress(rule.source, family).padEnd(20) + ' ';
        line += listAddress(rule.destination, family).padEnd(20) + ' ';
        for (const module of rule.modules) {
          line += listModule(module, family);
        }
        out.push(line + listTarget(rule, family));
      });
    });
  }
  return out.join('\n') + '\n';
}
