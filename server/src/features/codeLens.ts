// Code lenses on kube-proxy service chains: "default/my-nginx:80/tcp → 2 endpoints", carrying the endpoints'
// DNAT rules so the client can peek them. LSP-agnostic: the server turns each into a CodeLens + command.
import type { Dump, Span } from '../model/types';
import type { KubeAnalysis } from '../kube/analysis';
import { chainKind } from '../kube/chainKinds';
import type { DumpEndpoint, DumpServicePort } from '../kube/types';
import { percent } from '../kube/values';
import { endpointDnatSpans } from './implementation';

/** One lens: where it sits, what it says, and the DNAT rules it peeks. */
export interface KubeCodeLens {
  /** The service chain's declaration. */
  span: Span;
  title: string;
  /** The endpoints' DNAT rules, in rule order (what "peek" shows). */
  locations: Span[];
  chain: string;
  /** The service port's label (`default/my-nginx:80/tcp`). */
  service: string;
}

/** One lens per declared service chain (KUBE-SVC/SVL/EXT/FW/XLB) of every service port, in document order. */
export function codeLenses(dump: Dump, analysis: KubeAnalysis): KubeCodeLens[] {
  const lenses: KubeCodeLens[] = [];
  if (!analysis.hasKubeProxy) {
    return lenses;
  }
  for (const service of analysis.services) {
    for (const chain of service.chains) {
      if (chain.span === undefined || dump.lineOwners[chain.span.line] === undefined) {
        continue;
      }
      const kind = chainKind(chain.name);
      const locations = endpointDnatSpans(service, kind);
      const endpoints =
        kind === 'service-local' || kind === 'external-local'
          ? service.localEndpoints
          : service.endpoints.length > 0
            ? service.endpoints
            : service.localEndpoints;
      lenses.push({ span: chain.span, title: lensTitle(service, endpoints), locations, chain: chain.name, service: service.label });
    }
  }
  return lenses.sort((a, b) => a.span.line - b.span.line || a.span.start - b.span.start);
}

function lensTitle(service: DumpServicePort, endpoints: DumpEndpoint[]): string {
  if (endpoints.length === 0) {
    return `${service.label} → no endpoints`;
  }
  let title = `${service.label} → ${endpoints.length} endpoint${endpoints.length === 1 ? '' : 's'}`;
  const observed = endpoints.filter((endpoint) => endpoint.observedShare !== undefined);
  if (observed.length > 0) {
    const total = endpoints.reduce((sum, endpoint) => sum + (endpoint.observedPackets ?? 0), 0);
    const shares = endpoints
      .slice(0, 6)
      .map((endpoint) => percent(endpoint.observedShare ?? 0))
      .join(' / ');
    title += ` · observed ${service.observedApproximate === true ? '≈' : ''}${shares}${endpoints.length > 6 ? ' / …' : ''} of ${total} packets`;
  }
  return title;
}
