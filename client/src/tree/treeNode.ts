// What every node of the Services tree is, without vscode: a plain item description (label, icon, command)
// and children. The vscode TreeDataProvider turns TreeItemSpec into a vscode.TreeItem and nothing more,
// so what the tree shows is unit-tested without an editor.
import type { Span } from '../../../server/src/model/types';

export type Collapsible = 'none' | 'collapsed' | 'expanded';

export interface TreeItemSpec {
  /** Stable across refreshes, so expansion state survives a watch update. */
  id: string;
  label: string;
  description?: string;
  tooltip?: string;
  /** A codicon id (`symbol-namespace`, `pass-filled` …) and an optional theme colour id. */
  icon?: { id: string; color?: string };
  collapsible: Collapsible;
  /** For `view/item/context` menus: `iptablesLens.port.inDump`, `iptablesLens.message` … */
  contextValue: string;
  command?: { command: string; title: string; arguments: unknown[] };
}

export interface ServicesTreeNode {
  readonly parent: ServicesTreeNode | undefined;
  getTreeItem(): TreeItemSpec;
  getChildren(): ServicesTreeNode[];
}

/** Command ids the nodes refer to; package.json contributes them and servicesView.ts registers them. */
export const SERVICES_COMMANDS = {
  refresh: 'iptablesLens.services.refresh',
  switchContext: 'iptablesLens.services.switchContext',
  filterNamespace: 'iptablesLens.services.filterNamespace',
  loadSnapshot: 'iptablesLens.services.loadSnapshot',
  clearSnapshot: 'iptablesLens.services.clearSnapshot',
  revealChain: 'iptablesLens.services.revealChain',
  revealInTree: 'iptablesLens.services.revealChainUnderCursor',
  fetchNatTable: 'iptablesLens.services.fetchNatTable',
} as const;

/** The arguments of the reveal command: which document, and where. */
export interface RevealTarget {
  uri: string;
  chain: string;
  span?: Span;
}
