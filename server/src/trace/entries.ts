// The jump rules kube-proxy adds to the built-in chains one by one (`iptables -I`), outside the
// `iptables-restore` input it writes: a dump of that input — kube-proxy's own test expectations, or
// `iptables-save` of a namespace it was restored into — has empty built-in chains and would trace to nothing.
// The tracer adds these jumps only where a built-in chain is empty and nothing jumps to the chain, and says so.

/** One of kube-proxy's jumps from a built-in chain, in the order they end up in that chain. */
export interface ImplicitJump {
  table: string;
  hookChain: string;
  target: string;
  comment: string;
}

export const KUBE_PROXY_JUMPS: readonly ImplicitJump[] = [
  { table: 'filter', hookChain: 'INPUT', target: 'KUBE-PROXY-FIREWALL', comment: 'kubernetes load balancer firewall' },
  { table: 'filter', hookChain: 'INPUT', target: 'KUBE-NODEPORTS', comment: 'kubernetes health check service ports' },
  { table: 'filter', hookChain: 'INPUT', target: 'KUBE-EXTERNAL-SERVICES', comment: 'kubernetes externally-visible service portals' },
  { table: 'filter', hookChain: 'INPUT', target: 'KUBE-FIREWALL', comment: 'kubelet firewall' },
  { table: 'filter', hookChain: 'FORWARD', target: 'KUBE-PROXY-FIREWALL', comment: 'kubernetes load balancer firewall' },
  { table: 'filter', hookChain: 'FORWARD', target: 'KUBE-FORWARD', comment: 'kubernetes forwarding rules' },
  { table: 'filter', hookChain: 'FORWARD', target: 'KUBE-SERVICES', comment: 'kubernetes service portals' },
  { table: 'filter', hookChain: 'FORWARD', target: 'KUBE-EXTERNAL-SERVICES', comment: 'kubernetes externally-visible service portals' },
  { table: 'filter', hookChain: 'OUTPUT', target: 'KUBE-PROXY-FIREWALL', comment: 'kubernetes load balancer firewall' },
  { table: 'filter', hookChain: 'OUTPUT', target: 'KUBE-SERVICES', comment: 'kubernetes service portals' },
  { table: 'filter', hookChain: 'OUTPUT', target: 'KUBE-FIREWALL', comment: 'kubelet firewall' },
  { table: 'nat', hookChain: 'PREROUTING', target: 'KUBE-SERVICES', comment: 'kubernetes service portals' },
  { table: 'nat', hookChain: 'OUTPUT', target: 'KUBE-SERVICES', comment: 'kubernetes service portals' },
  { table: 'nat', hookChain: 'POSTROUTING', target: 'KUBE-POSTROUTING', comment: 'kubernetes postrouting rules' },
];
