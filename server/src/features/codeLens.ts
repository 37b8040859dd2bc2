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

/** Where a lens goes: a declared service chain (its declaration) of a service port. */
export interface KubeCodeLensSite {
  span: Span;
  chain: string;
}

/** Each declared service chain (KUBE-SVC/SVL/EXT/FW/XLB) of every service port, with its service port. */
function* servedChains(dump: Dump, analysis: KubeAnalysis): Generator<{ service: DumpServicePort; chain: string; span: Span }> {
  if (!analysis.hasKubeProxy) {
    return;
  }
  for (const service of analysis.services) {
    for (const chain of service.chains) {
      if (chain.span !== undefined && dump.lineOwners[chain.span.line] !== undefined) {
        yield { service, chain: chain.name, span: chain.span };
      }
    }
  }
}

const inDocumentOrder = (a: { span: Span }, b: { span: Span }): number => a.span.line - b.span.line || a.span.start - b.span.start;

/**
 * Where the lenses go, without what they say, in document order. An editor asks for all of a document's lenses
 * and then resolves those it shows (`codeLensOf`): a 20,000-service dump has 25,000 lenses, whose titles and DNAT
 * locations made 20 MB of JSON per request.
 */
export function codeLensSites(dump: Dump, analysis: KubeAnalysis): KubeCodeLensSite[] {
  return [...servedChains(dump, analysis)].map(({ span, chain }) => ({ span, chain })).sort(inDocumentOrder);
}

/** The lens of the service chain named `chain`; undefined when no service port has it (any more). */
export function codeLensOf(dump: Dump, analysis: KubeAnalysis, chain: string): KubeCodeLens | undefined {
  if (!analysis.hasKubeProxy) {
    return undefined;
  }
  for (const table of dump.tables) {
    const modelChain = table.chains.get(chain);
    const service = modelChain && analysis.serviceByChain.get(modelChain);
    const ref = service?.chains.find((candidate) => candidate.name === chain);
    if (service && ref?.span !== undefined && dump.lineOwners[ref.span.line] !== undefined) {
      return lensOf(service, chain, ref.span);
    }
  }
  return undefined;
}

/** Every lens with what it says, in document order (for tests and tools that want them all at once). */
export function codeLenses(dump: Dump, analysis: KubeAnalysis): KubeCodeLens[] {
  return [...servedChains(dump, analysis)].map(({ service, chain, span }) => lensOf(service, chain, span)).sort(inDocumentOrder);
}

function lensOf(service: DumpServicePort, chain: string, span: Span): KubeCodeLens {
  const kind = chainKind(chain);
  const locations = endpointDnatSpans(service, kind);
  const endpoints =
    kind === 'service-local' || kind === 'external-local'
      ? service.localEndpoints
      : service.endpoints.length > 0
        ? service.endpoints
        : service.localEndpoints;
  return { span, title: lensTitle(service, endpoints), locations, chain, service: service.label };
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
