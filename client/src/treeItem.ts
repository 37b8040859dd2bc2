// Turns a tree node's plain description (label, icon, command…) into a vscode.TreeItem: the one place both
// sidebar views (Services, Packet Trace) meet vscode's tree API.
import * as vscode from 'vscode';
import type { TreeItemSpec } from './tree/treeNode';

const COLLAPSIBLE: Record<TreeItemSpec['collapsible'], vscode.TreeItemCollapsibleState> = {
  none: vscode.TreeItemCollapsibleState.None,
  collapsed: vscode.TreeItemCollapsibleState.Collapsed,
  expanded: vscode.TreeItemCollapsibleState.Expanded,
};

export function toTreeItem(spec: TreeItemSpec): vscode.TreeItem {
  const item = new vscode.TreeItem(spec.label, COLLAPSIBLE[spec.collapsible]);
  item.id = spec.id;
  item.description = spec.description;
  item.tooltip = spec.tooltip;
  item.contextValue = spec.contextValue;
  if (spec.icon) {
    item.iconPath = new vscode.ThemeIcon(spec.icon.id, spec.icon.color ? new vscode.ThemeColor(spec.icon.color) : undefined);
  }
  if (spec.command) {
    item.command = spec.command;
  }
  return item;
}
