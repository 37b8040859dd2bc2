// The kube-proxy picture of a dump: every service port, its chains, cluster/external IPs, endpoints and the
// share of traffic each endpoint gets, plus the diagnostics that picture gives rise to.
//
// Computed once per document version, in a few passes over the chains (linear in dump size):
//   1. chains are sorted by kind; the per-service-port chains (KUBE-SVC/SVL/EXT/FW/XLB) are grouped by the
//      16-character hash after their prefix, which kube-proxy derives from the same service port name;
//   2. every KUBE-SEP chain is read for its DNAT and hairpin-masquerade rules;
//   3. every group's chains are read for identity (comments), protocol and the endpoint rules in order,
//      whose conditional probabilities give each endpoint's effective share;
//   4. the dispatch chains (KUBE-SERVICES, KUBE-NODEPORTS, KUBE-EXTERNAL-SERVICES, KUBE-PROXY-FIREWALL,
//      userspace KUBE-PORTALS-*) give cluster/external/load-balancer IPs, ports and node ports, and name the
//      service ports that have no chain at all ("has no endpoints");
//   5. each group settles on the identity whose hash matches its chain names, then endpoint hashes are
//      checked and diagnostics written.
// Rule options are parsed (ruleDetails) only for `-L` dispatch rules and the odd rule a fast read cannot
// settle; the endpoint and service chains, which make up most of a large dump, are read with the text reads
// of ruleText.ts, and chains are found by line number rather than by name wherever the index allows.
import type { Chain, Dump, DumpDiagnostic, Rule, RuleDetails, Span, Table } from '../model/types';
import { ruleDetails } from '../parse/details';
import { chainHash, endpointChainName, hasChainHash, servicePortName } from './chainNames';
import { chainKind, hashSuffix, isServiceChainKind } from './chainKinds';
import { parseKubeComment } from './comments';
import type { CommentIdentity } from './comments';
import {
  dispatchMatch,
  fastAffinitySeconds,
  fastDnatDestination,
  fastProbability,
  hasComment,
  ruleComment,
  statisticFragment,
} from './ruleText';
import type { DispatchMatch } from './ruleText';
import type { ChainKind, ChainRef, DumpEndpoint, DumpServicePort } from './types';
import { endpointAddress, formatEndpoint, percent, ruleProtocol } from './values';

/** One way a service chain reaches an endpoint chain. */
export interface EndpointReach {
  service: DumpServicePort;
  endpoint: DumpEndpoint;
  /** Through the service port's node-local chain (KUBE-SVL / KUBE-XLB) rather than KUBE-SVC. */
  local: boolean;
  /** The service chain whose rule jumps to the endpoint. */
  serviceChain: string;
}

/** What a KUBE-SEP chain says, and which service chains reach it. */
export interface EndpointChainFacts {
  chain: ChainRef;
  ip?: string;
  port?: number;
  address?: string;
  protocol?: string;
  dnatRule?: Span;
  masqueradeRule?: Span;
  /** The service port its own comments name (kube-proxy 1.9+ writes it on both rules). */
  identity?: CommentIdentity;
  reachedBy: EndpointReach[];
  /** Whether the chain's name is kube-proxy's hash of its service port and address (null: cannot tell). */
  hashMatches: boolean | null;
}

/** What an address in the dump is to kube-proxy. */
export interface AddressFact {
  role: 'cluster-ip' | 'external-ip' | 'loadbalancer-ip' | 'endpoint';
  service?: DumpServicePort;
  endpoint?: EndpointChainFacts;
}

/** The order an address's facts are told in: its roles as a service's address, then as an endpoint. */
const ADDRESS_ROLES: readonly AddressFact['role'][] = ['cluster-ip', 'external-ip', 'loadbalancer-ip', 'endpoint'];

/**
 * `facts` (of one address) by role, then by service label or endpoint chain name, then by where their chains (or a
 * port without chains, its first dispatch rule) are: an order that does not depend on the order the analysis learnt
 * them in, whole or updated after an edit (hovers and jumps list them so). Two ports of a hand-edited dump may have
 * one label.
 */
export function addressFactsInOrder(facts: readonly AddressFact[]): AddressFact[] {
  const place = (chain: ChainRef): string => `${chain.table}/${chain.name}@${chain.span?.line ?? ''}`;
  const key = (fact: AddressFact): string =>
    fact.service !== undefined
      ? [fact.service.label, ...fact.service.chains.map(place), String(fact.service.dispatchRules[0]?.line ?? '')].join('\u0000')
      : fact.endpoint !== undefined
        ? `${fact.endpoint.chain.name}\u0000${place(fact.endpoint.chain)}`
        : '';
  const keys = new Map(facts.map((fact) => [fact, key(fact)]));
  return [...facts].sort((a, b) => {
    const ka = keys.get(a)!;
    const kb = keys.get(b)!;
    return ADDRESS_ROLES.indexOf(a.role) - ADDRESS_ROLES.indexOf(b.role) || (ka < kb ? -1 : ka > kb ? 1 : 0);
  });
}

/** The kube-proxy rule a line holds, for hovers on the statistic fragment and dispatch lines. */
export interface EndpointRuleFacts {
  service: DumpServicePort;
  endpoint: DumpEndpoint;
  local: boolean;
  /** The probability written in the rule (1 without a statistic match) and the share it gives. */
  probability: number;
  share: number;
  /** Traffic that reaches this rule: the product of the misses above it. */
  reaching: number;
  /** The rule is a session-affinity check (`-m recent --rcheck`), not part of the random split. */
  affinity: boolean;
}

/**
 * The result of `analyzeKube`. Chain maps are keyed by the model's Chain objects (so a dump that repeats a table,
 * IPv4 and IPv6 pasted together, keeps both apart, and no lookup compares names): look them up by name with
 * `serviceOfChain` / `endpointOfChain`.
 */
export interface KubeAnalysis {
  services: DumpServicePort[];
  /** KUBE-SVC/SVL/EXT/FW/XLB chain → its service port. */
  serviceByChain: Map<Chain, DumpServicePort>;
  /** KUBE-SEP chain → what it holds and who reaches it. */
  endpointsByChain: Map<Chain, EndpointChainFacts>;
  /** The dump's tables, for lookups by chain name. */
  tables: Table[];
  /** Plain address (no /32) → what it is: cluster IP, external IP, load-balancer IP, endpoint. */
  addresses: Map<string, AddressFact[]>;
  /** Line of a dispatch rule (KUBE-SERVICES, KUBE-NODEPORTS …) → the service port it serves. */
  dispatchByLine: Map<number, DumpServicePort>;
  /** Line of a service chain rule that jumps to an endpoint → the endpoint and its share. */
  endpointRuleByLine: Map<number, EndpointRuleFacts>;
  /** Kube diagnostics (codes `kube-…`), for the lead's diagnostics feature to append. */
  diagnostics: DumpDiagnostic[];
  /** Whether the dump holds any kube-proxy chain at all. */
  hasKubeProxy: boolean;
}

/** Per-service-port working state while analysing. */
interface Group {
  key: string;
  suffix?: string;
  /**
   * The group's chains in dump order, one per kind, and their kinds (parallel arrays: a Map per service port costs
   * more than its few entries).
   */
  chains: Chain[];
  kinds: ChainKind[];
  identities: CommentIdentity[];
  protocol?: string;
  service: DumpServicePort;
  localIndicator: boolean;
  noEndpointsRule?: Rule;
  /** `ns/name:port` of the first identity, once known: what most comments of the group's rules contain. */
  knownToken?: string;
  /** The KUBE-SVC chain's `-d clusterIP … -j KUBE-MARK-MASQ` rule, read when no KUBE-SERVICES rule is in the dump. */
  clusterIPRule?: Rule;
  /**
   * Endpoints by chain name, for merging repeated jumps; made only for a service port with many endpoints (a few
   * are searched by name in the list).
   */
  endpointIndex?: Map<string, DumpEndpoint>;
  localEndpointIndex?: Map<string, DumpEndpoint>;
  /** The random split of each endpoint-choosing chain, checked once the service port has a name. */
  splits: Split[];
}

/** A rule of a random split: what `endpointRuleByLine` holds, plus the rule itself. */
interface SplitRule extends EndpointRuleFacts {
  rule: Rule;
}

interface Split {
  chain: Chain;
  /** Whether the chain is node-local: its endpoints are the service port's `localEndpoints` (SVL and XLB share them), else its `endpoints`. */
  local: boolean;
  rules: SplitRule[];
  remaining: number;
  counted: boolean;
}

/** Up to this many endpoints, a service port's endpoints are searched by name in their list rather than a Map. */
const ENDPOINT_INDEX_MIN = 16;

/** The chains whose rules send traffic to service ports (KUBE-SERVICES, KUBE-NODEPORTS …): read as dispatch rules. */
export const DISPATCH_KINDS: ReadonlySet<ChainKind> = new Set<ChainKind>([
  'services',
  'nodeports',
  'external-services',
  'proxy-firewall',
  'userspace',
]);
/** Chains whose rules choose an endpoint. */
const ENDPOINT_CHOOSING_KINDS: ReadonlySet<ChainKind> = new Set<ChainKind>(['service', 'service-local', 'external-local']);
const PROTOCOLS = ['tcp', 'udp', 'sctp'];
/** Shares below this are rounding noise from kube-proxy's 11-decimal probabilities. */
const EPSILON = 1e-9;
/** An endpoint that got no packets is worth a look when that would happen by chance less often than this. */
const SKEW_CHANCE = 0.001;

/** A whole rule line: what jumps, peeks and line-wide diagnostics point at. */
function ruleSpan(rule: Rule): Span {
  return { line: rule.line, start: 0, end: rule.text.length };
}

function chainRef(chain: Chain): ChainRef {
  const span = chain.declaration ?? chain.rules[0]?.chainName;
  // One literal per case: a field added afterwards would cost a second object per chain.
  return span !== undefined ? { name: chain.name, table: chain.table.name, span } : { name: chain.name, table: chain.table.name };
}

/** Where to put a diagnostic about a chain: its declaration, else its first rule, else the first jump to it. */
function chainSpan(chain: Chain): Span | undefined {
  if (chain.declaration !== undefined) {
    return chain.declaration;
  }
  const first = chain.rules[0];
  if (first !== undefined) {
    return first.chainName ?? ruleSpan(first);
  }
  return chain.referencedBy[0]?.target?.span;
}

function newService(label: string): DumpServicePort {
  return {
    clusterIPs: [],
    externalIPs: [],
    loadBalancerIPs: [],
    nodePorts: [],
    chains: [],
    endpoints: [],
    localEndpoints: [],
    noEndpoints: false,
    dispatchRules: [],
    hashMatches: null,
    label,
  };
}

/**
 * `list` with `value` added: a one-element literal for an empty list, else `list` itself, pushed to. V8 grows an
 * empty array to 17 slots on the first push, and most of a large dump's 100,000 short lists (a service port's
 * chains, dispatch rules and cluster IPs, who reaches an endpoint) hold one element.
 */
function withValue<T>(list: T[], value: T): T[] {
  if (list.length === 0) {
    return [value];
  }
  list.push(value);
  return list;
}

/** `withValue` unless `list` already holds `value`. */
function withUnique<T>(list: T[], value: T): T[] {
  return list.includes(value) ? list : withValue(list, value);
}

/**
 * A list that was filled by `withValue`, without its spare room (a one-element list has none), so that the
 * 100,000 short lists a large dump's analysis keeps hold several megabytes less.
 */
function trimmed<T>(list: T[]): T[] {
  return list.length > 1 && list.length < 17 ? list.slice() : list;
}

function identityPortName(identity: CommentIdentity, legacy: boolean): string {
  return servicePortName(identity.namespace, identity.name, identity.port, legacy);
}

/**
 * Analyses kube-proxy's rules in a dump. Pure and linear in the dump's size; safe on dumps with no kube-proxy
 * rules (returns empty maps). `few`: the dump holds a few of the rules of its lines (the chains an edit affects,
 * kube/incremental.ts), so what the analysis keeps by line is not sized by the line count.
 */
export function analyzeKube(dump: Dump, few = false): KubeAnalysis {
  return new KubeAnalyzer(dump, few).run();
}

/**
 * `analyzeKube` in steps, for a caller that must stay responsive on a large dump: each `next()` reads about `slice`
 * chains (endpoint chains, a service port's chains) or dispatch rules and yields the fraction of the work done
 * (below 1); the last returns the analysis.
 */
export function analyzeKubeInSteps(dump: Dump, slice = 5_000): Generator<number, KubeAnalysis> {
  return new KubeAnalyzer(dump).steps(slice);
}

class KubeAnalyzer {
  private readonly groups = new Map<string, Group>();
  /** The groups in the order they were made (that of `groups`), walked by index: a Map iterator in a generator allocates a result per step. */
  private readonly groupList: Group[] = [];
  private readonly groupByIdentity = new Map<string, Group>();
  private readonly result: KubeAnalysis = {
    services: [],
    serviceByChain: new Map(),
    endpointsByChain: new Map(),
    tables: [],
    addresses: new Map(),
    dispatchByLine: new Map(),
    endpointRuleByLine: new Map(),
    diagnostics: [],
    hasKubeProxy: false,
  };
  /**
   * The endpoint chain each jump rule leads to, by the jump's line: an array lookup instead of a lookup by chain
   * name, which in a dump of 100,000 chains costs more than the rest of reading a service chain.
   */
  private readonly endpointByJumpLine: (EndpointChainFacts | undefined)[];
  /** Occurrence of each table name so far: a dump may hold the same table twice (IPv4 and IPv6 dumps pasted together). */
  private generation = 0;

  constructor(
    private readonly dump: Dump,
    few = false,
  ) {
    // Sized up front: filling a growing array at scattered indices would turn it into a slow dictionary. That is
    // what a dump of a few rules wants, though: sized, the array was 4 MB per incremental update at 20k services.
    this.endpointByJumpLine = few ? [] : new Array<EndpointChainFacts | undefined>(dump.lineCount).fill(undefined);
  }

  run(): KubeAnalysis {
    const steps = this.steps(Number.POSITIVE_INFINITY);
    let step = steps.next();
    while (step.done !== true) {
      step = steps.next();
    }
    return step.value;
  }

  /**
   * The passes of the analysis, pausing after every `slice` chains or service ports read with the fraction of the
   * work done (a rough count of chains and ports read), and returning the analysis.
   */
  *steps(slice: number): Generator<number, KubeAnalysis> {
    this.result.tables = this.dump.tables;
    const seen = new Map<string, number>();
    const dispatchChains: Chain[] = [];
    const endpointChains: Chain[] = [];
    let sorted = 0;
    for (const table of this.dump.tables) {
      const occurrence = seen.get(table.name) ?? 0;
      seen.set(table.name, occurrence + 1);
      this.generation = occurrence;
      // An array walked by index, not for…of: inside a generator, each iterator result of 130,000 chains was allocated.
      const chains = Array.from(table.chains.values());
      for (let i = 0; i < chains.length; i++) {
        const chain = chains[i];
        const kind = chainKind(chain.name);
        if (isServiceChainKind(kind)) {
          this.groupForChain(chain, kind);
        } else if (kind === 'endpoint') {
          endpointChains.push(chain);
        } else if (DISPATCH_KINDS.has(kind)) {
          dispatchChains.push(chain);
        }
        if (++sorted % (slice * 10) === 0) {
          yield 0; // sorting a chain by its name is cheap: 10 slices of them a step
        }
      }
    }
    this.result.hasKubeProxy = this.groups.size > 0 || endpointChains.length > 0 || dispatchChains.length > 0;
    let dispatchRules = 0;
    for (const chain of dispatchChains) {
      dispatchRules += chain.rules.length;
    }
    // Units of work: an endpoint chain, a service port (three times: its chains, its name, its end) and a dispatch
    // rule (twice: its jump, then its comment). A step pauses after `slice` of them (a service port's chains count
    // one each: their rules are read with them).
    const work = endpointChains.length + 3 * this.groups.size + 2 * dispatchRules + 1;
    let done = 0;
    // Below 1 until the end: the comments of dispatch rules may make service ports (the count above has not seen them).
    const fraction = (): number => Math.min(done / work, 0.99);
    let due = 0;
    const pause = (units: number): boolean => {
      done++;
      due += units;
      if (due < slice) {
        return false;
      }
      due = 0;
      return true;
    };
    for (const chain of endpointChains) {
      this.readEndpointChain(chain);
      if (pause(1)) {
        yield fraction();
      }
    }
    for (const group of this.groupList) {
      this.readGroupChains(group);
      if (pause(group.chains.length)) {
        yield fraction();
      }
    }
    // The dispatch chains' rules: KUBE-SERVICES alone has one or more per service port. Those that jump to no
    // service chain may name one in their comment.
    const namingRules: Rule[][] = [];
    for (const chain of dispatchChains) {
      const kind = chainKind(chain.name);
      const generation = this.generationOf(chain.table);
      const others: Rule[] = [];
      namingRules.push(others);
      for (let i = 0; i < chain.rules.length; i++) {
        const rule = chain.rules[i];
        if (!this.readDispatchJump(rule, kind, generation)) {
          others.push(rule);
        }
        if (pause(1)) {
          yield fraction();
        }
      }
    }
    for (const group of this.groupList) {
      this.settleIdentity(group);
      if (pause(1)) {
        yield fraction();
      }
    }
    // Rules that name a service port without jumping to its chains ("has no endpoints" REJECTs, health checks,
    // firewall drops) can only be placed once every chain group knows its name.
    for (let c = 0; c < dispatchChains.length; c++) {
      const chain = dispatchChains[c];
      const kind = chainKind(chain.name);
      const generation = this.generationOf(chain.table);
      const rules = namingRules[c];
      done += chain.rules.length - rules.length; // their second count: the rules read as jumps are done
      for (let i = 0; i < rules.length; i++) {
        this.readNamingRule(rules[i], kind, generation);
        if (pause(1)) {
          yield fraction();
        }
      }
    }
    for (const group of this.groupList) {
      this.finish(group);
      if (pause(1)) {
        yield fraction();
      }
    }
    this.checkEndpointChains();
    return this.result;
  }

  private detailsOf(rule: Rule): RuleDetails {
    // Not cached: holding hundreds of thousands of parsed rules costs more in garbage collection than the
    // few rules read twice cost to parse again.
    return ruleDetails(rule);
  }

  private groupKey(suffix: string): string {
    return this.generation === 0 ? suffix : `${this.generation}#${suffix}`;
  }

  private newGroup(key: string, suffix: string | undefined, label: string): Group {
    const group: Group = {
      key,
      suffix,
      chains: [],
      kinds: [],
      identities: [],
      service: newService(label),
      localIndicator: false,
      splits: [],
    };
    this.groups.set(key, group);
    this.groupList.push(group);
    this.result.services.push(group.service);
    return group;
  }

  private groupForChain(chain: Chain, kind: ChainKind): Group {
    const suffix = hashSuffix(chain.name);
    const key = this.groupKey(suffix);
    const group = this.groups.get(key) ?? this.newGroup(key, suffix, chain.name);
    if (!group.kinds.includes(kind)) {
      group.chains.push(chain);
      group.kinds.push(kind);
      group.service.chains = withValue(group.service.chains, chainRef(chain));
    }
    this.result.serviceByChain.set(chain, group.service); // each chain comes here once
    if (kind === 'service-local' || kind === 'external-local') {
      group.localIndicator = true;
    }
    return group;
  }

  /** The group of a service chain jumped to from a rule in `table`. */
  private groupOfTarget(name: string, generation: number): Group | undefined {
    const kind = chainKind(name);
    if (!isServiceChainKind(kind)) {
      return undefined;
    }
    const suffix = hashSuffix(name);
    return this.groups.get(generation === 0 ? suffix : `${generation}#${suffix}`);
  }

  private addAddress(address: string, fact: AddressFact): void {
    const facts = this.result.addresses.get(address);
    if (facts === undefined) {
      this.result.addresses.set(address, [fact]);
    } else if (!facts.some((f) => f.role === fact.role && f.service === fact.service && f.endpoint === fact.endpoint)) {
      facts.push(fact);
    }
  }

  private readEndpointChain(chain: Chain): void {
    let dnat: Rule | undefined;
    let masquerade: Rule | undefined;
    for (const rule of chain.rules) {
      const target = rule.targetName;
      if (target === 'DNAT') {
        dnat ??= rule;
      } else if (target === 'KUBE-MARK-MASQ' || target === 'MARK') {
        // In an endpoint chain the only masquerade mark is the hairpin one (`-s podIP`).
        masquerade ??= rule;
      }
    }
    const to = dnat === undefined ? undefined : fastDnatDestination(dnat);
    const pod = to === undefined ? undefined : endpointAddress(to);
    let facts: EndpointChainFacts;
    if (dnat !== undefined && masquerade !== undefined && pod !== undefined) {
      // kube-proxy's endpoint chain, built as one literal: fields added one by one would take a second object per chain.
      const { ip, port, address } = pod;
      facts = {
        chain: chainRef(chain),
        reachedBy: [],
        hashMatches: null,
        masqueradeRule: ruleSpan(masquerade),
        dnatRule: ruleSpan(dnat),
        ip,
        port,
        address,
      };
    } else {
      facts = { chain: chainRef(chain), reachedBy: [], hashMatches: null };
      if (masquerade !== undefined) {
        facts.masqueradeRule = ruleSpan(masquerade);
      }
      if (dnat !== undefined) {
        facts.dnatRule = ruleSpan(dnat);
      }
      if (pod !== undefined) {
        facts.ip = pod.ip;
        facts.port = pod.port;
        facts.address = pod.address;
      }
    }
    this.result.endpointsByChain.set(chain, facts); // each chain comes here once
    if (facts.ip !== undefined) {
      this.addAddress(facts.ip, { role: 'endpoint', endpoint: facts });
    }
    for (const jump of chain.referencedBy) {
      this.endpointByJumpLine[jump.line] = facts;
    }
  }

  /** The protocol (of its first DNAT rule) and comment identity of an endpoint chain, read when first needed. */
  private endpointDetails(chain: Chain, facts: EndpointChainFacts): void {
    if (facts.identity !== undefined || facts.protocol !== undefined) {
      return;
    }
    const dnat = chain.rules.find((rule) => rule.targetName === 'DNAT');
    if (dnat !== undefined) {
      facts.protocol = ruleProtocol(this.detailsOf(dnat));
    }
    for (const rule of chain.rules) {
      const comment = ruleComment(rule);
      const identity = comment === undefined ? undefined : parseKubeComment(comment);
      if (identity !== undefined) {
        facts.identity = identity;
        break;
      }
    }
  }

  private readGroupChains(group: Group): void {
    for (let c = 0; c < group.chains.length; c++) {
      const kind = group.kinds[c];
      const chain = group.chains[c];
      if (ENDPOINT_CHOOSING_KINDS.has(kind)) {
        this.readSplit(group, kind, chain);
      } else {
        this.readIdentities(group, kind, chain);
      }
    }
  }

  /** An endpoint-choosing chain (KUBE-SVC / SVL / XLB): its endpoints in rule order, and the shares its split gives them. */
  private readSplit(group: Group, kind: ChainKind, chain: Chain): void {
    const service = group.service;
    const local = kind !== 'service';
    // Session-affinity checks come before the random split and send returning clients back to their
    // endpoint; they are not part of the split, so they are read aside and joined to the endpoints after.
    let affinity: { rule: Rule; target: string; seconds: number }[] | undefined;
    let remaining = 1;
    let counted = false;
    const reachingByRule: SplitRule[] = [];
    for (const rule of chain.rules) {
      const target = rule.targetName;
      this.readServiceRule(group, kind, rule, target);
      if (target === undefined) {
        continue;
      }
      const dnat = target === 'DNAT';
      // A jump to an endpoint chain of the dump has its facts by line (the target is then that KUBE-SEP chain);
      // only other jumps need their target's name read.
      const facts = dnat ? undefined : this.endpointByJumpLine[rule.line];
      if (!dnat && facts === undefined && !target.startsWith('KUBE-SEP-')) {
        continue;
      }
      const counters = rule.counters;
      if (counters !== undefined) {
        counted = true;
      }
      const seconds = fastAffinitySeconds(rule);
      if (seconds !== undefined) {
        (affinity ??= []).push({ rule, target, seconds });
        continue;
      }
      const probability = fastProbability(rule);
      const share = remaining * probability;
      const reaching = remaining;
      remaining -= share;
      if (remaining < EPSILON) {
        remaining = 0;
      }
      // Each DNAT written straight into a service chain is its own endpoint.
      let endpoint = dnat ? undefined : this.endpointNamed(group, local, target);
      if (endpoint === undefined) {
        endpoint = this.newEndpoint(group, rule, target, facts, local, probability, share);
        if (local) {
          service.localEndpoints = withValue(service.localEndpoints, endpoint);
        } else {
          service.endpoints = withValue(service.endpoints, endpoint);
        }
        if (!dnat) {
          (local ? group.localEndpointIndex : group.endpointIndex)?.set(target, endpoint);
        }
      } else {
        endpoint.share += share;
      }
      if (counters !== undefined) {
        endpoint.observedPackets = (endpoint.observedPackets ?? 0) + counters.packets;
        if (counters.approximate) {
          service.observedApproximate = true;
        }
      }
      const entry: SplitRule = { rule, service, endpoint, local, probability, share, reaching, affinity: false };
      reachingByRule.push(entry);
      this.result.endpointRuleByLine.set(rule.line, entry);
    }
    for (const check of affinity ?? []) {
      const endpoint = this.endpointNamed(group, local, check.target);
      if (endpoint !== undefined) {
        endpoint.affinitySeconds = check.seconds;
        service.affinitySeconds = check.seconds;
        if (check.rule.counters !== undefined) {
          endpoint.observedPackets = (endpoint.observedPackets ?? 0) + check.rule.counters.packets;
          if (check.rule.counters.approximate) {
            service.observedApproximate = true;
          }
        }
        this.result.endpointRuleByLine.set(check.rule.line, {
          service,
          endpoint,
          local,
          probability: 1,
          share: 0,
          reaching: 1,
          affinity: true,
        });
      }
    }
    if ((local ? service.localEndpoints : service.endpoints).length > 0) {
      group.splits.push({ chain, local, rules: reachingByRule, remaining, counted });
    }
  }

  /**
   * The endpoint of the service port's cluster-wide (or, with `local`, node-local) chains that a jump to `target`
   * already made: repeated jumps to one endpoint chain add up. DNAT endpoints are named after their service chain,
   * so a KUBE-SEP target never finds one.
   */
  private endpointNamed(group: Group, local: boolean, target: string): DumpEndpoint | undefined {
    const endpoints = local ? group.service.localEndpoints : group.service.endpoints;
    if (endpoints.length < ENDPOINT_INDEX_MIN) {
      for (const endpoint of endpoints) {
        if (endpoint.chain.name === target) {
          return endpoint;
        }
      }
      return undefined;
    }
    let index = local ? group.localEndpointIndex : group.endpointIndex;
    if (index === undefined) {
      index = new Map();
      for (const endpoint of endpoints) {
        if (!index.has(endpoint.chain.name)) {
          index.set(endpoint.chain.name, endpoint);
        }
      }
      if (local) {
        group.localEndpointIndex = index;
      } else {
        group.endpointIndex = index;
      }
    }
    return index.get(target);
  }

  /** Identity and policy hints of a service chain's rules that do not choose an endpoint (KUBE-EXT, KUBE-FW). */
  private readIdentities(group: Group, kind: ChainKind, chain: Chain): void {
    for (const rule of chain.rules) {
      this.readServiceRule(group, kind, rule, rule.targetName);
    }
  }

  /** What any rule of a service chain says: the service port in its comment, and signs of a Local policy. */
  private readServiceRule(group: Group, kind: ChainKind, rule: Rule, target: string | undefined): void {
    // Most rules of a service chain have no comment (kube-proxy drops them above 1,000 endpoints) or name the
    // service port already known; finding that in the text spares cutting out the comment of 100,000 rules in a
    // large dump. KUBE-EXT rules are read for their words.
    const comment = !hasComment(rule) || (kind !== 'external' && namesKnownIdentity(group, rule.text)) ? undefined : ruleComment(rule);
    if (comment !== undefined) {
      if (kind === 'external' && comment.startsWith('pod traffic for')) {
        // Only externalTrafficPolicy: Local splits pod traffic from the rest in KUBE-EXT.
        group.localIndicator = true;
      }
      if (!namesKnownIdentity(group, comment)) {
        const identity = parseKubeComment(comment);
        if (identity !== undefined) {
          group.identities.push(identity);
        }
      }
    }
    if (kind === 'external' && target?.startsWith('KUBE-SVL-') === true) {
      group.localIndicator = true;
    }
    if (kind === 'service' && target === 'KUBE-MARK-MASQ') {
      group.clusterIPRule ??= rule;
    }
  }

  /** A table of the group's chains (they all live in one table, nat). */
  private tableOf(group: Group): Table {
    return group.chains[0].table;
  }

  private newEndpoint(
    group: Group,
    rule: Rule,
    target: string,
    facts: EndpointChainFacts | undefined,
    local: boolean,
    probability: number,
    share: number,
  ): DumpEndpoint {
    if (
      facts?.ip !== undefined &&
      facts.port !== undefined &&
      facts.address !== undefined &&
      facts.dnatRule !== undefined &&
      facts.masqueradeRule !== undefined
    ) {
      // kube-proxy's endpoint chain, built as one literal (same fields, in the same order, as below).
      const { chain, ip, port, address, dnatRule, masqueradeRule } = facts;
      const endpoint: DumpEndpoint = {
        chain,
        probability,
        share,
        jumpRule: ruleSpan(rule),
        hashMatches: null,
        ip,
        port,
        address,
        dnatRule,
        masqueradeRule,
      };
      facts.reachedBy = withValue(facts.reachedBy, { service: group.service, endpoint, local, serviceChain: rule.chain.name });
      return endpoint;
    }
    const endpoint: DumpEndpoint = {
      chain: target === 'DNAT' ? chainRef(rule.chain) : (facts?.chain ?? { name: target, table: rule.table.name }),
      probability,
      share,
      jumpRule: ruleSpan(rule),
      hashMatches: null,
    };
    if (target === 'DNAT') {
      // Userspace-era and hand-written service chains DNAT directly, with no endpoint chain in between.
      endpoint.dnatRule = ruleSpan(rule);
      const to = fastDnatDestination(rule);
      if (to !== undefined) {
        const { ip, port, address } = endpointAddress(to);
        endpoint.ip = ip;
        endpoint.port = port;
        endpoint.address = address;
      }
      return endpoint;
    }
    if (facts !== undefined) {
      if (facts.ip !== undefined) {
        endpoint.ip = facts.ip;
      }
      if (facts.port !== undefined) {
        endpoint.port = facts.port;
      }
      if (facts.address !== undefined) {
        endpoint.address = facts.address;
      }
      if (facts.dnatRule !== undefined) {
        endpoint.dnatRule = facts.dnatRule;
      }
      if (facts.masqueradeRule !== undefined) {
        endpoint.masqueradeRule = facts.masqueradeRule;
      }
      facts.reachedBy = withValue(facts.reachedBy, { service: group.service, endpoint, local, serviceChain: rule.chain.name });
    } else {
      // Without the endpoint chain (an excerpt), the "ns/svc:port -> ip:port" comment still gives the address.
      const comment = ruleComment(rule);
      const identity = comment === undefined ? undefined : parseKubeComment(comment);
      if (identity?.endpoint !== undefined) {
        const { ip, port, address } = endpointAddress(identity.endpoint);
        endpoint.ip = ip;
        endpoint.port = port;
        endpoint.address = address;
      }
    }
    return endpoint;
  }

  /** Warns when the conditional probabilities leave traffic with no endpoint, or give an endpoint nothing. */
  private checkShares(group: Group, split: Split): void {
    const { chain, remaining, rules } = split;
    const last = rules[rules.length - 1];
    if (remaining > EPSILON && last !== undefined) {
      group.service.unassignedShare = remaining;
      this.result.diagnostics.push({
        span: statisticFragment(last.rule) ?? ruleSpan(last.rule),
        severity: 'warning',
        code: 'kube-unassigned-traffic',
        message:
          `The probabilities in ${chain.name} leave ${percent(remaining)} of ${group.service.label}'s traffic with no endpoint: ` +
          `the last endpoint rule should have no statistic match, so that it takes what is left. That traffic falls through to the end of the chain.`,
      });
    }
    for (const entry of rules) {
      if (entry.share <= EPSILON) {
        this.result.diagnostics.push({
          span: ruleSpan(entry.rule),
          severity: 'warning',
          code: 'kube-endpoint-never-chosen',
          message:
            `${entry.endpoint.chain.name}${entry.endpoint.address !== undefined ? ` (${entry.endpoint.address})` : ''} can never be chosen: ` +
            (entry.probability === 0 ? 'its rule has probability 0.' : 'the rules above it already take all of the traffic.'),
        });
      }
    }
  }

  /** Observed shares from the jump rules' packet counters, and the skew worth a look. */
  private observe(group: Group, split: Split): void {
    const { chain } = split;
    const endpoints = splitEndpoints(group, split);
    let total = 0;
    for (const endpoint of endpoints) {
      endpoint.observedPackets ??= 0;
      total += endpoint.observedPackets;
    }
    const svc = chainOfKind(group, 'service');
    if (svc === undefined || chain.name === svc.name) {
      group.service.observedPackets = total;
    }
    if (total === 0) {
      return;
    }
    for (const endpoint of endpoints) {
      const packets = endpoint.observedPackets ?? 0;
      endpoint.observedShare = packets / total;
      // Each connection crosses the nat table once, so packets here count connections: independent draws.
      if (packets === 0 && endpoint.share > EPSILON && Math.pow(1 - endpoint.share, total) < SKEW_CHANCE) {
        const approximate = group.service.observedApproximate === true ? ' (counters are approximate: K/M/G suffixes)' : '';
        this.result.diagnostics.push({
          span: endpoint.jumpRule,
          severity: 'information',
          code: 'kube-traffic-skew',
          message:
            `${endpoint.chain.name}${endpoint.address !== undefined ? ` (${endpoint.address})` : ''} got no packets of the ${total} ` +
            `${chain.name} sent to endpoints${approximate}, though its expected share is ${percent(endpoint.share)}. ` +
            `Worth a look: a stale endpoint, a conntrack-pinned client, or session affinity.`,
        });
      }
    }
  }

  /**
   * Reads dispatch rule `rule` of a chain of `kind`, if it jumps to a service chain (such rules give cluster IPs,
   * ports, node ports, protocols and identities); false if it does not.
   */
  private readDispatchJump(rule: Rule, kind: ChainKind, generation: number): boolean {
    const target = rule.targetName;
    const group = target === undefined ? undefined : this.groupOfTarget(target, generation);
    if (group === undefined) {
      return false;
    }
    this.readJumpToGroup(group, kind, rule);
    return true;
  }

  /** Reads dispatch rule `rule` of a chain of `kind` (one that jumps to no service chain), if it names a service port in its comment. */
  private readNamingRule(rule: Rule, kind: ChainKind, generation: number): void {
    const comment = ruleComment(rule);
    const identity = comment === undefined ? undefined : parseKubeComment(comment);
    if (identity === undefined) {
      return;
    }
    const match = dispatchMatch(rule);
    // kube-proxy writes a health check node port rule as tcp whatever the service port's protocol: find
    // the port by name first, so a UDP port does not gain a phantom tcp twin.
    const named =
      (identity.role === 'health-check-node-port' ? this.groupForIdentity(identity, undefined, generation) : undefined) ??
      this.groupForIdentity(identity, match.protocol, generation);
    if (named === undefined) {
      return;
    }
    this.result.dispatchByLine.set(rule.line, named.service);
    this.readRuleNamingGroup(named, kind, rule, match, identity);
  }

  private generationCache = new Map<Table, number>();

  private generationOf(table: Table): number {
    let generation = this.generationCache.get(table);
    if (generation === undefined) {
      generation = 0;
      for (const other of this.dump.tables) {
        if (other === table) {
          break;
        }
        if (other.name === table.name) {
          generation++;
        }
      }
      this.generationCache.set(table, generation);
    }
    return generation;
  }

  private readJumpToGroup(group: Group, kind: ChainKind, rule: Rule): void {
    const match = dispatchMatch(rule);
    const service = group.service;
    const identity = match.comment === undefined ? undefined : parseKubeComment(match.comment);
    if (identity !== undefined && !namesKnownIdentity(group, match.comment ?? '')) {
      group.identities.push(identity);
    }
    group.protocol ??= match.protocol;
    service.dispatchRules = withValue(service.dispatchRules, ruleSpan(rule));
    this.result.dispatchByLine.set(rule.line, service);
    const targetKind = chainKind(rule.targetName ?? '');
    const destination = match.destination;
    const port = match.destinationPort;
    if (kind === 'nodeports') {
      if (port !== undefined) {
        service.nodePorts = withUnique(service.nodePorts, port);
      }
      return;
    }
    let role = identity?.role;
    if (role !== 'cluster-ip' && role !== 'external-ip' && role !== 'loadbalancer-ip') {
      // No comment (kube-proxy drops most above 1,000 endpoints): the target's kind says which IP this is.
      role = targetKind === 'firewall' ? 'loadbalancer-ip' : targetKind === 'external' ? 'external-ip' : 'cluster-ip';
    }
    if (destination === undefined) {
      return;
    }
    if (role === 'cluster-ip') {
      service.clusterIPs = withUnique(service.clusterIPs, destination);
      if (port !== undefined) {
        service.servicePort ??= port;
      }
    } else if (role === 'external-ip') {
      service.externalIPs = withUnique(service.externalIPs, destination);
    } else {
      service.loadBalancerIPs = withUnique(service.loadBalancerIPs, destination);
    }
    if (port !== undefined) {
      service.servicePort ??= port;
    }
  }

  /** A dispatch rule that names a service port without jumping to its chains. */
  private readRuleNamingGroup(group: Group, kind: ChainKind, rule: Rule, match: DispatchMatch, identity: CommentIdentity): void {
    const service = group.service;
    service.dispatchRules = withValue(service.dispatchRules, ruleSpan(rule));
    const destination = match.destination;
    const port = match.destinationPort;
    switch (identity.role) {
      case 'no-endpoints':
        service.noEndpoints = true;
        group.noEndpointsRule ??= rule;
        if (destination !== undefined) {
          if (kind === 'services') {
            service.clusterIPs = withUnique(service.clusterIPs, destination);
            if (port !== undefined) {
              service.servicePort ??= port;
            }
          } else if (!service.loadBalancerIPs.includes(destination)) {
            service.externalIPs = withUnique(service.externalIPs, destination);
          }
        } else if (port !== undefined && kind === 'external-services') {
          service.nodePorts = withUnique(service.nodePorts, port);
        }
        break;
      case 'no-local-endpoints':
        group.localIndicator = true;
        if (destination !== undefined) {
          if (!service.loadBalancerIPs.includes(destination)) {
            service.externalIPs = withUnique(service.externalIPs, destination);
          }
        } else if (port !== undefined) {
          service.nodePorts = withUnique(service.nodePorts, port);
        }
        break;
      case 'health-check-node-port':
        group.localIndicator = true;
        if (port !== undefined) {
          service.healthCheckNodePort = port;
        }
        break;
      case 'firewall-drop':
        if (destination !== undefined) {
          service.loadBalancerIPs = withUnique(service.loadBalancerIPs, destination);
        }
        break;
      case 'cluster-ip':
        if (destination !== undefined) {
          service.clusterIPs = withUnique(service.clusterIPs, destination);
        }
        if (port !== undefined) {
          service.servicePort ??= port;
        }
        break;
      default:
        break;
    }
  }

  /** The group of a service port named in a comment: the chain group with that name, else a chain-less one. */
  private groupForIdentity(identity: CommentIdentity, protocol: string | undefined, generation: number): Group | undefined {
    const candidates = protocol !== undefined ? [protocol] : PROTOCOLS;
    for (const proto of candidates) {
      for (const legacy of identity.port === '' ? [false, true] : [false]) {
        const found = this.groupByIdentity.get(`${generation}|${identityPortName(identity, legacy)}|${proto}`);
        if (found !== undefined) {
          return found;
        }
      }
    }
    if (protocol === undefined) {
      return undefined; // a comment with no protocol and no chain: nothing to hang it on
    }
    // A service port with no chains (no endpoints at all): key it by the hash its chains would have.
    const portName = identityPortName(identity, identity.legacyUnnamed);
    const suffix = chainHash(portName + protocol);
    const key = generation === 0 ? suffix : `${generation}#${suffix}`;
    let group = this.groups.get(key);
    if (group === undefined) {
      group = this.newGroup(key, undefined, portName);
      group.identities.push(identity);
      group.protocol = protocol;
      this.settleIdentity(group);
    }
    return group;
  }

  /** Picks the identity whose hash gives the group's chain names, and records the protocol it implies. */
  private settleIdentity(group: Group): void {
    const service = group.service;
    if (service.clusterIPs.length === 0 && group.clusterIPRule !== undefined) {
      // Only the service chain is in the dump (`iptables -L KUBE-SVC-…`): its masquerade rule names the cluster IP.
      const match = dispatchMatch(group.clusterIPRule);
      if (match.destination !== undefined) {
        service.clusterIPs = withValue(service.clusterIPs, match.destination);
      }
      service.servicePort ??= match.destinationPort;
      group.protocol ??= match.protocol;
    }
    if (group.identities.length === 0 || group.protocol === undefined) {
      this.identityFromStructure(group);
    }
    const generation = group.key.includes('#') ? Number(group.key.slice(0, group.key.indexOf('#'))) : 0;
    let chosen: CommentIdentity | undefined;
    let chosenLegacy = false;
    let matches: boolean | null = null;
    /** The port name of `chosen`, when it was made on the way. */
    let chosenName: string | undefined;
    const first = group.identities[0];
    if (first !== undefined && group.suffix !== undefined && group.protocol !== undefined) {
      const name = identityPortName(first, first.legacyUnnamed);
      if (hasChainHash(group.suffix, 0, name, group.protocol)) {
        // The usual case: the first name found is the one the chain names were made from.
        chosen = first;
        chosenLegacy = first.legacyUnnamed;
        chosenName = name;
        matches = true;
      }
    }
    if (chosen === undefined && group.suffix !== undefined) {
      const protocols = group.protocol !== undefined ? [group.protocol] : PROTOCOLS;
      const seen = new Set<string>();
      search: for (const identity of group.identities) {
        const id = `${identity.namespace}/${identity.name}:${identity.port}`;
        if (seen.has(id)) {
          continue;
        }
        seen.add(id);
        for (const legacy of identity.port === '' ? [identity.legacyUnnamed, !identity.legacyUnnamed] : [false]) {
          for (const protocol of protocols) {
            if (hasChainHash(group.suffix, 0, identityPortName(identity, legacy), protocol)) {
              chosen = identity;
              chosenLegacy = legacy;
              matches = true;
              group.protocol = protocol;
              break search;
            }
          }
        }
      }
    }
    if (chosen === undefined && group.identities.length > 0) {
      chosen = group.identities[0];
      chosenLegacy = chosen.legacyUnnamed;
      matches = group.suffix === undefined ? null : false;
    }
    service.hashMatches = matches;
    if (group.protocol !== undefined) {
      service.protocol = group.protocol;
    }
    if (chosen !== undefined) {
      service.namespace = chosen.namespace;
      service.name = chosen.name;
      service.port = chosen.port;
      service.portName = chosenName ?? identityPortName(chosen, chosenLegacy);
      if (group.protocol !== undefined) {
        const key = `${generation}|${service.portName}|${group.protocol}`;
        if (!this.groupByIdentity.has(key)) {
          this.groupByIdentity.set(key, group);
        }
        if (chosen.port === '') {
          // Index both spellings of an unnamed port, so "ns/svc" and "ns/svc:" comments find the same group.
          const other = `${generation}|${identityPortName(chosen, !chosenLegacy)}|${group.protocol}`;
          if (!this.groupByIdentity.has(other)) {
            this.groupByIdentity.set(other, group);
          }
        }
      }
    }
    service.label = serviceLabel(service, labelChain(group));
  }

  /**
   * When the service chains and dispatch rules leave the name or protocol open (comments dropped, an excerpt),
   * the endpoint chains' DNAT rules and comments, and the service chains' own matches, may still say.
   */
  private identityFromStructure(group: Group): void {
    for (const endpoint of [...group.service.endpoints, ...group.service.localEndpoints]) {
      // What the endpoint chain holds (its DNAT rule …), if the dump has it.
      const chain = endpoint.dnatRule === undefined ? undefined : this.tableOf(group).chains.get(endpoint.chain.name);
      const facts = chain === undefined ? undefined : this.result.endpointsByChain.get(chain);
      if (chain === undefined || facts === undefined) {
        continue;
      }
      this.endpointDetails(chain, facts);
      group.protocol ??= facts.protocol;
      if (facts.identity !== undefined && group.identities.length === 0) {
        group.identities.push(facts.identity);
      }
      if (group.protocol !== undefined && group.identities.length > 0) {
        return;
      }
    }
    for (const chain of group.chains) {
      for (const rule of chain.rules) {
        if (group.protocol !== undefined) {
          return;
        }
        group.protocol = ruleProtocol(this.detailsOf(rule));
      }
    }
  }

  private finish(group: Group): void {
    const service = group.service;
    service.label = serviceLabel(service, labelChain(group));
    if (group.localIndicator) {
      service.trafficPolicy = 'Local';
    } else if (group.kinds.includes('service') || group.kinds.includes('external')) {
      service.trafficPolicy = 'Cluster';
    }
    for (const split of group.splits) {
      this.checkShares(group, split);
      if (split.counted) {
        this.observe(group, split);
      }
      this.checkEndpointsOutsideDump(service, splitEndpoints(group, split));
    }
    this.checkReachedEndpoints(group);
    for (const ip of service.clusterIPs) {
      this.addAddress(ip, { role: 'cluster-ip', service });
    }
    for (const ip of service.externalIPs) {
      this.addAddress(ip, { role: 'external-ip', service });
    }
    for (const ip of service.loadBalancerIPs) {
      this.addAddress(ip, { role: 'loadbalancer-ip', service });
    }
    if (service.hashMatches === false) {
      for (const chain of group.chains) {
        const span = chainSpan(chain);
        if (span !== undefined) {
          this.result.diagnostics.push({
            span,
            severity: 'warning',
            code: 'kube-hash-mismatch',
            message:
              `${chain.name} is not the name kube-proxy gives ${service.portName ?? 'this service port'}` +
              `${service.protocol !== undefined ? ` + ${service.protocol}` : ''} (expected ${chain.name.slice(0, chain.name.indexOf('-', 5) + 1)}` +
              `${chainHash((service.portName ?? '') + (service.protocol ?? 'tcp'))}): the dump was edited by hand, or was not written by kube-proxy.`,
          });
        }
      }
    }
    if (group.noEndpointsRule !== undefined) {
      const rule = group.noEndpointsRule;
      const details = this.detailsOf(rule);
      const comment = details.matches.find((option) => option.name === '--comment');
      this.result.diagnostics.push({
        span: comment?.span ?? ruleSpan(rule),
        severity: 'information',
        code: 'kube-no-endpoints',
        message: `Service ${service.label} has no endpoints: kube-proxy rejects its traffic (no ready pod backs it).`,
      });
    } else if (service.endpoints.length === 0 && service.localEndpoints.length === 0) {
      const svc = chainOfKind(group, 'service');
      if (svc !== undefined && svc.declaration !== undefined && !svc.rules.some((rule) => isOnwardJump(rule.targetName))) {
        service.noEndpoints = true;
        this.result.diagnostics.push({
          span: svc.declaration,
          severity: 'information',
          code: 'kube-no-endpoints',
          message: `Service ${service.label} has no endpoints in this dump: ${svc.name} jumps to no endpoint chain.`,
        });
      }
    }
    service.clusterIPs = trimmed(service.clusterIPs);
    service.chains = trimmed(service.chains);
    service.endpoints = trimmed(service.endpoints);
    service.localEndpoints = trimmed(service.localEndpoints);
    service.dispatchRules = trimmed(service.dispatchRules);
  }

  /**
   * Endpoints whose chain the dump leaves out (`iptables -L KUBE-SVC-…` of one chain) are known from the
   * "ns/svc:port -> ip:port" comment alone; their names can still be checked against it.
   */
  private checkEndpointsOutsideDump(service: DumpServicePort, endpoints: DumpEndpoint[]): void {
    if (service.portName === undefined || service.protocol === undefined) {
      return;
    }
    for (const endpoint of endpoints) {
      if (endpoint.address !== undefined && endpoint.dnatRule === undefined && endpoint.chain.name.startsWith('KUBE-SEP-')) {
        endpoint.hashMatches = endpointChainName(service.portName, service.protocol, endpoint.address) === endpoint.chain.name;
      }
    }
  }

  /**
   * The hash check of the endpoint chains this service port reaches, done here while its name and its endpoints
   * are at hand rather than in a pass of its own over every endpoint chain. An endpoint chain's name matches when
   * it is the hash of any named service port that reaches it (or the unnamed port's other spelling), and does
   * not when some named port reaches it and none gives its name; `checkEndpointChains` settles the rest.
   */
  private checkReachedEndpoints(group: Group): void {
    const service = group.service;
    const { portName, protocol } = service;
    if (portName === undefined || protocol === undefined) {
      return;
    }
    // The unnamed port's other spelling (`ns/svc` and `ns/svc:`), which kube-proxy versions hash differently.
    const other =
      service.port === '' && service.namespace !== undefined && service.name !== undefined
        ? servicePortName(service.namespace, service.name, '', !portName.endsWith(':'))
        : undefined;
    for (const split of group.splits) {
      for (const { rule, endpoint } of split.rules) {
        // The endpoint chain of the rule that made the endpoint (a later jump to it only adds up), if the dump
        // has that chain: a DNAT rule has none.
        const facts = rule.targetName === 'DNAT' || endpoint.jumpRule.line !== rule.line ? undefined : this.endpointByJumpLine[rule.line];
        if (facts === undefined || facts.hashMatches === true || facts.ip === undefined || facts.port === undefined) {
          continue;
        }
        const address = facts.address ?? formatEndpoint(facts.ip, facts.port);
        const name = facts.chain.name;
        facts.hashMatches =
          hasChainHash(name, 'KUBE-SEP-'.length, portName, protocol, address) ||
          (other !== undefined && hasChainHash(name, 'KUBE-SEP-'.length, other, protocol, address));
        if (facts.reachedBy.length === 1) {
          // Reached by this port alone: its one endpoint has its final answer now.
          facts.reachedBy[0].endpoint.hashMatches = facts.hashMatches;
        }
      }
    }
  }

  /** Hash check of every endpoint chain against the service ports that reach it, and the missing-DNAT warning. */
  private checkEndpointChains(): void {
    // forEach, not for…of: an entry array and an iterator result per chain were 12 MB of garbage at 100,000 chains.
    this.result.endpointsByChain.forEach((facts, chain) => {
      const name = chain.name;
      if (facts.dnatRule === undefined && (chain.declaration !== undefined || chain.rules.length > 0)) {
        const span = chainSpan(chain);
        if (span !== undefined) {
          this.result.diagnostics.push({
            span,
            severity: 'warning',
            code: 'kube-endpoint-without-dnat',
            message: `${name} has no DNAT rule: traffic kube-proxy sends here is not redirected to any pod.`,
          });
        }
      }
      // Set by checkReachedEndpoints when a named service port reaches the chain (and then, for a chain reached
      // once, on its endpoint too); otherwise decided here.
      const settled = facts.hashMatches !== null;
      if (!settled) {
        facts.hashMatches = this.endpointHashMatches(chain, facts);
      }
      const reachedBy = facts.reachedBy;
      if (!settled || reachedBy.length > 1) {
        facts.reachedBy = trimmed(reachedBy);
        for (const reach of reachedBy) {
          reach.endpoint.hashMatches = facts.hashMatches;
        }
      }
      if (facts.hashMatches === false) {
        const span = chainSpan(chain);
        if (span !== undefined) {
          this.result.diagnostics.push({
            span,
            severity: 'warning',
            code: 'kube-hash-mismatch',
            message: `${name} is not the name kube-proxy gives endpoint ${facts.address ?? '?'} of ${this.endpointOwners(facts)}: the dump was edited by hand, or was not written by kube-proxy.`,
          });
        }
      }
    });
  }

  private endpointOwners(facts: EndpointChainFacts): string {
    const labels = facts.reachedBy.map((reach) => reach.service.label);
    if (labels.length === 0 && facts.identity !== undefined) {
      labels.push(identityPortName(facts.identity, facts.identity.legacyUnnamed));
    }
    return [...new Set(labels)].join(', ');
  }

  /** An endpoint chain's hash check when no named service port reaches it (an excerpt): its own comment and DNAT protocol may still say. */
  private endpointHashMatches(chain: Chain, facts: EndpointChainFacts): boolean | null {
    if (facts.ip === undefined || facts.port === undefined) {
      return null;
    }
    const address = facts.address ?? formatEndpoint(facts.ip, facts.port);
    const matches = (portName: string, protocol: string): boolean =>
      hasChainHash(chain.name, 'KUBE-SEP-'.length, portName, protocol, address);
    this.endpointDetails(chain, facts);
    const identity = facts.identity;
    const protocol = facts.protocol;
    if (identity === undefined || protocol === undefined) {
      return null;
    }
    return (
      matches(identityPortName(identity, identity.legacyUnnamed), protocol) ||
      (identity.port === '' && matches(identityPortName(identity, !identity.legacyUnnamed), protocol))
    );
  }
}

/** Whether a comment names the service port the group already knows (so it need not be parsed again). */
function namesKnownIdentity(group: Group, comment: string): boolean {
  const known = group.identities[0];
  if (known === undefined) {
    return false;
  }
  group.knownToken ??=
    known.port === '' && !known.legacyUnnamed ? `${known.namespace}/${known.name}` : `${known.namespace}/${known.name}:${known.port}`;
  const token = group.knownToken;
  const at = comment.indexOf(token);
  if (at < 0) {
    return false;
  }
  const after = comment.charCodeAt(at + token.length);
  const before = at === 0 ? 32 : comment.charCodeAt(at - 1);
  // The token must stand alone: "ns/svc" must not match "ns/svc2" or "ns/svc:http".
  return (Number.isNaN(after) || after === 32 || after === 34) && (before === 32 || before === 34);
}

/** A jump that takes service traffic on (to an endpoint or another kube-proxy chain), unlike KUBE-MARK-MASQ. */
function isOnwardJump(target: string | undefined): boolean {
  return target !== undefined && target !== 'KUBE-MARK-MASQ' && target !== 'KUBE-MARK-DROP' && target !== 'MARK' && target !== 'RETURN';
}

function splitEndpoints(group: Group, split: Split): DumpEndpoint[] {
  return split.local ? group.service.localEndpoints : group.service.endpoints;
}

/** The group's chain of `kind`, if the dump has it. */
function chainOfKind(group: Group, kind: ChainKind): Chain | undefined {
  const at = group.kinds.indexOf(kind);
  return at < 0 ? undefined : group.chains[at];
}

/** The chain a service port without a name is labelled by: its KUBE-SVC chain, else its first chain. */
function labelChain(group: Group): Chain | undefined {
  return chainOfKind(group, 'service') ?? group.chains[0];
}

/**
 * `default/my-nginx:80/tcp` for an unnamed port, `kube-system/kube-dns:dns (53/udp)` for a named one, or the
 * name of `chain` (the service port's KUBE-SVC chain, else its first) when no comment names the port.
 */
export function serviceLabel(
  service: Pick<DumpServicePort, 'namespace' | 'name' | 'port' | 'servicePort' | 'protocol' | 'clusterIPs' | 'chains'>,
  chain?: Chain,
): string {
  const proto = service.protocol !== undefined ? `/${service.protocol}` : '';
  if (service.namespace !== undefined && service.name !== undefined) {
    const base = `${service.namespace}/${service.name}`;
    if (service.port === '' || service.port === undefined) {
      return service.servicePort !== undefined ? `${base}:${service.servicePort}${proto}` : `${base}${proto}`;
    }
    if (service.servicePort !== undefined) {
      return `${base}:${service.port} (${service.servicePort}${proto})`;
    }
    return `${base}:${service.port}${proto}`;
  }
  const name = chain?.name ?? service.chains[0]?.name ?? 'service';
  const ip = service.clusterIPs[0];
  if (ip !== undefined) {
    return `${name} (${ip}${service.servicePort !== undefined ? `:${service.servicePort}` : ''}${proto})`;
  }
  return name;
}

/** The value a chain map holds for the chain `name` of `table`, or of the first table that has one. */
function byChainName<T>(map: Map<Chain, T>, tables: Table[], name: string, table: Table | undefined): T | undefined {
  for (const candidate of table !== undefined ? [table] : tables) {
    const chain = candidate.chains.get(name);
    const value = chain === undefined ? undefined : map.get(chain);
    if (value !== undefined) {
      return value;
    }
  }
  return undefined;
}

/** The service port of a KUBE-SVC/SVL/EXT/FW/XLB chain name, in `table` (default: the first table that has it). */
export function serviceOfChain(analysis: KubeAnalysis, name: string, table?: Table): DumpServicePort | undefined {
  return byChainName(analysis.serviceByChain, analysis.tables, name, table);
}

/** What a KUBE-SEP chain holds, in `table` (default: the first table that has it). */
export function endpointOfChain(analysis: KubeAnalysis, name: string, table?: Table): EndpointChainFacts | undefined {
  return byChainName(analysis.endpointsByChain, analysis.tables, name, table);
}

/**
 * The detail the outline shows beside a chain: `default/my-nginx:80/tcp` for a service chain,
 * `10.200.165.70:80 ← default/my-nginx:80/tcp` for an endpoint chain; undefined for other chains.
 */
export function serviceSymbolDetail(analysis: KubeAnalysis, chainName: string, table?: Table): string | undefined {
  for (const candidate of table !== undefined ? [table] : analysis.tables) {
    const chain = candidate.chains.get(chainName);
    const detail = chain === undefined ? undefined : chainSymbolDetail(analysis, chain);
    if (detail !== undefined) {
      return detail;
    }
  }
  return undefined;
}

/** `serviceSymbolDetail` for a chain of the model: what the outline asks for each of a large dump's 100,000 chains. */
export function chainSymbolDetail(analysis: KubeAnalysis, chain: Chain): string | undefined {
  const service = analysis.serviceByChain.get(chain);
  if (service !== undefined) {
    return service.label === chain.name ? undefined : service.label;
  }
  const endpoint = analysis.endpointsByChain.get(chain);
  if (endpoint === undefined) {
    return undefined;
  }
  const address = endpoint.address ?? 'no DNAT';
  const reachedBy = endpoint.reachedBy;
  if (reachedBy.length === 0) {
    return address;
  }
  // Most endpoints are reached by one service chain: no set to build for them.
  const labels =
    reachedBy.length === 1 ? reachedBy[0].service.label : [...new Set(reachedBy.map((reach) => reach.service.label))].join(', ');
  return `${address} ← ${labels}`;
}
