// The kube-proxy features in LSP terms: hover sections, implementation locations, code lenses and the
// `iptablesLens/services` answer, over the pure functions in kube/ and kubeHover/implementation/codeLens.
import type { CodeLens, DocumentSymbol, Location, Position } from 'vscode-languageserver-types';
import { chainSymbolDetail } from '../kube/analysis';
import { OutlineNames } from '../kube/outlineNames';
import type { DumpServicePort } from '../kube/types';
import { codeLensOf, codeLensSites } from './codeLens';
import type { KubeCodeLens } from './codeLens';
import type { DumpDocument } from './document';
import { implementation } from './implementation';
import { kubeHover } from './kubeHover';
import type { KubeHover } from './kubeHover';
import { toLocation, toRange } from './lsp';
import { documentSymbols } from './symbols';

/** The client command a service lens runs: peek the endpoints' DNAT rules (see client/src/extension.ts). */
export const PEEK_LOCATIONS_COMMAND = 'iptablesLens.peekLocations';

/** Markdown kube-proxy knowledge adds to a hover at `position` and the text it is about, or null. */
export function kubeHoverSection(doc: DumpDocument, position: Position): KubeHover | null {
  return kubeHover(doc.dump, doc.kube, position);
}

/** Jump to endpoint: the DNAT rules behind the service or endpoint at `position`. */
export function implementationLocations(doc: DumpDocument, position: Position): Location[] {
  return implementation(doc.dump, doc.kube, position).map((span) => toLocation(doc.uri, span));
}

/** What a service lens carries until it is resolved: the document and the chain it sits on. */
export interface ServiceLensData {
  uri: string;
  chain: string;
}

/**
 * One lens per service chain, unresolved: the editor resolves those it shows (`resolveServiceCodeLens`) into
 * `default/my-nginx:80/tcp → 2 endpoints`, peeking their DNAT rules.
 */
export function serviceCodeLenses(doc: DumpDocument): CodeLens[] {
  return codeLensSites(doc.dump, doc.kube).map((site) => ({ range: toRange(site.span), data: { uri: doc.uri, chain: site.chain } satisfies ServiceLensData }));
}

/** `lens` with its command: the service and endpoints of its chain in `doc` (which its data names). */
export function resolveServiceCodeLens(doc: DumpDocument, lens: CodeLens): CodeLens {
  const data = lens.data as ServiceLensData;
  const resolved = codeLensOf(doc.dump, doc.kube, data.chain);
  return { ...lens, command: resolved ? peekCommand(doc, resolved) : { title: `${data.chain}: no longer a service chain`, command: '' } };
}

function peekCommand(doc: DumpDocument, lens: KubeCodeLens): CodeLens['command'] {
  const start = toRange(lens.span).start;
  return { title: lens.title, command: PEEK_LOCATIONS_COMMAND, arguments: [doc.uri, start, lens.locations.map((span) => toLocation(doc.uri, span))] };
}

/**
 * The outline, kube-proxy's chains named by their service (`default/my-nginx:80/tcp`) or endpoint: from the analysis
 * when it is there (after an edit it follows, as a rule), else names read around each listed chain, so that the
 * outline does not wait for the analysis of the whole dump. Both name every chain alike (test/unit/kube/outlineNames.test.ts).
 */
export function kubeOutline(doc: DumpDocument, maxChains?: number): DocumentSymbol[] {
  const analysis = doc.readyKube;
  if (analysis !== undefined) {
    return documentSymbols(doc, (chain) => chainSymbolDetail(analysis, chain), maxChains);
  }
  const names = new OutlineNames();
  return documentSymbols(doc, (chain) => names.describe(chain), maxChains);
}

/** What `iptablesLens/services` answers: the service ports from `offset`, all of them or `limit`, out of `total`. */
export interface ServicesAnswer {
  services: DumpServicePort[];
  /** How many service ports the dump shows in all (a page holds `limit` of them). */
  total: number;
  /** The document version the answer is of: pages of different versions do not fit together. */
  version: number;
}

/**
 * The answer to `iptablesLens/services`: every service port, or a page of them (a 20,000-service dump's are 50 MB
 * of JSON, which takes the server most of a second to write and the client longer to read, in one piece). An
 * `offset` or `limit` that is not a whole number ≥ 0 is ignored.
 */
export function servicesOf(doc: DumpDocument, page: { offset?: unknown; limit?: unknown } = {}): ServicesAnswer {
  const all = doc.kube.services;
  const whole = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0;
  const offset = whole(page.offset) ? page.offset : 0;
  const end = whole(page.limit) ? offset + page.limit : all.length;
  return { services: offset === 0 && end >= all.length ? all : all.slice(offset, end), total: all.length, version: doc.version };
}
