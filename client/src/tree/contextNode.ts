// The root: where the services come from (a kubeconfig context, a snapshot file, or the open dump alone),
// with any warnings first and then the namespaces.
import * as path from 'node:path';
import type { ServicesModel } from '../cluster/servicesModel';
import { MessageNode } from './messageNode';
import { NamespaceNode } from './namespaceNode';
import type { ServicesTreeNode, TreeItemSpec } from './treeNode';
import { SERVICES_COMMANDS } from './treeNode';

export class ContextNode implements ServicesTreeNode {
  readonly parent = undefined;

  constructor(
    readonly model: ServicesModel,
    /** Only this namespace is shown, when set. */
    readonly namespaceFilter?: string,
  ) {}

  getTreeItem(): TreeItemSpec {
    const o = this.model.origin;
    const label =
      o.kind === 'cluster' ? o.context : o.kind === 'snapshot' ? `snapshot ${path.basename(o.file)}` : `dump ${path.basename(o.uri)}`;
    const description = [
      o.kind === 'cluster' ? o.server : o.kind === 'dump' ? 'offline, from the dump' : 'offline',
      o.kind !== 'dump' && o.endpointSource ? `endpoints: ${o.endpointSource}` : undefined,
      this.namespaceFilter ? `namespace ${this.namespaceFilter}` : undefined,
      this.model.dumpUri && o.kind !== 'dump' ? `linked to ${path.basename(this.model.dumpUri)}` : undefined,
    ].filter(Boolean);
    return {
      id: `context:${o.kind}:${label}`,
      label,
      description: description.join(' · '),
      tooltip: description.join('\n'),
      icon: { id: o.kind === 'cluster' ? 'cloud' : o.kind === 'snapshot' ? 'file' : 'file-code' },
      collapsible: 'expanded',
      contextValue: `iptablesLens.context.${o.kind}`,
      command: o.kind === 'cluster' ? { command: SERVICES_COMMANDS.switchContext, title: 'Switch context', arguments: [] } : undefined,
    };
  }

  getChildren(): ServicesTreeNode[] {
    const children: ServicesTreeNode[] = this.model.warnings.map((w) => MessageNode.fromError(this, w, 'warning'));
    const namespaces = this.model.namespaces.filter((n) => !this.namespaceFilter || n.name === this.namespaceFilter);
    if (namespaces.length === 0) {
      children.push(
        new MessageNode(this, this.namespaceFilter ? `No services in namespace ${this.namespaceFilter}` : 'No services', 'info'),
      );
    }
    children.push(...namespaces.map((n) => new NamespaceNode(this, n, this.model.dumpUri)));
    return children;
  }
}
