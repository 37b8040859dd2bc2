// Hover: what a chain is (table, policy, counters, rules, who jumps to it), what a built-in target does,
// plus whatever kube-proxy knowledge adds at the position.
import type { Hover, Position } from 'vscode-languageserver-types';
import { chainOccurrenceAt } from '../model/index';
import type { Chain, Span } from '../model/types';
import { chainKind, chainKindLabel } from '../kube/chainKinds';
import { formatCounters } from '../parse/counters';
import type { DumpDocument } from './document';
import { toRange } from './lsp';

const TARGET_HELP: Record<string, string> = {
  ACCEPT: 'Stops traversal: the packet is accepted by this table.',
  DROP: 'Stops traversal: the packet is silently discarded.',
  REJECT: 'Discards the packet and answers the sender with an error (ICMP or TCP reset).',
  RETURN: 'Returns to the calling chain (or applies the policy in a built-in chain).',
  DNAT: 'Rewrites the destination address/port (nat table); later rules and routing see the new destination.',
  SNAT: 'Rewrites the source address/port to a fixed one (nat POSTROUTING).',
  MASQUERADE: 'Rewrites the source address to the outgoing interface\'s address (nat POSTROUTING).',
  MARK: 'Sets the packet\'s firewall mark (kube-proxy uses 0x4000 for "masquerade this").',
  REDIRECT: 'Redirects the packet to a local port on this host.',
  LOG: 'Logs the packet to the kernel log and continues.',
  CONNMARK: 'Sets or restores the connection mark.',
  CT: 'Sets conntrack parameters (e.g. notrack).',
  NOTRACK: 'Disables connection tracking for the packet.',
};

/** Markdown describing a chain. */
export function describeChain(chain: Chain): string {
  const lines: string[] = [];
  const kind = chainKind(chain.name);
  const label = chain.builtin ? 'built-in chain' : kind === 'user' ? 'user chain' : chainKindLabel(kind, chain.name);
  lines.push(`**${chain.name}** — ${label}, table \`${chain.table.name}\``);
  const facts: string[] = [];
  if (chain.policy) {
    facts.push(`policy **${chain.policy}**${chain.policyCounters ? ` (${formatCounters(chain.policyCounters)})` : ''}`);
  }
  facts.push(`${chain.rules.length} rule${chain.rules.length === 1 ? '' : 's'}`);
  const packets = chain.rules.reduce((sum, r) => sum + (r.counters?.packets ?? 0), 0);
  if (chain.rules.some((r) => r.counters)) {
    facts.push(`${formatCounters({ packets, bytes: chain.rules.reduce((s, r) => s + (r.counters?.bytes ?? 0), 0), approximate: chain.rules.some((r) => r.counters?.approximate) })} matched by its rules`);
  }
  lines.push(facts.join(' · '));
  if (chain.referencedBy.length > 0) {
    const callers = callingChains(chain, 8);
    const shown = callers.first.map(([name, n]) => `\`${name}\`${n > 1 ? ` ×${n}` : ''}`);
    const more = callers.count > 8 ? ` and ${callers.count - 8} more chains` : '';
    lines.push(`Jumped to by ${chain.referencedBy.length} rule${chain.referencedBy.length === 1 ? '' : 's'} in ${shown.join(', ')}${more}`);
  } else if (!chain.builtin) {
    lines.push(chain.table.excerpt ? 'No rule in this excerpt jumps to it.' : 'No rule jumps to it.');
  }
  if (chain.declaredBy === 'first-rule') {
    lines.push('_Not declared in this text: known from its first rule._');
  }
  return lines.join('\n\n');
}

/**
 * The chains whose rules jump to `chain`: the first `limit` with their rule counts, and how many in all. One
 * pass without a map (KUBE-MARK-MASQ has a caller per endpoint: 130,000 in a 20k-service dump), since the
 * index keeps `referencedBy` grouped by calling chain.
 */
function callingChains(chain: Chain, limit: number): { first: [string, number][]; count: number } {
  const first: [string, number][] = [];
  let count = 0;
  let previous: Chain | undefined;
  for (const rule of chain.referencedBy) {
    if (rule.chain !== previous) {
      previous = rule.chain;
      count++;
      if (count <= limit) {
        first.push([rule.chain.name, 0]);
      }
    }
    if (count <= limit) {
      first[first.length - 1][1]++;
    }
  }
  return { first, count };
}

/**
 * Hover at `position`. `extra` lets kube-proxy knowledge add a section (it is given the chain name under
 * the cursor, if any) — the chain facts come first, then the extra.
 */
export function hover(doc: DumpDocument, position: Position, extra?: () => { contents: string; span?: Span } | null): Hover | null {
  const occurrence = chainOccurrenceAt(doc.dump, position.line, position.character);
  const sections: string[] = [];
  if (occurrence?.chain) {
    sections.push(describeChain(occurrence.chain));
  } else if (occurrence && occurrence.role === 'target') {
    const help = TARGET_HELP[occurrence.name];
    sections.push(help ? `**${occurrence.name}** — built-in target\n\n${help}` : `**${occurrence.name}** — target extension (no chain of this name in table \`${occurrence.table.name}\`)`);
  }
  const more = extra?.();
  if (more) {
    sections.push(more.contents);
  }
  if (sections.length === 0) {
    return null;
  }
  const span = occurrence?.span ?? more?.span;
  return { contents: { kind: 'markdown', value: sections.join('\n\n---\n\n') }, range: span ? toRange(span) : undefined };
}
