// The Services view's TreeDataProvider: a thin adapter from the vscode-free nodes to vscode.TreeItem.
//
// Architecture of the view (vscode-kubernetes-tools' explorer.ts is the model for this shape):
//   servicesView.ts         registers the view, its commands and the status bar item; gives the controller
//                           its vscode-side dependencies (active dump via the language server, settings).
//   servicesController.ts   decides what to show (snapshot file > live cluster > the open dump alone), keeps
//                           the watch, and turns failures into message nodes. No vscode.
//   contextNode.ts … messageNode.ts
//                           one class per node kind, each with getTreeItem() (a plain TreeItemSpec) and
//                           getChildren(). No vscode.
//   this file               TreeItemSpec → vscode.TreeItem, nothing else.
//   ../cluster/             cluster access, snapshot files and the services model, shared with the CLI.
import * as vscode from 'vscode';
import { toTreeItem } from '../treeItem';
import type { ServicesController } from './servicesController';
import type { ServicesTreeNode } from './treeNode';

export class ServicesTreeProvider implements vscode.TreeDataProvider<ServicesTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ServicesTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: { dispose(): void };

  constructor(private readonly controller: ServicesController) {
    this.subscription = controller.onDidChange(() => this.changed.fire(undefined));
  }

  getTreeItem(node: ServicesTreeNode): vscode.TreeItem {
    return toTreeItem(node.getTreeItem());
  }

  getChildren(node?: ServicesTreeNode): ServicesTreeNode[] {
    return node ? node.getChildren() : this.controller.getRoots();
  }

  getParent(node: ServicesTreeNode): ServicesTreeNode | undefined {
    return node.parent;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
