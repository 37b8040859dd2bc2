// The default of the "Trace a Packet…" input box: the service address on the rule under the cursor, with its
// port and protocol, in the one-line syntax the tracer reads (`10.100.200.79:80/tcp`).
import type { Dump, Rule } from '../../../server/src/model/types';
import { ruleDetails } from '../../../server/src/parse/details';
import { isAddress, portNumber } from '../../../server/src/trace/address';
import { parseEndpoint } from '../../../server/src/trace/spec';

const PROTOCOL_NAMES: Record<string, string> = { '6': 'tcp', '17': 'udp', '132': 'sctp' };

/** The literal addresses written on a line (`10.0.0.1`, `!10.0.0.0/8`, `to:10.0.0.1:80`, `[fd00::1]:53`), with where each is. */
function addressesOf(line: string): { text: string; start: number; end: number }[] {
  const found: { text: string; start: number; end: number }[] = [];
  for (const m of line.matchAll(/[^\s,"]+/g)) {
    const start = m.index ?? 0;
    const token = m[0]
      .replace(/^!/, '')
      .replace(/^[a-z-]+:(?=[\d[])/i, '')
      .replace(/\/\d+$/, '');
    const endpoint = parseEndpoint(token);
    if (typeof endpoint !== 'string' && endpoint.ip !== '0.0.0.0' && endpoint.ip !== '::') {
      found.push({ text: endpoint.ip, start, end: start + m[0].length });
    }
  }
  return found;
}

function isRule(owner: Dump['lineOwners'][number]): owner is Rule {
  return owner !== undefined && 'bodyStart' in owner;
}

/**
 * Proposes a packet from the line under the cursor: the address under the cursor, else the rule's destination;
 * the rule's `--dport` and protocol. Undefined when the line names no address.
 */
export function packetAtCursor(dump: Dump, lineText: string, line: number, character: number): string | undefined {
  const addresses = addressesOf(lineText);
  const owner = dump.lineOwners[line];
  let destination: string | undefined;
  let port: number | undefined;
  let protocol: string | undefined;
  if (isRule(owner)) {
    const details = ruleDetails(owner);
    const option = (name: string): string | undefined => details.matches.find((o) => o.name === name && !o.negated)?.values[0];
    destination = option('--destination')?.replace(/\/\d+$/, '');
    const dport = option('--dport') ?? option('--dports')?.split(',')[0];
    port = dport === undefined ? undefined : portNumber(dport.split(':')[0]);
    const p = option('--protocol')?.toLowerCase();
    protocol = p === undefined ? undefined : (PROTOCOL_NAMES[p] ?? p);
  }
  const under = addresses.find((a) => character >= a.start && character <= a.end)?.text;
  const chosen = under ?? (destination && isAddress(destination) ? destination : undefined) ?? addresses[0]?.text;
  if (!chosen) {
    return undefined;
  }
  const host = chosen.includes(':') && port !== undefined ? `[${chosen}]` : chosen;
  return `${host}${port === undefined ? '' : `:${port}`}${protocol && protocol !== 'all' ? `/${protocol}` : ''}`;
}
