// What kube-proxy's rules in a dump say about the cluster: services, their ports, chains and endpoints.
//
// These are plain data (JSON-safe), because the same shapes travel over the `iptablesLens/services`
// request to the tree view and out of the CLI's `services --json`.
import type { Span } from '../model/types';

/** The kind of a chain, by kube-proxy's naming (or a CNI / container runtime's). */
export type ChainKind =
  | 'services' // KUBE-SERVICES
  | 'service' // KUBE-SVC-*
  | 'service-local' // KUBE-SVL-*
  | 'external' // KUBE-EXT-*
  | 'firewall' // KUBE-FW-*
  | 'external-local' // KUBE-XLB-* (before 1.25)
  | 'endpoint' // KUBE-SEP-*
  | 'nodeports' // KUBE-NODEPORTS
  | 'external-services' // KUBE-EXTERNAL-SERVICES
  | 'proxy-firewall' // KUBE-PROXY-FIREWALL
  | 'forward' // KUBE-FORWARD
  | 'kube-firewall' // KUBE-FIREWALL
  | 'mark-masq' // KUBE-MARK-MASQ
  | 'mark-drop' // KUBE-MARK-DROP
  | 'postrouting' // KUBE-POSTROUTING
  | 'canary' // KUBE-PROXY-CANARY, KUBE-KUBELET-CANARY
  | 'userspace' // KUBE-PORTALS-*, KUBE-NODEPORT-* (userspace proxy era)
  | 'kube-other' // another KUBE-* chain
  | 'cni' // cali-*, CNI-*, FLANNEL*, CILIUM_*, WEAVE*, …
  | 'runtime' // DOCKER*, …
  | 'builtin'
  | 'user';

/** A chain in a dump, as a JSON-safe reference: its name, table and where it is declared (or first used). */
export interface ChainRef {
  name: string;
  table: string;
  /** The declaration (or, for an excerpt, the first rule); undefined when the chain is only jumped to. */
  span?: Span;
}

/** One endpoint of a service port, as a `KUBE-SEP-…` chain says it. */
export interface DumpEndpoint {
  chain: ChainRef;
  /** Pod IP and port from the DNAT rule (`--to-destination` / `to:`); undefined when the chain has no DNAT. */
  ip?: string;
  port?: number;
  /** `ip:port` (`[ip]:port` for IPv6), or undefined. */
  address?: string;
  /** The probability written in the service chain's rule (1 for the last rule, which has none). */
  probability: number;
  /** The share of the service port's traffic this endpoint really gets: the product of the misses above it and its own p. */
  share: number;
  /** From counters: this endpoint's packets / all endpoints' packets of this port; undefined without counters. */
  observedShare?: number;
  observedPackets?: number;
  /** The rule in the service chain that jumps to this endpoint. */
  jumpRule: Span;
  /** The DNAT rule in the endpoint chain. */
  dnatRule?: Span;
  /** The hairpin `-s podIP -j KUBE-MARK-MASQ` rule in the endpoint chain. */
  masqueradeRule?: Span;
  /** Whether the endpoint chain's name is kube-proxy's hash of this service port and address (null: cannot tell). */
  hashMatches: boolean | null;
  /** Session affinity through `-m recent --rcheck --seconds N`. */
  affinitySeconds?: number;
}

/** One port of a service (kube-proxy's unit: a "service port name" `ns/name:port`). */
export interface DumpServicePort {
  /** `ns/name:port` or `ns/name` (unnamed); undefined when no comment in the dump names it. */
  portName?: string;
  namespace?: string;
  name?: string;
  /** The port's name (`http`, `dns-tcp`); '' for an unnamed port; undefined when unknown. */
  port?: string;
  /** `tcp`, `udp`, `sctp`. */
  protocol?: string;
  /** Cluster IPs and port numbers from KUBE-SERVICES rules. */
  clusterIPs: string[];
  servicePort?: number;
  externalIPs: string[];
  loadBalancerIPs: string[];
  nodePorts: number[];
  /** KUBE-SVC / SVL / EXT / FW / XLB chains of this port that are in the dump. */
  chains: ChainRef[];
  /** Endpoints in rule order of the KUBE-SVC chain (cluster-wide endpoints). */
  endpoints: DumpEndpoint[];
  /**
   * Endpoints in rule order of the node-local chain (KUBE-SVL, or KUBE-XLB before 1.25): where traffic goes
   * under a Local traffic policy. Shares are within that chain. Empty when there is no such chain.
   */
  localEndpoints: DumpEndpoint[];
  /** kube-proxy wrote `has no endpoints` (REJECT) for this port, or its KUBE-SVC chain leads nowhere. */
  noEndpoints: boolean;
  /** `health check node port` (externalTrafficPolicy: Local). */
  healthCheckNodePort?: number;
  /** Session affinity (`-m recent --rcheck --seconds N`) timeout, when the service uses ClientIP affinity. */
  affinitySeconds?: number;
  /** Share of traffic the probabilities leave with no endpoint (a broken split); undefined when it is 0. */
  unassignedShare?: number;
  /** Packets counted by the KUBE-SVC chain's endpoint rules, when the dump has counters. */
  observedPackets?: number;
  /** Some counters behind the observed shares were printed with K/M/G suffixes, so shares are approximate. */
  observedApproximate?: boolean;
  /** `Cluster` or `Local` traffic policy, when the chains show it. */
  trafficPolicy?: 'Cluster' | 'Local';
  /** The KUBE-SERVICES rules that dispatch this port (cluster IP, external IP …). */
  dispatchRules: Span[];
  /** Whether the service chain's name is kube-proxy's hash of `portName` + protocol (null: cannot tell). */
  hashMatches: boolean | null;
  /** A short label: `default/my-nginx:80/tcp`, or the chain name when nothing names it. */
  label: string;
}
