// Document and workspace symbols: the outline of tables and their chains.
import { SymbolKind } from 'vscode-languageserver-types';
import type { DocumentSymbol, SymbolInformation } from 'vscode-languageserver-types';
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
 * The hierarchical outline: tables → chains. `describeChain` may add a name for a chain (the kube-proxy
 * service it implements) to its detail.
 */
export function documentSymbols(doc: DumpDocument, describeChain?: (chain: Chain) => string | undefined): DocumentSymbol[] {
  const { lines, dump } = doc;
  return dump.tables.map((table) => {
    const children: DocumentSymbol[] = [];
    for (const chain of table.chains.values()) {
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
    return {
      name: tableLabel(table),
      detail: `${table.format === 'list' ? 'iptables -L' : table.format === 'spec' ? 'iptables -S' : 'iptables-save'} · ${table.chains.size} chains`,
      kind: SymbolKind.Namespace,
      range: lineRange(lines, table.startLine, table.endLine),
      selectionRange: selection,
      children,
    };
  });
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
