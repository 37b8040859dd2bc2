// How a ChainLink (chain in the dump or not, and why) looks on a port or endpoint item.
import type { ChainLink } from '../cluster/servicesModel';
import { SERVICES_COMMANDS } from './treeNode';
import type { RevealTarget, TreeItemSpec } from './treeNode';

export function linkIcon(link: ChainLink, plainIcon: string): TreeItemSpec['icon'] {
  switch (link.state) {
    case 'in-dump':
      return { id: 'pass-filled', color: 'testing.iconPassed' };
    case 'missing':
      return { id: 'circle-slash', color: 'list.warningForeground' };
    case 'no-dump':
      return { id: plainIcon };
  }
}

export function linkTooltip(link: ChainLink): string {
  switch (link.state) {
    case 'in-dump':
      return `${link.chain} is in the open dump (line ${(link.location?.ref.span?.line ?? 0) + 1}); click to reveal it.`;
    case 'missing':
      return `${link.chain || 'No chain'}: ${link.reason ?? 'not in the dump'}`;
    case 'no-dump':
      return link.chain ? `${link.chain} (open an iptables dump to link it)` : '';
  }
}

/** Clicking a linked item reveals its chain (the DNAT rule for an endpoint) in the dump. */
export function linkCommand(link: ChainLink, dumpUri: string | undefined): TreeItemSpec['command'] {
  if (link.state !== 'in-dump' || !dumpUri || !link.location) {
    return undefined;
  }
  const target: RevealTarget = { uri: dumpUri, chain: link.chain, span: link.location.dnatRule ?? link.location.ref.span };
  return { command: SERVICES_COMMANDS.revealChain, title: `Reveal ${link.chain}`, arguments: [target] };
}
