// A service: its type and cluster IP in the description; its children are its ports.
import type { ServiceModel } from '../cluster/servicesModel';
import { MessageNode } from './messageNode';
import { PortNode } from './portNode';
import type { ServicesTreeNode, TreeItemSpec } from './treeNode';

export class ServiceNode implements ServicesTreeNode {
  constructor(
    readonly parent: ServicesTreeNode,
    readonly service: ServiceModel,
    private readonly dumpUri: string | undefined,
  ) {}

  getTreeItem(): TreeItemSpec {
    const s = this.service;
    return {
      id: `service:${s.namespace}/${s.name}`,
      label: s.name,
      description: [s.type, s.clusterIP, s.note ? s.note.split(':')[0] : undefined].filter(Boolean).join(' · '),
      tooltip: [`${s.namespace}/${s.name}`, `${s.type}${s.clusterIP ? ` ${s.clusterIP}` : ''}`, s.note].filter(Boolean).join('\n'),
      icon: { id: 'symbol-interface' },
      collapsible: 'collapsed',
      contextValue: 'iptablesLens.service',
    };
  }

  getChildren(): ServicesTreeNode[] {
    const children: ServicesTreeNode[] = [];
    if (this.service.note) {
      children.push(new MessageNode(this, this.service.note, 'info'));
    }
    children.push(...this.service.ports.map((p) => new PortNode(this, p, this.dumpUri)));
    return children;
  }
}
