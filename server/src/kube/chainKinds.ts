// What a chain is, by its name: kube-proxy's chains, CNI and container-runtime chains, built-ins.
import { BUILTIN_CHAINS } from '../model/types';
import type { ChainKind } from './types';

/** kube-proxy's fixed chain names (iptables mode, every release since 1.2). */
const FIXED_KUBE_CHAINS: ReadonlyMap<string, ChainKind> = new Map<string, ChainKind>([
  ['KUBE-SERVICES', 'services'],
  ['KUBE-NODEPORTS', 'nodeports'],
  ['KUBE-EXTERNAL-SERVICES', 'external-services'],
  ['KUBE-PROXY-FIREWALL', 'proxy-firewall'],
  ['KUBE-FORWARD', 'forward'],
  ['KUBE-FIREWALL', 'kube-firewall'],
  ['KUBE-MARK-MASQ', 'mark-masq'],
  ['KUBE-MARK-DROP', 'mark-drop'],
  ['KUBE-POSTROUTING', 'postrouting'],
  ['KUBE-PROXY-CANARY', 'canary'],
  ['KUBE-KUBELET-CANARY', 'canary'],
]);

/**
 * Hashed kube-proxy chains: the prefix fixes the kind, the 16 characters after it name the service port. No prefix
 * starts another, so the order only saves time: endpoint chains, the most numerous, first.
 */
const HASHED_PREFIXES: readonly (readonly [string, ChainKind])[] = [
  ['KUBE-SEP-', 'endpoint'],
  ['KUBE-SVC-', 'service'],
  ['KUBE-SVL-', 'service-local'],
  ['KUBE-EXT-', 'external'],
  ['KUBE-FW-', 'firewall'],
  ['KUBE-XLB-', 'external-local'],
];

/** The prefixes of one service port's chains (SVC, SVL, EXT, FW, XLB), in that order; they share its hash. */
export const SERVICE_CHAIN_PREFIXES: readonly string[] = HASHED_PREFIXES.filter(([, kind]) => isServiceChainKind(kind)).map(([prefix]) => prefix);

/** The 16 characters after a hashed chain's prefix (`KUBE-SVC-XXXX…` → `XXXX…`): what the chains of one service port share. */
export function hashSuffix(name: string): string {
  return name.slice(name.indexOf('-', 5) + 1);
}

/** CNI plugins and the chain prefixes they own; checked in order, so longer prefixes come first. */
const CNI_PREFIXES: readonly (readonly [string, string])[] = [
  ['cali-', 'Calico'],
  ['felix-', 'Calico'],
  ['CILIUM_', 'Cilium'],
  ['OLD_CILIUM_', 'Cilium'],
  ['FLANNEL', 'Flannel'],
  ['WEAVE', 'Weave Net'],
  ['ANTREA', 'Antrea'],
  ['KUBE-ROUTER-', 'kube-router'],
  ['KUBE-POD-FW-', 'kube-router'],
  ['KUBE-NWPLCY-', 'kube-router'],
  ['CNI-', 'CNI plugin'],
];

/** Container runtimes and the chain prefixes they own. */
const RUNTIME_PREFIXES: readonly (readonly [string, string])[] = [
  ['DOCKER', 'Docker'],
  ['NETAVARK', 'Podman (netavark)'],
];

/**
 * The kind of a chain, from its name alone. CNI chains that borrow the `KUBE-` prefix (kube-router's) are
 * classified as CNI, not kube-proxy, because that is whose rules they hold.
 */
export function chainKind(name: string): ChainKind {
  if (BUILTIN_CHAINS.has(name)) {
    return 'builtin';
  }
  const fixed = FIXED_KUBE_CHAINS.get(name);
  if (fixed !== undefined) {
    return fixed;
  }
  for (const [prefix, kind] of HASHED_PREFIXES) {
    if (name.startsWith(prefix) && name.length > prefix.length) {
      return kind;
    }
  }
  if (cniPlugin(name) !== undefined) {
    return 'cni';
  }
  if (name.startsWith('KUBE-PORTALS-') || name.startsWith('KUBE-NODEPORT-')) {
    return 'userspace';
  }
  if (name.startsWith('KUBE-')) {
    return 'kube-other';
  }
  if (runtimeName(name) !== undefined) {
    return 'runtime';
  }
  return 'user';
}

/** The CNI plugin that owns a chain name, if it is one we know. */
function cniPlugin(name: string): string | undefined {
  for (const [prefix, plugin] of CNI_PREFIXES) {
    if (name.startsWith(prefix)) {
      return plugin;
    }
  }
  return undefined;
}

function runtimeName(name: string): string | undefined {
  for (const [prefix, runtime] of RUNTIME_PREFIXES) {
    if (name.startsWith(prefix)) {
      return runtime;
    }
  }
  return undefined;
}

const KIND_LABELS: Record<ChainKind, string> = {
  services: 'kube-proxy service dispatch chain (KUBE-SERVICES)',
  service: 'kube-proxy service chain (cluster traffic policy)',
  'service-local': 'kube-proxy service chain (local traffic policy: node-local endpoints only)',
  external: 'kube-proxy external traffic chain (node ports, external and load-balancer IPs)',
  firewall: 'kube-proxy load-balancer firewall chain (loadBalancerSourceRanges)',
  'external-local': 'kube-proxy external-local chain (externalTrafficPolicy: Local, before 1.25)',
  endpoint: 'kube-proxy endpoint chain (DNAT to one pod)',
  nodeports: 'kube-proxy node-port dispatch chain',
  'external-services': 'kube-proxy chain for external traffic to services without (local) endpoints',
  'proxy-firewall': 'kube-proxy load-balancer source-range firewall',
  forward: 'kube-proxy forwarding rules',
  'kube-firewall': 'kubelet/kube-proxy firewall (drops marked and martian localnet packets)',
  'mark-masq': 'kube-proxy: marks packets for masquerade (SNAT)',
  'mark-drop': 'kube-proxy/kubelet: marks packets to drop',
  postrouting: 'kube-proxy postrouting: masquerades marked packets',
  canary: 'kube-proxy/kubelet canary chain (detects iptables flushes)',
  userspace: 'kube-proxy userspace-mode chain (before 1.2 / removed in 1.26)',
  'kube-other': 'Kubernetes (KUBE-) chain',
  cni: 'CNI chain',
  runtime: 'container runtime chain',
  builtin: 'built-in chain',
  user: 'user-defined chain',
};

/**
 * A human label for a chain kind: "kube-proxy service chain (cluster traffic policy)". With the chain's name,
 * CNI and runtime chains name their owner: "Calico (CNI) chain", "Docker (container runtime) chain".
 */
export function chainKindLabel(kind: ChainKind, name?: string): string {
  if (name !== undefined) {
    if (kind === 'cni') {
      const plugin = cniPlugin(name);
      if (plugin !== undefined) {
        return plugin === 'CNI plugin' ? 'CNI plugin chain (portmap / bridge)' : `${plugin} (CNI) chain`;
      }
    }
    if (kind === 'runtime') {
      const runtime = runtimeName(name);
      if (runtime !== undefined) {
        return `${runtime} (container runtime) chain`;
      }
    }
  }
  return KIND_LABELS[kind];
}

/** Whether a kind is one of kube-proxy's per-service-port chains (SVC, SVL, EXT, FW, XLB). */
export function isServiceChainKind(kind: ChainKind): boolean {
  return kind === 'service' || kind === 'service-local' || kind === 'external' || kind === 'firewall' || kind === 'external-local';
}
