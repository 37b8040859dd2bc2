// Document and workspace symbols: the outline of tables and their chains.
import { SymbolKind } from 'vscode-languageserver-types';
import type { DocumentSymbol, SymbolInformation } from 'vscode-languageserver-types';
import { chainKind, isServiceChainKind } from '../kube/chainKinds';
import type { Chain, Table } from '../model/types';
import { formatCounters } from '../parse/counters';
import type { DumpDocument } from './document';
import { lineRange, toLocation, toRange } from './lsp';

/** A short description of a chain for the outline: policy and counters, or references, and its rule count. */
export function chainDetail(chain: Chain): string {
  // Concatenated, not joined from an array: the outline of a large dump asks this for 130,000 chains.
  const rules = chain.rules.length;
  const ruleCount = `${rules} rule${rules === 1 ? '' : 's'}`;
  if (chain.policy) {
    return `policy ${chain.policy}${chain.policyCounters ? ` (${formatCounters(chain.policyCounters)})` : ''} · ${ruleCount}`;
  }
  const references = chain.referencedBy.length;
  return `${references} reference${references === 1 ? '' : 's'} · ${ruleCount}`;
}

function tableLabel(table: Table): string {
  const how = table.nameSource === 'header' ? '' : table.excerpt ? ' (excerpt)' : ' (inferred)';
  return `${table.name}${how}`;
}

/**
 * The order chains earn a place in an outline that cannot list them all: built-in and named chains (KUBE-SERVICES,
 * KUBE-NODEPORTS, CNI chains …) first, then kube-proxy's service chains, then its endpoint chains, the most numerous.
 */
function outlineTier(chain: Chain): number {
  const kind = chainKind(chain.name);
  return isServiceChainKind(kind) ? 1 : kind === 'endpoint' ? 2 : 0;
}

/**
 * Each table's chains that an outline of at most `maxChains` chains lists, in file order, and how many chains
 * each declares. In one pass, each tier keeps only its first `maxChains` chains (the others cannot be listed): a
 * 20,000-service dump has 130,000 chains, of which the outline lists 5,000, on every edit.
 */
function outlinedChains(tables: readonly Table[], maxChains: number): { listed: Chain[][]; declared: number[] } {
  if (tables.reduce((chains, table) => chains + table.chains.size, 0) <= maxChains) {
    // Every declared chain is listed (as always without a limit).
    const listed = tables.map((table) => [...table.chains.values()].filter((chain) => chain.declaredBy !== undefined));
    return { listed, declared: listed.map((chains) => chains.length) };
  }
  // Each tier's first chains, with their place in the file (over all tables) to merge them back in that order.
  const tiers: Chain[][] = [[], [], []];
  const places: number[][] = [[], [], []];
  let place = 0;
  const declared = tables.map((table) => {
    let count = 0;
    for (const chain of table.chains.values()) {
      if (chain.declaredBy === undefined) {
        continue;
      }
      count++;
      place++;
      const tier = outlineTier(chain);
      if (tiers[tier].length < maxChains) {
        tiers[tier].push(chain);
        places[tier].push(place);
      }
    }
    return count;
  });
  // The tiers one after another up to the limit, merged in file order.
  let room = maxChains;
  const taken = tiers.map((tier) => {
    const n = Math.min(tier.length, room);
    room -= n;
    return n;
  });
  const next = [0, 0, 0];
  const listed: Chain[][] = tables.map(() => []);
  for (;;) {
    let from = -1;
    for (let tier = 0; tier < 3; tier++) {
      if (next[tier] < taken[tier] && (from < 0 || places[tier][next[tier]] < places[from][next[from]])) {
        from = tier;
      }
    }
    if (from < 0) {
      break;
    }
    const chain = tiers[from][next[from]++];
    listed[tables.indexOf(chain.table)].push(chain);
  }
  return { listed, declared };
}

/**
 * The hierarchical outline: tables → chains. `describeChain` may add a name for a chain (the kube-proxy
 * service it implements) to its detail. At most `maxChains` chains are listed (editors slow down on outlines of
 * 100,000 symbols; VS Code caps its own JSON outline at 5,000): the others are left out in the order of
 * `outlineTier`, and each table's detail says how many it lists.
 */
export function documentSymbols(
  doc: DumpDocument,
  describeChain?: (chain: Chain) => string | undefined,
  maxChains = Number.POSITIVE_INFINITY,
): DocumentSymbol[] {
  const { lines, dump } = doc;
  const { listed, declared } = outlinedChains(dump.tables, maxChains);
  return dump.tables.map((table, t) => {
    const children: DocumentSymbol[] = [];
    for (const chain of listed[t]) {
      const declaration = chain.declaration; // made on each read
      if (!declaration) {
        continue;
      }
      const extra = describeChain?.(chain);
      children.push({
        name: chain.name,
        detail: extra ? `${extra} · ${chainDetail(chain)}` : chainDetail(chain),
        kind: chain.builtin ? SymbolKind.Event : SymbolKind.Function,
        range: lineRange(lines, declaration.line, Math.max(declaration.line, chain.endLine)),
        selectionRange: toRange(declaration),
      });
    }
    const selection = table.header ? toRange(table.header) : lineRange(lines, table.startLine, table.startLine);
    const format = table.format === 'list' ? 'iptables -L' : table.format === 'spec' ? 'iptables -S' : 'iptables-save';
    const shown = children.length < declared[t] ? ` · ${count(children.length)} in the outline (limit ${count(maxChains)})` : '';
    return {
      name: tableLabel(table),
      detail: `${format} · ${count(table.chains.size)} chains${shown}`,
      kind: SymbolKind.Namespace,
      range: lineRange(lines, table.startLine, table.endLine),
      selectionRange: selection,
      children,
    };
  });
}

/** `132,156`: as `toLocaleString('en-US')`, without its first call's cost (tens of milliseconds). */
function count(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Chains whose name contains `query` (case-insensitive) across open dumps, at most `limit` of them. */
export function workspaceSymbols(docs: Iterable<DumpDocument>, query: string, limit = 500): SymbolInformation[] {
  const needle = query.toLowerCase();
  const result: SymbolInformation[] = [];
  for (const doc of docs) {
    for (const table of doc.dump.tables) {
      for (const chain of table.chains.values()) {
        if (!chain.declaration || !chain.name.toLowerCase().includes(needle)) {
          continue;
        }
        result.push({
          name: chain.name,
          kind: chain.builtin ? SymbolKind.Event : SymbolKind.Function,
          location: toLocation(doc.uri, chain.declaration),
          containerName: table.name,
        });
        if (result.length >= limit) {
          return result;
        }
      }
    }
  }
  return result;
}
