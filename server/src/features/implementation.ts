// Go to implementation for kube-proxy: from a service to the DNAT rules of its endpoints, from an endpoint
// chain to its DNAT rule. LSP-agnostic: returns spans the server turns into Locations.
import { chainOccurrenceAt } from '../model/index';
import type { Dump, Span } from '../model/types';
import { addressFactsInOrder, endpointOfChain, serviceOfChain } from '../kube/analysis';
import type { KubeAnalysis } from '../kube/analysis';
import { chainKind } from '../kube/chainKinds';
import type { DumpEndpoint, DumpServicePort } from '../kube/types';
import { addressAt } from './kubeHover';
import type { TextPosition } from './kubeHover';

/**
 * The DNAT rules behind a position: on a KUBE-SVC/EXT/FW name (or a cluster, external or load-balancer IP,
 * or anywhere on a KUBE-SERVICES rule), those of all the service port's endpoints; on a KUBE-SVL/XLB name,
 * those of its node-local endpoints; on a KUBE-SEP name or an endpoint IP, that endpoint's. [] when none.
 */
export function implementation(dump: Dump, analysis: KubeAnalysis, position: TextPosition): Span[] {
  if (!analysis.hasKubeProxy) {
    return [];
  }
  const { line, character } = position;
  const occurrence = chainOccurrenceAt(dump, line, character);
  if (occurrence !== undefined) {
    const service = serviceOfChain(analysis, occurrence.name, occurrence.table);
    if (service !== undefined) {
      return endpointDnatSpans(service, chainKind(occurrence.name));
    }
    const endpoint = endpointOfChain(analysis, occurrence.name, occurrence.table);
    if (endpoint !== undefined) {
      return endpoint.dnatRule !== undefined ? [endpoint.dnatRule] : [];
    }
  }
  const owner = dump.lineOwners[line];
  if (owner === undefined || !('text' in owner)) {
    return [];
  }
  const address = addressAt(owner.text, character);
  const facts = address === undefined ? undefined : analysis.addresses.get(address.address);
  if (facts !== undefined) {
    const spans: Span[] = [];
    for (const fact of addressFactsInOrder(facts)) {
      if (fact.service !== undefined) {
        spans.push(...endpointDnatSpans(fact.service, 'service'));
      } else if (fact.endpoint?.dnatRule !== undefined) {
        spans.push(fact.endpoint.dnatRule);
      }
    }
    return uniqueSpans(spans);
  }
  const dispatched = analysis.dispatchByLine.get(line);
  if (dispatched !== undefined) {
    return endpointDnatSpans(dispatched, 'service');
  }
  return [];
}

/**
 * The DNAT rules a service chain leads to: for a node-local chain (SVL/XLB) its own endpoints, otherwise
 * every endpoint of the service port (cluster-wide and node-local), in rule order.
 */
export function endpointDnatSpans(service: DumpServicePort, kind: ReturnType<typeof chainKind>): Span[] {
  const endpoints: DumpEndpoint[] =
    kind === 'service-local' || kind === 'external-local'
      ? service.localEndpoints
      : kind === 'service'
        ? service.endpoints.length > 0
          ? service.endpoints
          : service.localEndpoints
        : [...service.endpoints, ...service.localEndpoints];
  return uniqueSpans(endpoints.flatMap((endpoint) => (endpoint.dnatRule !== undefined ? [endpoint.dnatRule] : [])));
}

function uniqueSpans(spans: Span[]): Span[] {
  const seen = new Set<string>();
  return spans.filter((span) => {
    const key = `${span.line}:${span.start}`;
    if (seen.has(key)) {
      return false;
    }
    seen.add(key);
    return true;
  });
}
