// The services model: what the Services view and the CLI's `services` command show, built from a cluster
// snapshot (live or from a file) or from a dump alone, and linked against the chains of a dump.
//
// namespaces → services (type, cluster IP) → ports (`80/tcp → 8080`, KUBE-SVC name by kube-proxy's hash)
// → endpoints (IP:port, ready, node, pod, KUBE-SEP name). Plain data, JSON-safe, no vscode.
import type { V1Pod, V1Service, V1ServicePort } from '@kubernetes/client-node';
import { endpointChainName, endpointString, serviceChainNames } from '../../../server/src/kube/chainNames';
import type { ChainRef, DumpServicePort } from '../../../server/src/kube/types';
import type { Dump, Span } from '../../../server/src/model/types';
import type { ClusterError } from './result';
import type { ClusterSnapshot, EndpointAddress, EndpointGroup, EndpointSource } from './snapshot';

/** Where the model's services came from. */
export type ModelOrigin =
  | { kind: 'cluster'; context: string; server?: string; endpointSource?: EndpointSource }
  | { kind: 'snapshot'; file: string; endpointSource?: EndpointSource }
  | { kind: 'dump'; uri: string };

/** A chain of a dump, as far as the tree needs it: where to reveal it. */
export interface DumpChain {
  ref: ChainRef;
  /** For a KUBE-SEP chain, its DNAT rule (the more useful place to land). */
  dnatRule?: Span;
}

/** The kube-proxy chains of one dump, by name. */
export interface DumpChainIndex {
  uri: string;
  chains: Map<string, DumpChain>;
  /** Whether the dump has any KUBE-SVC/SVL chain at all (else it is not a kube-proxy iptables node's nat table). */
  hasServiceChains: boolean;
}

/** Whether a computed chain name is in the dump, and if not, why not. */
export interface ChainLink {
  chain: string;
  state: 'in-dump' | 'missing' | 'no-dump';
  /** Present when state is 'in-dump'. */
  location?: DumpChain;
  /** Present when state is 'missing': why the chain is not in the dump. */
  reason?: string;
}

export interface EndpointModel {
  /** `ip:port` (`[ip]:port` for IPv6), as kube-proxy hashes it. */
  address: string;
  ip: string;
  port?: number;
  ready: boolean;
  node?: string;
  pod?: string;
  link: ChainLink;
}

export interface PortModel {
  /** `80/tcp → 8080` (or `http 80/tcp → http` for a named target port). */
  label: string;
  /** kube-proxy's service port name, `ns/name:port` or `ns/name`. */
  portName: string;
  name: string;
  protocol: string;
  port?: number;
  targetPort?: string;
  nodePort?: number;
  /** KUBE-SVC-…; `link` says whether it (or the KUBE-SVL-… chain for Local policy) is in the dump. */
  serviceChain: string;
  otherChains: string[];
  link: ChainLink;
  endpoints: EndpointModel[];
}

export interface ServiceModel {
  namespace: string;
  name: string;
  type: string;
  clusterIP?: string;
  ports: PortModel[];
  /** Why the service has no chains at all (headless, ExternalName), if so. */
  note?: string;
}

export interface NamespaceModel {
  name: string;
  services: ServiceModel[];
}

export interface ServicesModel {
  origin: ModelOrigin;
  namespaces: NamespaceModel[];
  /** Problems to show above the tree (pods forbidden, endpoints unreadable …). */
  warnings: ClusterError[];
  /** The dump the chains were linked against, if any. */
  dumpUri?: string;
}

/** Indexes chains given directly (a dump's declarations, say), for callers without the services analysis. */
export function chainIndexFromRefs(uri: string, chains: DumpChain[]): DumpChainIndex {
  const byName = new Map(chains.map((c) => [c.ref.name, c]));
  const hasServiceChains = chains.some((c) => c.ref.name.startsWith('KUBE-SVC-') || c.ref.name.startsWith('KUBE-SVL-'));
  return { uri, chains: byName, hasServiceChains };
}

const KUBE_PROXY_CHAIN = /^KUBE-(SVC|SVL|EXT|FW|XLB|SEP)-/;

/**
 * Indexes a parsed dump's kube-proxy chains (KUBE-SVC/SVL/EXT/FW/XLB/SEP) straight from the parser's model,
 * with each KUBE-SEP chain's DNAT rule: for the CLI, and for the view when no analysis is at hand.
 */
export function chainIndexFromDump(uri: string, dump: Dump): DumpChainIndex {
  const chains: DumpChain[] = [];
  for (const table of dump.tables) {
    for (const chain of table.chains.values()) {
      if (!KUBE_PROXY_CHAIN.test(chain.name)) {
        continue;
      }
      const dnat = chain.rules.find((r) => r.target?.name === 'DNAT');
      chains.push({
        ref: { name: chain.name, table: table.name, span: chain.declaration },
        dnatRule: dnat ? { line: dnat.line, start: 0, end: dnat.text.length } : undefined,
      });
    }
  }
  return chainIndexFromRefs(uri, chains);
}

/** Indexes the kube-proxy chains that the language server found in a dump. */
export function dumpChainIndex(uri: string, ports: DumpServicePort[]): DumpChainIndex {
  const chains = new Map<string, DumpChain>();
  let hasServiceChains = false;
  for (const port of ports) {
    for (const ref of port.chains) {
      chains.set(ref.name, { ref });
      if (ref.name.startsWith('KUBE-SVC-') || ref.name.startsWith('KUBE-SVL-')) {
        hasServiceChains = true;
      }
    }
    // A Local-policy-only port (KUBE-SVL) has its endpoints in localEndpoints.
    for (const endpoint of [...port.endpoints, ...port.localEndpoints]) {
      chains.set(endpoint.chain.name, { ref: endpoint.chain, dnatRule: endpoint.dnatRule });
    }
  }
  return { uri, chains, hasServiceChains };
}

/**
 * `a.localeCompare(b, undefined, { numeric: true })`, with one collator: localeCompare with options builds a
 * collator per call, which was 40% of the model's CPU on a 20k-service cluster (100,000 endpoints to sort).
 */
const compareNumeric = new Intl.Collator(undefined, { numeric: true }).compare;

function portLabel(port: V1ServicePort, protocol: string): string {
  const target = port.targetPort === undefined ? String(port.port) : String(port.targetPort);
  return `${port.name ? `${port.name} ` : ''}${port.port}/${protocol} → ${target}`;
}

/** The pod behind an address: the slice's targetRef, else the pod with that IP in the namespace. */
function podFor(address: EndpointAddress, namespace: string, podsByIp: Map<string, V1Pod>): V1Pod | undefined {
  const pod = podsByIp.get(`${namespace}/${address.ip}`);
  if (address.podName && pod?.metadata?.name !== address.podName) {
    return undefined;
  }
  return pod;
}

/** Builds the model from a snapshot; with `dump`, each port and endpoint says whether its chain is in the dump. */
export function buildServicesModel(snapshot: ClusterSnapshot, origin: ModelOrigin, dump?: DumpChainIndex): ServicesModel {
  const podsByIp = new Map<string, V1Pod>();
  for (const pod of snapshot.pods) {
    for (const ip of [pod.status?.podIP, ...(pod.status?.podIPs ?? []).map((p) => p.ip)]) {
      if (ip) {
        podsByIp.set(`${pod.metadata?.namespace ?? 'default'}/${ip}`, pod);
      }
    }
  }
  // Each service's endpoint groups, found in one pass: searching the whole list per service was quadratic
  // (a 20k-service cluster has 20k slices: 400 million comparisons, seconds of CPU).
  const groupsByService = new Map<string, Map<string, EndpointGroup[]>>();
  for (const group of snapshot.endpoints) {
    const services = groupsByService.get(group.namespace) ?? new Map<string, EndpointGroup[]>();
    groupsByService.set(group.namespace, services);
    const groups = services.get(group.service);
    if (groups) {
      groups.push(group);
    } else {
      services.set(group.service, [group]);
    }
  }
  const byNamespace = new Map<string, ServiceModel[]>();
  for (const name of snapshot.namespaces) {
    byNamespace.set(name, []);
  }
  for (const service of snapshot.services) {
    const namespace = service.metadata?.namespace ?? 'default';
    const groups = groupsByService.get(namespace)?.get(service.metadata?.name ?? '') ?? [];
    const model = serviceModel(service, groups, podsByIp, dump);
    const list = byNamespace.get(model.namespace) ?? [];
    list.push(model);
    byNamespace.set(model.namespace, list);
  }
  const namespaces = [...byNamespace.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, services]) => ({ name, services: services.sort((a, b) => a.name.localeCompare(b.name)) }));
  return { origin, namespaces, warnings: snapshot.warnings, dumpUri: dump?.uri };
}

/** One service's model; `groups` are its endpoint groups (slices or Endpoints subsets). */
function serviceModel(service: V1Service, groups: EndpointGroup[], podsByIp: Map<string, V1Pod>, dump?: DumpChainIndex): ServiceModel {
  const namespace = service.metadata?.namespace ?? 'default';
  const name = service.metadata?.name ?? '';
  const type = service.spec?.type ?? 'ClusterIP';
  const clusterIP = service.spec?.clusterIP;
  const headless = clusterIP === 'None';
  const note =
    type === 'ExternalName'
      ? `ExternalName (${service.spec?.externalName ?? '?'}): DNS only, kube-proxy makes no chains`
      : headless
        ? 'headless (clusterIP: None): DNS only, kube-proxy makes no chains'
        : undefined;
  const local = service.spec?.internalTrafficPolicy === 'Local';
  const ports = (service.spec?.ports ?? []).map((sp): PortModel => {
    const protocol = (sp.protocol ?? 'TCP').toLowerCase();
    const portNameField = sp.name ?? '';
    const current = serviceChainNames(namespace, name, portNameField, protocol);
    // kube-proxy before 1.19 named an unnamed port `ns/name:`; a dump from such a node uses those chain names.
    const legacy = portNameField === '' ? serviceChainNames(namespace, name, portNameField, protocol, true) : undefined;
    const inDump = (n: { svc: string; svl: string }): boolean => dump !== undefined && (dump.chains.has(n.svc) || dump.chains.has(n.svl));
    const names = legacy && !inDump(current) && inDump(legacy) ? legacy : current;
    const seen = new Set<string>();
    const endpoints: Array<Omit<EndpointModel, 'link'>> = [];
    for (const group of groups) {
      const gp = group.ports.find((p) => p.name === portNameField && p.protocol.toLowerCase() === protocol);
      if (!gp) {
        continue;
      }
      for (const address of group.addresses) {
        const endpoint = endpointString(address.ip, gp.port);
        if (seen.has(endpoint)) {
          continue;
        }
        seen.add(endpoint);
        const pod = podFor(address, namespace, podsByIp);
        endpoints.push({
          address: endpoint,
          ip: address.ip,
          port: gp.port,
          ready: address.ready,
          node: address.nodeName ?? pod?.spec?.nodeName,
          pod: address.podName ?? pod?.metadata?.name,
        });
      }
    }
    endpoints.sort((a, b) => compareNumeric(a.address, b.address));
    const serviceChain = local ? names.svl : names.svc;
    const link = portLink(names.svc, names.svl, { note, anyReady: endpoints.some((e) => e.ready) }, dump);
    return {
      label: portLabel(sp, protocol),
      portName: names.portName,
      name: portNameField,
      protocol,
      port: sp.port,
      targetPort: sp.targetPort === undefined ? undefined : String(sp.targetPort),
      nodePort: sp.nodePort,
      serviceChain,
      otherChains: [names.svc, names.svl, names.ext, names.fw].filter((c) => c !== serviceChain),
      link,
      endpoints: endpoints.map((e) => ({
        ...e,
        link: endpointLink(endpointChainName(names.portName, protocol, e.address), e.ready, link, dump),
      })),
    };
  });
  return { namespace, name, type, clusterIP: clusterIP && !headless ? clusterIP : undefined, ports, note };
}

function portLink(svc: string, svl: string, facts: { note?: string; anyReady: boolean }, dump?: DumpChainIndex): ChainLink {
  if (!dump) {
    return { chain: svc, state: 'no-dump' };
  }
  for (const chain of [svc, svl]) {
    const location = dump.chains.get(chain);
    if (location) {
      return { chain, state: 'in-dump', location };
    }
  }
  let reason: string;
  if (facts.note) {
    reason = facts.note;
  } else if (!facts.anyReady) {
    reason = 'no ready endpoints: kube-proxy writes a REJECT rule in KUBE-SERVICES instead of this chain';
  } else if (!dump.hasServiceChains) {
    reason = 'the dump has no kube-proxy service chains (not a nat table of a kube-proxy node in iptables mode)';
  } else {
    reason = 'the dump is older than this service, or from another cluster';
  }
  return { chain: svc, state: 'missing', reason };
}

function endpointLink(chain: string, ready: boolean, portLinked: ChainLink, dump?: DumpChainIndex): ChainLink {
  if (!dump) {
    return { chain, state: 'no-dump' };
  }
  const location = dump.chains.get(chain);
  if (location) {
    return { chain, state: 'in-dump', location };
  }
  let reason: string;
  if (!ready) {
    reason = 'not ready: kube-proxy sends it no traffic, so it has no chain';
  } else if (portLinked.state === 'in-dump') {
    reason = 'stale dump: this endpoint appeared after the dump was taken (or the dump is from another node that has not caught up)';
  } else {
    reason = portLinked.reason ?? 'not in the dump';
  }
  return { chain, state: 'missing', reason };
}

/**
 * The model of a dump alone (offline): services and endpoints as the language server reconstructed them
 * from kube-proxy's rules and comments. Every chain is in the dump by construction.
 */
export function modelFromDump(uri: string, ports: DumpServicePort[]): ServicesModel {
  const byNamespace = new Map<string, Map<string, ServiceModel>>();
  for (const port of ports) {
    const namespace = port.namespace ?? '(unnamed)';
    const name = port.name ?? port.label;
    const services = byNamespace.get(namespace) ?? new Map<string, ServiceModel>();
    byNamespace.set(namespace, services);
    const service = services.get(name) ?? {
      namespace,
      name,
      type: port.nodePorts.length ? 'NodePort' : 'ClusterIP',
      clusterIP: port.clusterIPs[0],
      ports: [],
    };
    services.set(name, service);
    const protocol = port.protocol ?? 'tcp';
    const chainRef = port.chains.find((c) => c.name.startsWith('KUBE-SVC-')) ?? port.chains[0];
    const serviceChain = chainRef?.name ?? '';
    service.ports.push({
      label: `${port.port ? `${port.port} ` : ''}${port.servicePort ?? '?'}/${protocol}`,
      portName: port.portName ?? port.label,
      name: port.port ?? '',
      protocol,
      port: port.servicePort,
      nodePort: port.nodePorts[0],
      serviceChain,
      otherChains: port.chains.map((c) => c.name).filter((c) => c !== serviceChain),
      link: chainRef
        ? { chain: serviceChain, state: 'in-dump', location: { ref: chainRef } }
        : {
            chain: '',
            state: 'missing',
            reason: port.noEndpoints ? 'no endpoints: kube-proxy wrote a REJECT rule instead' : 'no service chain in the dump',
          },
      endpoints: (port.endpoints.length > 0 ? port.endpoints : port.localEndpoints).map((e) => ({
        address: e.address ?? e.chain.name,
        ip: e.ip ?? '',
        port: e.port,
        ready: true,
        link: { chain: e.chain.name, state: 'in-dump', location: { ref: e.chain, dnatRule: e.dnatRule } },
      })),
    });
  }
  const namespaces = [...byNamespace.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, services]) => ({ name, services: [...services.values()].sort((a, b) => a.name.localeCompare(b.name)) }));
  return { origin: { kind: 'dump', uri }, namespaces, warnings: [], dumpUri: uri };
}

/** Finds the port or endpoint whose chain is `chain` (KUBE-SVC/SVL/EXT/FW/SEP), for revealing it in the tree. */
export function findChain(
  model: ServicesModel,
  chain: string,
): { namespace: NamespaceModel; service: ServiceModel; port: PortModel; endpoint?: EndpointModel } | undefined {
  for (const namespace of model.namespaces) {
    for (const service of namespace.services) {
      for (const port of service.ports) {
        if (port.serviceChain === chain || port.link.chain === chain || port.otherChains.includes(chain)) {
          return { namespace, service, port };
        }
        const endpoint = port.endpoints.find((e) => e.link.chain === chain);
        if (endpoint) {
          return { namespace, service, port, endpoint };
        }
      }
    }
  }
  return undefined;
}
