// A service port (`80/tcp → 8080`) with its KUBE-SVC chain; its children are the endpoints.
import type { PortModel } from '../cluster/servicesModel';
import { EndpointNode } from './endpointNode';
import { linkCommand, linkIcon, linkTooltip } from './linkPresentation';
import { MessageNode } from './messageNode';
import type { ServicesTreeNode, TreeItemSpec } from './treeNode';

export class PortNode implements ServicesTreeNode {
  constructor(
    readonly parent: ServicesTreeNode,
    readonly port: PortModel,
    private readonly dumpUri: string | undefined,
  ) {}

  getTreeItem(): TreeItemSpec {
    const p = this.port;
    const missing = p.link.state === 'missing' ? `not in dump: ${p.link.reason}` : undefined;
    return {
      id: `port:${p.portName}/${p.protocol}`,
      label: p.label,
      description: [p.link.chain || undefined, missing].filter(Boolean).join(' · '),
      tooltip: [`${p.portName} (${p.protocol})`, p.nodePort ? `node port ${p.nodePort}` : undefined, linkTooltip(p.link)]
        .filter(Boolean)
        .join('\n'),
      icon: linkIcon(p.link, 'plug'),
      collapsible: 'collapsed',
      contextValue: `iptablesLens.port.${p.link.state}`,
      command: linkCommand(p.link, this.dumpUri),
    };
  }

  getChildren(): ServicesTreeNode[] {
    if (this.port.endpoints.length === 0) {
      return [new MessageNode(this, 'No endpoints', 'info', 'No pod backs this port (no matching EndpointSlice or Endpoints).')];
    }
    return this.port.endpoints.map((e) => new EndpointNode(this, e, this.dumpUri));
  }
}
