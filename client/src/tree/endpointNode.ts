// An endpoint of a service port: pod IP:port, ready or not, node and pod, and its KUBE-SEP chain.
import type { EndpointModel } from '../cluster/servicesModel';
import { linkCommand, linkIcon, linkTooltip } from './linkPresentation';
import type { ServicesTreeNode, TreeItemSpec } from './treeNode';

export class EndpointNode implements ServicesTreeNode {
  constructor(
    readonly parent: ServicesTreeNode,
    readonly endpoint: EndpointModel,
    private readonly dumpUri: string | undefined,
  ) {}

  getTreeItem(): TreeItemSpec {
    const e = this.endpoint;
    const where = [e.pod ? `pod ${e.pod}` : undefined, e.node ? `on ${e.node}` : undefined].filter(Boolean).join(' ');
    const parts = [e.ready ? undefined : 'not ready', where || undefined, e.link.chain || undefined].filter(Boolean);
    return {
      id: `endpoint:${this.parent.getTreeItem().id}:${e.address}`,
      label: e.address,
      description: parts.join(' · '),
      tooltip: [`${e.address}${e.ready ? ' (ready)' : ' (not ready)'}`, where, linkTooltip(e.link)].filter(Boolean).join('\n'),
      icon: linkIcon(e.link, e.ready ? 'vm-running' : 'vm-outline'),
      collapsible: 'none',
      contextValue: `iptablesLens.endpoint.${e.link.state}`,
      command: linkCommand(e.link, this.dumpUri),
    };
  }

  getChildren(): ServicesTreeNode[] {
    return [];
  }
}
