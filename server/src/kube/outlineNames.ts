// The names the outline gives kube-proxy's chains, read from the rules around each chain rather than from the
// analysis of the whole dump, so that the outline of a large dump answers as soon as the dump is parsed (the
// analysis of 20,000 services takes seconds, and the outline is the first thing an editor asks for).
//
// A service chain is named as the analysis names its service port (`serviceLabel`), from the KUBE-SERVICES rules
// that jump to its chain group and the cluster IP rule kube-proxy writes in it; an endpoint chain by its DNAT
// destination and the services whose chains jump to it. test/unit/kube/outlineNames.test.ts compares both with the
// analysis on every chain of the corpus and of generated dumps.
import type { Chain, Table } from '../model/types';
import { DISPATCH_KINDS, serviceLabel } from './analysis';
import { chainKind, hashSuffix, isServiceChainKind, SERVICE_CHAIN_PREFIXES } from './chainKinds';
import type { CommentIdentity } from './comments';
import { parseKubeComment } from './comments';
import { dispatchMatch, fastDnatDestination, ruleComment } from './ruleText';
import { endpointAddress } from './values';

/** Outline names for the chains of one parsed dump; each service port is read once, when first asked for. */
export class OutlineNames {
  private readonly labels = new Map<Table, Map<string, string>>();

  /** The chain's service (`default/my-nginx:80/tcp`) or endpoint (`10.244.1.5:80 ← default/my-nginx:80/tcp`). */
  describe(chain: Chain): string | undefined {
    const kind = chainKind(chain.name);
    if (isServiceChainKind(kind)) {
      const label = this.serviceLabel(chain);
      return label === chain.name ? undefined : label;
    }
    return kind === 'endpoint' ? this.endpointLabel(chain) : undefined;
  }

  private endpointLabel(chain: Chain): string {
    const dnat = chain.rules.find((rule) => rule.targetName === 'DNAT');
    const to = dnat === undefined ? undefined : fastDnatDestination(dnat);
    const address = to === undefined ? 'no DNAT' : endpointAddress(to).address;
    const labels = new Set<string>();
    for (const jump of chain.referencedBy) {
      const kind = chainKind(jump.chain.name);
      if (kind === 'service' || kind === 'service-local' || kind === 'external-local') {
        labels.add(this.serviceLabel(jump.chain));
      }
    }
    return labels.size === 0 ? address : `${address} ← ${[...labels].join(', ')}`;
  }

  /** The label of the service port whose chain group `chain` belongs to. */
  private serviceLabel(chain: Chain): string {
    const suffix = hashSuffix(chain.name);
    let byTable = this.labels.get(chain.table);
    if (byTable === undefined) {
      byTable = new Map();
      this.labels.set(chain.table, byTable);
    }
    let label = byTable.get(suffix);
    if (label === undefined) {
      label = readServiceLabel(chain.table, suffix);
      byTable.set(suffix, label);
    }
    return label;
  }
}

/** Reads a service port's name, cluster IP, port and protocol from the rules that jump to its chains and theirs. */
function readServiceLabel(table: Table, suffix: string): string {
  let identity: CommentIdentity | undefined;
  let servicePort: number | undefined;
  let protocol: string | undefined;
  let clusterIP: string | undefined;
  const take = (match: ReturnType<typeof dispatchMatch>, named: CommentIdentity | undefined, clusterIPRole: boolean): void => {
    identity ??= named;
    protocol ??= match.protocol;
    if (clusterIPRole) {
      clusterIP ??= match.destination;
      servicePort ??= match.destinationPort;
    }
  };
  // Each value is the first one found, so the reading stops as soon as all are known (at the service chain's
  // cluster IP jump, in most dumps): what comes later could not change them.
  const complete = (): boolean => identity !== undefined && protocol !== undefined && clusterIP !== undefined && servicePort !== undefined;
  const chains: Chain[] = [];
  for (const prefix of SERVICE_CHAIN_PREFIXES) {
    const chain = complete() ? undefined : table.chains.get(prefix + suffix);
    if (chain === undefined) {
      continue;
    }
    chains.push(chain);
    for (const jump of chain.referencedBy) {
      const from = chainKind(jump.chain.name);
      if (!DISPATCH_KINDS.has(from)) {
        continue;
      }
      const match = dispatchMatch(jump);
      const named = match.comment === undefined ? undefined : parseKubeComment(match.comment);
      // As the analysis: a jump whose comment does not say which IP it is, is the cluster IP's when it leads to the
      // service chain itself; node ports are not service ports.
      const role = named?.role;
      const clusterIPRole =
        from !== 'nodeports' &&
        (role === 'cluster-ip' || (role !== 'external-ip' && role !== 'loadbalancer-ip' && chainKind(chain.name) === 'service'));
      take(match, named, clusterIPRole);
    }
  }
  // kube-proxy since 1.25 writes the cluster IP's masquerade rule in the service chain itself, with its comment.
  for (const chain of complete() ? [] : chains) {
    for (const rule of chain.rules) {
      const comment = ruleComment(rule);
      const named = comment === undefined ? undefined : parseKubeComment(comment);
      if (named !== undefined) {
        take(dispatchMatch(rule), named, named.role === 'cluster-ip');
      }
    }
  }
  // The chain names the service only when no comment does (so `complete()` left it out of nothing that matters).
  const svc = chains.find((chain) => chain.name.startsWith('KUBE-SVC-')) ?? chains[0];
  return serviceLabel(
    {
      namespace: identity?.namespace,
      name: identity?.name,
      port: identity?.port,
      protocol,
      servicePort,
      clusterIPs: clusterIP === undefined ? [] : [clusterIP],
      chains: [],
    },
    svc,
  );
}
