// A namespace and its services.
import type { NamespaceModel } from '../cluster/servicesModel';
import { MessageNode } from './messageNode';
import { ServiceNode } from './serviceNode';
import type { ServicesTreeNode, TreeItemSpec } from './treeNode';

export class NamespaceNode implements ServicesTreeNode {
  constructor(
    readonly parent: ServicesTreeNode,
    readonly namespace: NamespaceModel,
    private readonly dumpUri: string | undefined,
  ) {}

  getTreeItem(): TreeItemSpec {
    const count = this.namespace.services.length;
    return {
      id: `namespace:${this.namespace.name}`,
      label: this.namespace.name,
      description: `${count} service${count === 1 ? '' : 's'}`,
      icon: { id: 'symbol-namespace' },
      collapsible: 'collapsed',
      contextValue: 'iptablesLens.namespace',
    };
  }

  getChildren(): ServicesTreeNode[] {
    if (this.namespace.services.length === 0) {
      return [new MessageNode(this, 'No services', 'info')];
    }
    return this.namespace.services.map((s) => new ServiceNode(this, s, this.dumpUri));
  }
}
