// Evaluates one rule's matches against the packet as it is at that point of its path. A match is decided
// (true/false), random (`statistic`: true with a probability), or undecided from what the tracer knows
// (an ipset, an unknown interface, a `recent` list, a match it does not model): then it is a condition the
// tracer explores both ways. Nothing here assumes an answer it cannot justify; what it assumes for a first
// packet (conntrack state NEW, a `limit` not yet exceeded) is returned as a note.
import type { RuleOption } from '../model/types';
import {
  addressInNetwork,
  addressTypeOf,
  interfaceMatches,
  isLoopback,
  parseAddress,
  portInList,
  protocolMatches,
  sameAddressIn,
} from './address';
import type { TraceCondition } from './types';

/** The packet at one point of its path: its addresses after NAT so far, its marks, and what the path assumed. */
export interface PacketState {
  src?: string;
  dst: string;
  srcPort?: number;
  dstPort?: number;
  protocol: string;
  inInterface?: string;
  outInterface?: string;
  /** The hook being walked: decides which interfaces exist (no `-o` in PREROUTING, no `-i` in OUTPUT). */
  hook: string;
  /** Where the packet started (a packet the node sends has a local source). */
  origin: 'pod' | 'external' | 'node';
  mark: number;
  /** The connection's mark (`CONNMARK`, `-m connmark`): 0 for a new connection. */
  ctmark: number;
  /** Destination before any DNAT (`--ctorigdst`, `--ctstate DNAT`). */
  originalDst: string;
  originalDstPort?: number;
  originalSrc?: string;
  dnatDone: boolean;
  /** `NOTRACK` / `CT --notrack` in raw: no conntrack entry, so the nat table is skipped. */
  untracked: boolean;
  localAddresses?: readonly string[];
  /** What this path assumed of each undecided question, by `TraceCondition.key`. */
  assumptions: Readonly<Record<string, boolean>>;
}

/** An undecided question: `predicateHolds` is explored both ways; the match's value then follows from it. */
export interface ConditionQuestion {
  key: string;
  kind: TraceCondition['kind'];
  description: string;
  /** The match's value when the predicate holds / does not (negation already applied). */
  matchWhenHolds: boolean;
}

export type MatchDecision =
  | { kind: 'fixed'; value: boolean; note?: string }
  | { kind: 'random'; probability: number; note?: string }
  | { kind: 'condition'; question: ConditionQuestion; note?: undefined };

const fixed = (value: boolean, note?: string): MatchDecision => ({ kind: 'fixed', value, note });

/** Turns a question into a decision, reusing the answer when the path already assumed one. */
function ask(state: PacketState, question: ConditionQuestion): MatchDecision {
  const known = state.assumptions[question.key];
  if (known !== undefined) {
    return fixed(known ? question.matchWhenHolds : !question.matchWhenHolds);
  }
  return { kind: 'condition', question };
}

/** Whether an address is one of the node's: loopback always; otherwise from `localAddresses` or what the path assumed. */
export function isLocalAddress(state: PacketState, address: string): boolean | undefined {
  if (isLoopback(address)) {
    return true;
  }
  const assumed = state.assumptions[localKey(address)];
  if (assumed !== undefined) {
    return assumed;
  }
  if (state.localAddresses) {
    return sameAddressIn(address, state.localAddresses);
  }
  return undefined;
}

export function localKey(address: string): string {
  return `local:${parseAddress(address)?.toString() ?? address}`;
}

function optionText(option: RuleOption): string {
  const name = option.module ? `-m ${option.module} ${option.name}` : option.name;
  return `${option.negated ? '! ' : ''}${name}${option.values.length ? ' ' + option.values.join(' ') : ''}`;
}

function unknownMatch(state: PacketState, option: RuleOption, why: string): MatchDecision {
  // Keyed by the match and the packet's addresses, so the same ipset question on an unchanged packet is answered once.
  const bare = { ...option, negated: false };
  return ask(state, {
    key: `unknown:${optionText(bare)}|${state.src ?? '?'}>${state.dst}:${state.dstPort ?? '?'}`,
    kind: 'unknown-match',
    description: `${optionText(bare)} matches (${why})`,
    matchWhenHolds: !option.negated,
  });
}

/** Mark match `value[/mask]` against a mark: `(mark & mask) == value`. */
export function markMatches(mark: number, text: string): boolean | undefined {
  const [valueText, maskText] = text.split('/');
  const value = Number(valueText);
  const mask = maskText === undefined ? 0xffffffff : Number(maskText);
  if (!Number.isFinite(value) || !Number.isFinite(mask)) {
    return undefined;
  }
  return (mark & mask) >>> 0 === value >>> 0;
}

function decide(value: boolean | undefined, negated: boolean, otherwise: () => MatchDecision): MatchDecision {
  if (value === undefined) {
    return otherwise();
  }
  return fixed(value !== negated);
}

/** Address match (`-s`, `-d`), with the address unknown (no `--src` given) explored both ways. */
function addressMatch(state: PacketState, option: RuleOption, address: string | undefined, which: 'source' | 'destination'): MatchDecision {
  const network = option.values[0] ?? '';
  if (address === undefined) {
    return ask(state, {
      key: `${which}-in:${network}`,
      kind: 'address',
      description: `the ${which} address (not given) is in ${network}`,
      matchWhenHolds: !option.negated,
    });
  }
  return decide(addressInNetwork(address, network), option.negated, () =>
    ask(state, {
      key: `${which}-in:${network}|${address}`,
      kind: 'address',
      description: `${which} ${address} is ${network} (a name the dump printed instead of an address)`,
      matchWhenHolds: !option.negated,
    }),
  );
}

function interfaceMatch(state: PacketState, option: RuleOption, which: 'in' | 'out'): MatchDecision {
  const pattern = option.values[0] ?? '';
  const name = which === 'in' ? state.inInterface : state.outInterface;
  if (name !== undefined) {
    return fixed(interfaceMatches(name, pattern) !== option.negated);
  }
  if (which === 'in' && state.hook === 'OUTPUT') {
    return fixed(option.negated); // a locally generated packet has no input interface
  }
  return ask(state, {
    key: `iface-${which}:${pattern}`,
    kind: 'interface',
    description: `the ${which === 'in' ? 'incoming' : 'outgoing'} interface (not given) is ${pattern}`,
    matchWhenHolds: !option.negated,
  });
}

function portMatch(state: PacketState, option: RuleOption, which: 'source' | 'destination' | 'either'): MatchDecision {
  const list = option.values[0] ?? '';
  const ports = which === 'source' ? [state.srcPort] : which === 'destination' ? [state.dstPort] : [state.srcPort, state.dstPort];
  const known = ports.filter((p): p is number => p !== undefined);
  const results = known.map((p) => portInList(p, list));
  if (results.includes(true)) {
    return fixed(!option.negated);
  }
  if (known.length === ports.length && results.every((r) => r === false)) {
    return fixed(option.negated);
  }
  return ask(state, {
    key: `${which}-port-in:${list}|${known.join(',')}`,
    kind: 'port',
    description: `the ${which === 'either' ? 'source or destination' : which} port is in ${list}${known.length < ports.length ? ' (port not given)' : ' (a service name the tracer does not know)'}`,
    matchWhenHolds: !option.negated,
  });
}

/** addrtype `--src-type` / `--dst-type`: LOCAL from the node's addresses (explored both ways when they are unknown). */
function addrtypeMatch(state: PacketState, option: RuleOption, address: string | undefined, which: 'src' | 'dst'): MatchDecision {
  const types = (option.values[0] ?? '').toUpperCase().split(',');
  if (address === undefined && which === 'src' && state.origin === 'node') {
    // The node sends from one of its own addresses.
    const wantsLocal = types.includes('LOCAL') || types.includes('UNICAST');
    return fixed(wantsLocal !== option.negated);
  }
  if (address === undefined) {
    return unknownMatch(state, option, `${which === 'src' ? 'source' : 'destination'} not given`);
  }
  const local = isLocalAddress(state, address);
  const nonLocalType = addressTypeOf(address);
  const wantsLocal = types.includes('LOCAL');
  const otherTypes = types.filter((t) => t !== 'LOCAL');
  const otherMatch = nonLocalType !== undefined && otherTypes.includes(nonLocalType);
  const understood = otherTypes.every((t) => ['UNICAST', 'MULTICAST', 'BROADCAST', 'UNSPEC'].includes(t));
  if (!understood) {
    return unknownMatch(state, option, `address type ${otherTypes.join(',')}`);
  }
  if (otherMatch) {
    // LOCAL addresses are UNICAST too; a listed UNICAST matches either way.
    return fixed(!option.negated);
  }
  if (!wantsLocal) {
    return fixed(option.negated);
  }
  if (local !== undefined) {
    return fixed(local !== option.negated);
  }
  return ask(state, {
    key: localKey(address),
    kind: 'addrtype',
    description: `${address} is an address of the node (node addresses not given)`,
    matchWhenHolds: !option.negated,
  });
}

/** Conntrack state of the first packet of a new connection, after the NAT done so far. */
function ctstateMatch(state: PacketState, option: RuleOption): MatchDecision {
  const states = (option.values[0] ?? '').toUpperCase().split(',');
  let any = false;
  for (const s of states) {
    if (s === 'NEW') {
      any ||= !state.untracked;
    } else if (s === 'UNTRACKED') {
      any ||= state.untracked;
    } else if (s === 'DNAT') {
      any ||= state.dnatDone;
    } else if (!['ESTABLISHED', 'RELATED', 'INVALID', 'SNAT'].includes(s)) {
      return unknownMatch(state, option, `conntrack state ${s}`);
    }
  }
  return fixed(any !== option.negated, 'conntrack state assumed NEW: the first packet of a connection');
}

/** The value of one match option; `note` says what was assumed. */
export function evaluateMatch(state: PacketState, option: RuleOption): MatchDecision {
  const module = option.module;
  const value = option.values[0] ?? '';
  switch (option.name) {
    case '--protocol':
      return decide(protocolMatches(state.protocol, value), option.negated, () => unknownMatch(state, option, 'protocol name'));
    case '--source':
      return addressMatch(state, option, state.src, 'source');
    case '--destination':
      return addressMatch(state, option, state.dst, 'destination');
    case '--in-interface':
      return interfaceMatch(state, option, 'in');
    case '--out-interface':
      return interfaceMatch(state, option, 'out');
    case '--fragment':
      return fixed(option.negated, 'the first packet is not a later fragment');
    case '--comment':
      return fixed(true);
    case '--set-counters':
      return fixed(true);
  }
  switch (module) {
    case 'tcp':
    case 'udp':
    case 'sctp':
    case 'udplite':
    case 'dccp': {
      const protocol = protocolMatches(state.protocol, module);
      if (protocol === false) {
        return fixed(false);
      }
      if (option.name === '--dport' || option.name === '--destination-port') {
        return portMatch(state, option, 'destination');
      }
      if (option.name === '--sport' || option.name === '--source-port') {
        return portMatch(state, option, 'source');
      }
      if (option.name === '--syn') {
        return fixed(!option.negated, 'a first TCP packet is a SYN');
      }
      if (option.name === '--tcp-flags') {
        return tcpFlags(state, option);
      }
      return unknownMatch(state, option, `${module} option not modelled`);
    }
    case 'multiport': {
      if (option.name === '--dports' || option.name === '--destination-ports') {
        return portMatch(state, option, 'destination');
      }
      if (option.name === '--sports' || option.name === '--source-ports') {
        return portMatch(state, option, 'source');
      }
      if (option.name === '--ports') {
        return portMatch(state, option, 'either');
      }
      return unknownMatch(state, option, 'multiport option not modelled');
    }
    case 'comment':
      return fixed(true);
    case 'addrtype':
      if (option.name === '--src-type') {
        return addrtypeMatch(state, option, state.src, 'src');
      }
      if (option.name === '--dst-type') {
        return addrtypeMatch(state, option, state.dst, 'dst');
      }
      if (option.name === '--limit-iface-in' || option.name === '--limit-iface-out') {
        return fixed(true, 'addrtype --limit-iface-in/out: address type judged for the whole node, not one interface');
      }
      return unknownMatch(state, option, 'addrtype option not modelled');
    case 'mark':
      if (option.name === '--mark') {
        return decide(markMatches(state.mark, value), option.negated, () => unknownMatch(state, option, 'mark value'));
      }
      break;
    case 'connmark':
      if (option.name === '--mark') {
        return decide(markMatches(state.ctmark, value), option.negated, () => unknownMatch(state, option, 'connmark value'));
      }
      break;
    case 'statistic':
      return statisticMatch(option);
    case 'recent':
      return recentMatch(state, option);
    case 'conntrack':
      return conntrackMatch(state, option);
    case 'state':
      if (option.name === '--state') {
        return ctstateMatch(state, option);
      }
      break;
    case 'set':
      if (option.name === '--match-set') {
        return unknownMatch(state, option, `membership of ipset ${value}, which a dump does not contain`);
      }
      break;
    case 'limit':
      return fixed(!option.negated, 'limit: a first packet is assumed within the rate');
    case 'iprange':
      return iprangeMatch(state, option);
    case 'pkttype':
      if (option.name === '--pkt-type') {
        const type = addressTypeOf(state.dst)?.toLowerCase();
        return decide(type === undefined ? undefined : type === value.toLowerCase(), option.negated, () =>
          unknownMatch(state, option, 'packet type'),
        );
      }
      break;
    case 'icmp':
    case 'icmp6':
      if (protocolMatches(state.protocol, module === 'icmp' ? 'icmp' : 'icmpv6') === false) {
        return fixed(false);
      }
      break;
  }
  return unknownMatch(state, option, module ? `-m ${module} is not modelled by the tracer` : 'option not modelled by the tracer');
}

function tcpFlags(state: PacketState, option: RuleOption): MatchDecision {
  if (state.protocol.toLowerCase() !== 'tcp' && state.protocol !== '6') {
    return fixed(false);
  }
  // `--tcp-flags MASK COMP` is printed as one value `MASK COMP` in some forms, two in others.
  const parts = option.values.join(' ').split(/\s+/);
  const hex = /^(0x[0-9a-f]+)\/(0x[0-9a-f]+)$/i.exec(parts[0] ?? '');
  if (hex) {
    // `iptables -L` prints `flags:MASK/COMP` in hex; a first packet's flags are SYN (0x02).
    const value = (0x02 & Number(hex[1])) === Number(hex[2]);
    return fixed(value !== option.negated, 'a first TCP packet carries SYN only');
  }
  if (parts.length < 2) {
    return unknownMatch(state, option, 'tcp flags');
  }
  const expand = (list: string): Set<string> => {
    const names = list
      .toUpperCase()
      .split(',')
      .filter((n) => n && n !== 'NONE');
    return new Set(names.includes('ALL') ? ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'] : names);
  };
  const mask = expand(parts[0]);
  const comp = expand(parts[1]);
  const packet = new Set(['SYN']);
  const value = [...mask].every((flag) => packet.has(flag) === comp.has(flag));
  return fixed(value !== option.negated, 'a first TCP packet carries SYN only');
}

function statisticMatch(option: RuleOption): MatchDecision {
  switch (option.name) {
    case '--mode':
      if (option.values[0] === 'random' || option.values[0] === 'nth') {
        return fixed(true);
      }
      return { kind: 'fixed', value: true, note: `statistic mode ${option.values[0]} not modelled` };
    case '--probability': {
      const p = Number(option.values[0]);
      if (!Number.isFinite(p) || p < 0 || p > 1) {
        return fixed(true, `statistic probability ${option.values[0]} not understood`);
      }
      return { kind: 'random', probability: option.negated ? 1 - p : p };
    }
    case '--every': {
      const n = Number(option.values[0]);
      if (!Number.isInteger(n) || n < 1) {
        return fixed(true, `statistic --every ${option.values[0]} not understood`);
      }
      return {
        kind: 'random',
        probability: option.negated ? 1 - 1 / n : 1 / n,
        note: 'statistic --mode nth: counted as a share of 1/N of new connections',
      };
    }
    case '--packet':
      return fixed(true);
  }
  return fixed(true, `statistic ${option.name} not modelled`);
}

function recentMatch(state: PacketState, option: RuleOption): MatchDecision {
  switch (option.name) {
    case '--set':
      return fixed(!option.negated, 'recent --set always matches (it records the address)');
    case '--rcheck':
    case '--update':
    case '--remove':
      // Session affinity: whether this client is already in the list depends on earlier connections.
      return ask(state, {
        key: `recent:${state.src ?? '?'}:${option.span.line}`,
        kind: 'recent',
        description: `the client is in the recent list of this rule (session affinity from an earlier connection)`,
        matchWhenHolds: !option.negated,
      });
    case '--name':
    case '--seconds':
    case '--reap':
    case '--rsource':
    case '--rdest':
    case '--mask':
    case '--hitcount':
    case '--rttl':
      return fixed(true);
  }
  return unknownMatch(state, option, 'recent option not modelled');
}

function conntrackMatch(state: PacketState, option: RuleOption): MatchDecision {
  const value = option.values[0] ?? '';
  switch (option.name) {
    case '--ctstate':
      return ctstateMatch(state, option);
    case '--ctdir':
      return fixed((value.toUpperCase() === 'ORIGINAL') !== option.negated);
    case '--ctorigdst':
      return decide(addressInNetwork(state.originalDst, value), option.negated, () => unknownMatch(state, option, 'address'));
    case '--ctorigsrc':
      return state.originalSrc === undefined
        ? unknownMatch(state, option, 'source not given')
        : decide(addressInNetwork(state.originalSrc, value), option.negated, () => unknownMatch(state, option, 'address'));
    case '--ctorigdstport':
      return state.originalDstPort === undefined
        ? unknownMatch(state, option, 'port not given')
        : decide(portInList(state.originalDstPort, value), option.negated, () => unknownMatch(state, option, 'port'));
    case '--ctproto':
      return decide(protocolMatches(state.protocol, value), option.negated, () => unknownMatch(state, option, 'protocol'));
  }
  return unknownMatch(state, option, `conntrack ${option.name} not modelled`);
}

function iprangeMatch(state: PacketState, option: RuleOption): MatchDecision {
  const address = option.name === '--src-range' ? state.src : option.name === '--dst-range' ? state.dst : undefined;
  const [lowText, highText] = (option.values[0] ?? '').split('-');
  const ip = address === undefined ? undefined : parseAddress(address);
  const low = parseAddress(lowText ?? '');
  const high = parseAddress(highText ?? lowText ?? '');
  if (!ip || !low || !high || ip.kind() !== low.kind() || low.kind() !== high.kind()) {
    return unknownMatch(state, option, 'address range');
  }
  const bytes = ip.toByteArray();
  const compare = (a: number[], b: number[]): number => {
    for (let i = 0; i < a.length; i++) {
      if (a[i] !== b[i]) {
        return a[i] - b[i];
      }
    }
    return 0;
  };
  const inside = compare(bytes, low.toByteArray()) >= 0 && compare(bytes, high.toByteArray()) <= 0;
  return fixed(inside !== option.negated);
}
