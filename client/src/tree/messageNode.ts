// A leaf that says something instead of showing data: an error with what to do, a note, an empty list.
import type { ClusterError } from '../cluster/result';
import type { ServicesTreeNode, TreeItemSpec } from './treeNode';

export type MessageSeverity = 'error' | 'warning' | 'info';

export class MessageNode implements ServicesTreeNode {
  constructor(
    readonly parent: ServicesTreeNode | undefined,
    readonly text: string,
    readonly severity: MessageSeverity = 'info',
    readonly detail?: string,
    readonly commandId?: string,
  ) {}

  /** A ClusterError as a message: its message as the label, its hint as tooltip and description. */
  static fromError(
    parent: ServicesTreeNode | undefined,
    error: ClusterError,
    severity: MessageSeverity = 'error',
    commandId?: string,
  ): MessageNode {
    return new MessageNode(parent, error.message, severity, error.hint, commandId);
  }

  getTreeItem(): TreeItemSpec {
    const icon =
      this.severity === 'error'
        ? { id: 'error', color: 'errorForeground' }
        : this.severity === 'warning'
          ? { id: 'warning', color: 'list.warningForeground' }
          : { id: 'info' };
    return {
      id: `message:${this.parent ? this.parent.getTreeItem().id : ''}:${this.text}`,
      label: this.text,
      description: this.detail,
      tooltip: this.detail ? `${this.text}\n\n${this.detail}` : this.text,
      icon,
      collapsible: 'none',
      contextValue: `iptablesLens.message.${this.severity}`,
      command: this.commandId ? { command: this.commandId, title: this.text, arguments: [] } : undefined,
    };
  }

  getChildren(): ServicesTreeNode[] {
    return [];
  }
}
