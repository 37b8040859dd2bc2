// The packet tracer: walks a parsed dump's chains the way netfilter walks them for the first packet of a
// connection, and returns every path the packet can take, each final outcome with its probability, and the
// masquerade decision.
//
// Kernel order: a packet arriving from a pod or another host passes PREROUTING (raw, mangle, nat), the
// routing decision, then INPUT (to a local socket) or FORWARD and POSTROUTING; a packet the node sends passes
// OUTPUT, POSTROUTING, and INPUT when it is for the node itself. In each hook the tables present in the dump
// are walked in priority order; a table the dump does not have is skipped (and said so in a note).
//
// Branching: a `statistic` match splits a path in two with probabilities p and 1 − p; a match the tracer
// cannot decide (an ipset, an interface or node address not given, session affinity, a match it does not
// model) splits it into "holds" and "does not hold", both keeping the parent's probability. So for every
// combination of answers to the undecided questions (a scenario) the probabilities of the paths consistent
// with it sum to 1 — `outcomes` reports each outcome's probability in the scenario where none of them holds,
// and the range over all scenarios.
import type { Chain, Dump, Rule, RuleDetails, RuleOption, Table } from '../model/types';
import { ruleDetails } from '../parse/details';
import { formatAddressPort, normaliseAddress, parseNatAddress, portNumber } from './address';
import { KUBE_PROXY_JUMPS } from './entries';
import { evaluateMatch, isLocalAddress, localKey } from './matches';
import type { PacketState } from './matches';
import type {
  MasqueradeDecision,
  SourceNat,
  TraceCondition,
  TraceOptions,
  TraceOutcome,
  TracePacket,
  TracePath,
  TraceResult,
  TraceRuleRef,
  TraceStep,
  TraceVerdict,
} from './types';

/** Tables of each hook, in the kernel's priority order. */
const HOOK_TABLES: Record<string, readonly string[]> = {
  PREROUTING: ['raw', 'mangle', 'nat'],
  INPUT: ['mangle', 'nat', 'filter', 'security'],
  FORWARD: ['mangle', 'filter', 'security'],
  OUTPUT: ['raw', 'mangle', 'nat', 'filter', 'security'],
  POSTROUTING: ['mangle', 'nat'],
};

/** Targets that change nothing the tracer follows and let the packet go on to the next rule. */
const PASS_THROUGH_TARGETS = new Set([
  'LOG',
  'NFLOG',
  'ULOG',
  'TRACE',
  'AUDIT',
  'CHECKSUM',
  'TCPMSS',
  'TOS',
  'DSCP',
  'TTL',
  'HL',
  'CLASSIFY',
  'SECMARK',
  'CONNSECMARK',
  'IDLETIMER',
  'LED',
  'RATEEST',
  'SET',
  'TEE',
  'ECN',
  'HMARK',
  'SYNPROXY',
]);

/** A persistent list, so that branching a path shares its steps instead of copying them. */
interface Link<T> {
  value: T;
  prev?: Link<T>;
}

function listToArray<T>(link: Link<T> | undefined): T[] {
  const out: T[] = [];
  for (let l = link; l; l = l.prev) {
    out.push(l.value);
  }
  return out.reverse();
}

interface Branch {
  state: PacketState;
  probability: number;
  conditions?: Link<TraceCondition>;
  steps?: Link<TraceStep>;
  dnat?: TracePath['dnat'];
  snat?: SourceNat;
  delivery?: 'forward' | 'local';
  /** REDIRECT: delivered to the node whatever the address. */
  redirected?: boolean;
}

type ChainEnd =
  { kind: 'continue'; branch: Branch } | { kind: 'verdict'; branch: Branch; verdict: TraceVerdict; reason?: string; rule?: TraceRuleRef };

interface RuleResult {
  continuing: Branch[];
  ended: ChainEnd[];
}

interface Leaf {
  branch: Branch;
  verdict: TraceVerdict;
  reason?: string;
  rule?: TraceRuleRef;
}

/** The place of a whole rule line: from its first non-blank character to its end. */
export function ruleRef(rule: Rule): TraceRuleRef {
  const start = rule.text.length - rule.text.trimStart().length;
  return {
    table: rule.table.name,
    chain: rule.chain.name,
    position: rule.position,
    location: { line: rule.line, start, end: rule.text.length },
    text: rule.text.trim(),
  };
}

function formatProbability(p: number): string {
  return Number(p.toFixed(6)).toString();
}

/** Applies a MARK / CONNMARK target option to a mark value. */
export function applyMarkOption(mark: number, option: RuleOption): number | undefined {
  const [valueText, maskText] = (option.values[0] ?? '').split('/');
  const value = Number(valueText);
  const mask = maskText === undefined ? 0xffffffff : Number(maskText);
  if (!Number.isFinite(value) || !Number.isFinite(mask)) {
    return undefined;
  }
  switch (option.name) {
    case '--set-xmark':
      return (((mark & ~mask) >>> 0) ^ value) >>> 0;
    case '--set-mark':
      return ((mark & ~mask) | value) >>> 0;
    case '--or-mark':
      return (mark | value) >>> 0;
    case '--and-mark':
      return (mark & value) >>> 0;
    case '--xor-mark':
      return (mark ^ value) >>> 0;
  }
  return undefined;
}

class Tracer {
  private readonly tables = new Map<string, Table>();
  private readonly notes = new Set<string>();
  private readonly cycles: string[][] = [];
  private readonly details = new Map<Rule, RuleDetails>();
  private splits = 0;
  private truncated = false;
  private rulesEvaluated = 0;
  private readonly maxPaths: number;
  private readonly maxDepth: number;
  private readonly implicitKubeJumps: boolean;
  /** `table HOOK` → the kube-proxy chains jumped to implicitly from it. */
  private readonly implicitJumpsUsed = new Map<string, string[]>();
  /** Destinations the routing decision took not to be the node's own, for lack of `localAddresses`. */
  private readonly assumedRemote = new Set<string>();

  constructor(
    dump: Dump,
    private readonly packet: TraceResult['packet'],
    options: TraceOptions,
  ) {
    for (const table of dump.tables) {
      if (!this.tables.has(table.name)) {
        this.tables.set(table.name, table);
      } else {
        this.notes.add(`The dump has table ${table.name} more than once: only the first is traced.`);
      }
    }
    this.maxPaths = options.maxPaths ?? 16384;
    this.maxDepth = options.maxDepth ?? 64;
    this.implicitKubeJumps = options.implicitKubeJumps ?? true;
  }

  run(): TraceResult {
    const packet = this.packet;
    const assumptions: Record<string, boolean> = {};
    if (packet.src && isLocalAddress({ localAddresses: packet.localAddresses, assumptions } as PacketState, packet.src) === undefined) {
      // The node sends from one of its own addresses; a packet arriving on an interface comes from someone else's.
      assumptions[localKey(packet.src)] = packet.from === 'node';
    }
    const state: PacketState = {
      src: packet.src,
      dst: packet.dst,
      srcPort: packet.srcPort,
      dstPort: packet.dstPort,
      protocol: packet.protocol,
      inInterface: packet.inInterface,
      outInterface: packet.outInterface,
      hook: packet.from === 'node' ? 'OUTPUT' : 'PREROUTING',
      origin: packet.from,
      mark: packet.mark ?? 0,
      ctmark: 0,
      originalDst: packet.dst,
      originalDstPort: packet.dstPort,
      originalSrc: packet.src,
      dnatDone: false,
      untracked: false,
      localAddresses: packet.localAddresses,
      assumptions,
    };
    const start: Branch = { state, probability: 1 };
    const leaves: Leaf[] = [];
    const hooks: string[] = [];
    const walk = (hook: string, branches: Branch[]): Branch[] => {
      if (!hooks.includes(hook) && branches.length) {
        hooks.push(hook);
      }
      const { passed, ended } = this.runHook(hook, branches);
      leaves.push(...ended);
      return passed;
    };
    if (packet.from === 'node') {
      const afterOutput = walk('OUTPUT', [start]);
      const afterPostrouting = walk(
        'POSTROUTING',
        afterOutput.map((b) => this.route(b)),
      );
      const local = afterPostrouting.filter((b) => b.delivery === 'local');
      leaves.push(...afterPostrouting.filter((b) => b.delivery !== 'local').map((branch) => ({ branch, verdict: 'ACCEPT' as const })));
      leaves.push(...walk('INPUT', local).map((branch) => ({ branch, verdict: 'ACCEPT' as const })));
    } else {
      const routed = walk('PREROUTING', [start]).map((b) => this.route(b));
      const local = routed.filter((b) => b.delivery === 'local');
      const forwarded = routed.filter((b) => b.delivery === 'forward');
      leaves.push(...walk('INPUT', local).map((branch) => ({ branch, verdict: 'ACCEPT' as const })));
      const afterForward = walk('FORWARD', forwarded);
      leaves.push(...walk('POSTROUTING', afterForward).map((branch) => ({ branch, verdict: 'ACCEPT' as const })));
    }
    for (const [chain, targets] of this.implicitJumpsUsed) {
      this.notes.add(
        `${chain} has no rules and nothing jumps to ${targets.join(', ')}: assumed kube-proxy's jump${targets.length > 1 ? 's' : ''} ` +
          `from it (kube-proxy adds them outside its restore input).`,
      );
    }
    if (this.assumedRemote.size) {
      this.notes.add(`Node addresses not given: ${[...this.assumedRemote].join(', ')} taken not to be the node's own (routed onward).`);
    }
    const paths = leaves.map((leaf, id) => this.toPath(leaf, id));
    const outcomes = buildOutcomes(paths);
    return {
      packet,
      hooks,
      outcomes,
      paths,
      notes: [...this.notes],
      cycles: this.cycles,
      truncated: this.truncated,
      rulesEvaluated: this.rulesEvaluated,
    };
  }

  /** The routing decision after PREROUTING / OUTPUT: to a local socket, or onward. */
  private route(branch: Branch): Branch {
    const state = branch.state;
    let local = branch.redirected ? true : isLocalAddress(state, state.dst);
    let assumptions = state.assumptions;
    if (local === undefined) {
      this.assumedRemote.add(state.dst);
      local = false;
      assumptions = { ...assumptions, [localKey(state.dst)]: false };
    }
    return { ...branch, state: { ...state, assumptions }, delivery: local ? 'local' : 'forward' };
  }

  private runHook(hook: string, branches: Branch[]): { passed: Branch[]; ended: Leaf[] } {
    let passed = branches.map((b) => ({ ...b, state: { ...b.state, hook } }));
    const ended: Leaf[] = [];
    for (const tableName of HOOK_TABLES[hook]) {
      const table = this.tables.get(tableName);
      if (!table) {
        continue;
      }
      const next: Branch[] = [];
      for (const branch of passed) {
        if (tableName === 'nat' && branch.state.untracked) {
          this.notes.add('The packet is untracked (NOTRACK in raw): the nat table does not see it.');
          next.push(branch);
          continue;
        }
        for (const end of this.walkBuiltin(hook, table, branch)) {
          if (end.kind === 'verdict' && end.verdict !== 'ACCEPT') {
            ended.push({ branch: end.branch, verdict: end.verdict, reason: end.reason, rule: end.rule });
          } else {
            next.push(end.branch);
          }
        }
      }
      passed = next;
    }
    const missing = HOOK_TABLES[hook].filter((t) => (t === 'nat' || t === 'filter') && !this.tables.has(t));
    if (missing.length && branches.length) {
      const hasChain = (t: string): boolean => (t === 'nat' ? hook !== 'FORWARD' : hook !== 'PREROUTING' && hook !== 'POSTROUTING');
      for (const t of missing.filter(hasChain)) {
        this.notes.add(`The dump has no ${t} table: ${t} ${hook} taken as empty with policy ACCEPT.`);
      }
    }
    return { passed, ended };
  }

  /** A built-in chain: kube-proxy's implicit jumps (when used), its rules, then its policy. */
  private walkBuiltin(hook: string, table: Table, branch: Branch): ChainEnd[] {
    const chain = table.chains.get(hook);
    const results: ChainEnd[] = [];
    let entries: Branch[] = [branch];
    if (this.implicitKubeJumps && (!chain || chain.rules.length === 0)) {
      for (const jump of KUBE_PROXY_JUMPS) {
        const target = table.chains.get(jump.target);
        if (jump.table !== table.name || jump.hookChain !== hook || !target || target.referencedBy.length > 0) {
          continue;
        }
        this.implicitJumpsUsed.set(
          `${table.name} ${hook}`,
          [...(this.implicitJumpsUsed.get(`${table.name} ${hook}`) ?? []), jump.target].filter((t, i, all) => all.indexOf(t) === i),
        );
        const next: Branch[] = [];
        for (const b of entries) {
          const step: TraceStep = {
            hook,
            table: table.name,
            chain: hook,
            kind: 'implicit-jump',
            action: `jump ${jump.target} (kube-proxy's jump, not in the dump)`,
          };
          const withStep = { ...b, steps: { value: step, prev: b.steps } };
          for (const end of this.walkChain(table, target, 0, withStep, [hook, jump.target])) {
            if (end.kind === 'verdict') {
              results.push(end);
            } else {
              next.push(end.branch);
            }
          }
        }
        entries = next;
      }
    }
    for (const b of entries) {
      const ends = chain ? this.walkChain(table, chain, 0, b, [hook]) : [{ kind: 'continue' as const, branch: b }];
      for (const end of ends) {
        if (end.kind === 'verdict') {
          results.push(end);
          continue;
        }
        const policy = chain?.policy ?? 'ACCEPT';
        const step: TraceStep = {
          hook,
          table: table.name,
          chain: hook,
          kind: 'policy',
          action: `policy ${policy}`,
          rule: chain?.declaration
            ? {
                table: table.name,
                chain: hook,
                position: 0,
                location: { line: chain.declaration.line, start: chain.declaration.start, end: chain.declaration.end },
                text: `${hook} policy ${policy}`,
              }
            : undefined,
        };
        const withStep = chain ? { ...end.branch, steps: { value: step, prev: end.branch.steps } } : end.branch;
        results.push({
          kind: 'verdict',
          branch: withStep,
          verdict: policy === 'DROP' ? 'DROP' : 'ACCEPT',
          reason: policy === 'DROP' ? `policy DROP of ${table.name} ${hook}` : undefined,
          rule: step.rule,
        });
      }
    }
    return results;
  }

  /**
   * Walks a chain from rule `from`; `stack` is the chain call stack (for cycles and depth). Paths that split off
   * within the chain wait on a work list rather than in nested calls, so a service chain with thousands of
   * endpoints neither deepens the call stack nor copies its results at every level.
   */
  private walkChain(table: Table, chain: Chain, from: number, branch: Branch, stack: string[]): ChainEnd[] {
    const results: ChainEnd[] = [];
    const waiting: [number, Branch][] = [[from, branch]];
    while (waiting.length) {
      let [i, current] = waiting.pop()!;
      let open = true;
      for (; i < chain.rules.length; i++) {
        const { continuing, ended } = this.stepRule(table, chain.rules[i], current, stack);
        for (const end of ended) {
          results.push(end);
        }
        if (continuing.length === 0) {
          open = false;
          break;
        }
        // Later alternatives wait (last first, so paths come out in rule order); the first goes on now.
        for (let k = continuing.length - 1; k >= 1; k--) {
          waiting.push([i + 1, continuing[k]]);
        }
        current = continuing[0];
      }
      if (open) {
        results.push({ kind: 'continue', branch: current });
      }
    }
    return results;
  }

  private ruleDetails(rule: Rule): RuleDetails {
    let details = this.details.get(rule);
    if (!details) {
      details = ruleDetails(rule);
      this.details.set(rule, details);
    }
    return details;
  }

  private addStep(branch: Branch, step: Omit<TraceStep, 'hook'>): Branch {
    return { ...branch, steps: { value: { hook: branch.state.hook, ...step }, prev: branch.steps } };
  }

  /**
   * Records a random rule not taken. A run of them in one chain (a service chain's statistic rules before the
   * endpoint a path takes) becomes one step, so a path's length does not grow with the endpoints before it.
   */
  private addMissedRandom(branch: Branch, table: Table, rule: Rule, ref: TraceRuleRef, probability: number): Branch {
    const head = branch.steps?.value;
    if (
      head?.rules !== undefined &&
      head.chain === rule.chain.name &&
      head.table === table.name &&
      head.rule &&
      head.rule.position + 1 === rule.position
    ) {
      const together = (head.probability ?? 1) * probability;
      const first = head.rule.position - head.rules + 1;
      const step: TraceStep = {
        ...head,
        rule: ref,
        rules: head.rules + 1,
        probability: together,
        action: `not taken: #${first}–#${rule.position} (random, together p=${formatProbability(together)})`,
      };
      return { ...branch, steps: { value: step, prev: branch.steps?.prev } };
    }
    return this.addStep(branch, {
      table: table.name,
      chain: rule.chain.name,
      kind: 'rule',
      rule: ref,
      action: `not taken (random, p=${formatProbability(probability)})`,
      probability,
      rules: 1,
    });
  }

  /** Evaluates one rule: its matches (splitting the path on random and undecided ones), then its target. */
  private stepRule(table: Table, rule: Rule, branch: Branch, stack: string[]): RuleResult {
    this.rulesEvaluated++;
    const details = this.ruleDetails(rule);
    const options = [...details.matches];
    if (details.unparsedExtension) {
      options.push({
        module: undefined,
        name: `(unrecognised: ${details.unparsedExtension})`,
        negated: false,
        values: [],
        span: { line: rule.line, start: 0, end: rule.text.length },
      });
    }
    const splitting: { option: RuleOption }[] = [];
    const notes: string[] = [];
    for (const option of options) {
      const decision = evaluateMatch(branch.state, option);
      if (decision.note) {
        notes.push(decision.note);
      }
      if (decision.kind === 'fixed') {
        if (!decision.value) {
          return { continuing: [branch], ended: [] };
        }
        continue;
      }
      if (decision.kind === 'random') {
        if (decision.probability <= 0) {
          return { continuing: [branch], ended: [] };
        }
        if (decision.probability >= 1) {
          continue;
        }
      }
      splitting.push({ option });
    }
    for (const note of notes) {
      this.notes.add(note);
    }
    const ref = ruleRef(rule);
    const result: RuleResult = { continuing: [], ended: [] };
    let current = branch;
    let takenProbability = 1;
    let takenCondition: TraceCondition | undefined;
    for (const { option } of splitting) {
      // Re-evaluated on the path so far: an earlier split of this rule may have answered the same question.
      const decision = evaluateMatch(current.state, option);
      if (decision.kind === 'fixed') {
        if (!decision.value) {
          result.continuing.push(current);
          return result;
        }
        continue;
      }
      if (this.splits >= this.maxPaths) {
        this.truncated = true;
        result.ended.push({
          kind: 'verdict',
          branch: current,
          verdict: 'INCOMPLETE',
          reason: `more than ${this.maxPaths} paths`,
          rule: ref,
        });
        return result;
      }
      this.splits++;
      if (decision.kind === 'random') {
        const p = decision.probability;
        if (decision.note) {
          this.notes.add(decision.note);
        }
        const missed = this.addMissedRandom({ ...current, probability: current.probability * (1 - p) }, table, rule, ref, 1 - p);
        result.continuing.push(missed);
        current = { ...current, probability: current.probability * p };
        takenProbability *= p;
      } else if (decision.kind === 'condition') {
        const q = decision.question;
        const make = (holds: boolean): [Branch, TraceCondition] => {
          const condition: TraceCondition = {
            key: q.key,
            holds,
            description: q.description,
            kind: q.kind,
            rule: ref,
            hook: current.state.hook,
          };
          const state = { ...current.state, assumptions: { ...current.state.assumptions, [q.key]: holds } };
          return [{ ...current, state, conditions: { value: condition, prev: current.conditions } }, condition];
        };
        const [matchedBranch, matchedCondition] = make(q.matchWhenHolds);
        const [missedBranch, missedCondition] = make(!q.matchWhenHolds);
        result.continuing.push(
          this.addStep(missedBranch, {
            table: table.name,
            chain: rule.chain.name,
            kind: 'rule',
            rule: ref,
            action: `not taken (assumed ${missedCondition.holds}: ${missedCondition.description})`,
            condition: missedCondition,
          }),
        );
        current = matchedBranch;
        takenCondition ??= matchedCondition;
      }
    }
    const applied = this.applyTarget(table, rule, current, stack, takenProbability < 1 ? takenProbability : undefined, takenCondition);
    result.continuing.push(...applied.continuing);
    result.ended.push(...applied.ended);
    return result;
  }

  private applyTarget(
    table: Table,
    rule: Rule,
    branch: Branch,
    stack: string[],
    probability: number | undefined,
    condition: TraceCondition | undefined,
  ): RuleResult {
    const ref = ruleRef(rule);
    const details = this.ruleDetails(rule);
    const step = (b: Branch, action: string, mark?: number): Branch =>
      this.addStep(b, { table: table.name, chain: rule.chain.name, kind: 'rule', rule: ref, action, probability, condition, mark });
    const target = rule.target;
    if (!target) {
      return { continuing: [step(branch, 'matched (no target: counts only)')], ended: [] };
    }
    const name = target.name;
    const option = (n: string): RuleOption | undefined => details.targetOptions.find((o) => o.name === n);
    const verdict = (b: Branch, v: TraceVerdict, reason?: string): RuleResult => ({
      continuing: [],
      ended: [{ kind: 'verdict', branch: b, verdict: v, reason, rule: ref }],
    });
    const targetChain = table.chains.get(name);
    if (targetChain && !targetChain.builtin) {
      return this.jump(table, rule, targetChain, step(branch, `${target.goto ? 'goto' : 'jump'} ${name}`), stack, target.goto);
    }
    switch (name) {
      case 'ACCEPT':
        return verdict(step(branch, 'ACCEPT'), 'ACCEPT');
      case 'DROP':
        return verdict(step(branch, 'DROP'), 'DROP', details.comment);
      case 'REJECT': {
        const rejectWith = option('--reject-with')?.values[0];
        const reason = [details.comment, rejectWith ? `reject-with ${rejectWith}` : undefined].filter(Boolean).join('; ');
        return verdict(step(branch, `REJECT${rejectWith ? ' ' + rejectWith : ''}`), 'REJECT', reason || undefined);
      }
      case 'RETURN':
        return { continuing: [], ended: [{ kind: 'continue', branch: step(branch, 'RETURN') }] };
      case 'QUEUE':
      case 'NFQUEUE':
        return verdict(step(branch, name), 'QUEUE', `handed to user space (${name})`);
      case 'DNAT': {
        const to = option('--to-destination')?.values[0] ?? '';
        const parsed = parseNatAddress(to);
        if (!parsed) {
          this.notes.add(`DNAT target "${to}" not understood: destination left unchanged.`);
          return verdict(step(branch, `DNAT ${to} (not understood)`), 'ACCEPT');
        }
        if (parsed.range) {
          this.notes.add(`DNAT to a range (${to}): the tracer follows its first address and port.`);
        }
        const ip = parsed.ip ?? branch.state.dst;
        const port = parsed.port ?? branch.state.dstPort;
        const state = { ...branch.state, dst: ip, dstPort: port, dnatDone: true };
        const next = { ...branch, state, dnat: { ip, port, rule: ref } };
        return verdict(step(next, `DNAT → ${formatAddressPort(ip, port)}`), 'ACCEPT');
      }
      case 'REDIRECT': {
        const ports = option('--to-ports')?.values[0];
        const port = ports ? portNumber(ports.split(/[-:]/)[0]) : branch.state.dstPort;
        const ip = branch.state.hook === 'OUTPUT' ? '127.0.0.1' : branch.state.dst;
        const state = { ...branch.state, dst: ip, dstPort: port, dnatDone: true };
        const next: Branch = { ...branch, state, redirected: true, dnat: { ip, port, rule: ref, redirect: true } };
        return verdict(step(next, `REDIRECT → node port ${port ?? ''}`.trim()), 'ACCEPT');
      }
      case 'SNAT': {
        const to = option('--to-source')?.values[0];
        const parsed = to ? parseNatAddress(to) : undefined;
        const snat: SourceNat = { kind: 'SNAT', to: parsed?.ip ?? to, rule: ref };
        return verdict(step({ ...branch, snat }, `SNAT → ${to ?? '?'}`), 'ACCEPT');
      }
      case 'MASQUERADE': {
        const snat: SourceNat = { kind: 'MASQUERADE', rule: ref };
        return verdict(step({ ...branch, snat }, 'MASQUERADE'), 'ACCEPT');
      }
      case 'NETMAP':
        this.notes.add('NETMAP is not modelled: the address is left unchanged.');
        return verdict(step(branch, 'NETMAP (not modelled)'), 'ACCEPT');
      case 'MARK':
      case 'CONNMARK':
        return { continuing: [this.applyMark(table, rule, branch, name, details, step)], ended: [] };
      case 'NOTRACK':
        return { continuing: [step({ ...branch, state: { ...branch.state, untracked: true } }, 'NOTRACK')], ended: [] };
      case 'CT': {
        const untracked = details.targetOptions.some((o) => o.name === '--notrack');
        return {
          continuing: [
            step(
              { ...branch, state: { ...branch.state, untracked: branch.state.untracked || untracked } },
              untracked ? 'CT --notrack' : 'CT',
            ),
          ],
          ended: [],
        };
      }
    }
    if (PASS_THROUGH_TARGETS.has(name)) {
      return { continuing: [step(branch, name)], ended: [] };
    }
    if (targetChain?.builtin) {
      this.notes.add(`A rule jumps to the built-in chain ${name}, which iptables does not allow: not followed.`);
    } else {
      this.notes.add(
        `Target ${name} is neither a chain in table ${table.name} nor a target the tracer models: assumed it lets the packet go on.`,
      );
    }
    return { continuing: [step(branch, `${name} (not modelled: assumed to go on)`)], ended: [] };
  }

  private applyMark(
    table: Table,
    rule: Rule,
    branch: Branch,
    name: string,
    details: RuleDetails,
    step: (b: Branch, action: string, mark?: number) => Branch,
  ): Branch {
    let { mark, ctmark } = branch.state;
    const actions: string[] = [];
    for (const option of details.targetOptions) {
      if (name === 'CONNMARK' && option.name === '--save-mark') {
        ctmark = mark;
        actions.push('save-mark');
        continue;
      }
      if (name === 'CONNMARK' && option.name === '--restore-mark') {
        mark = ctmark;
        actions.push('restore-mark');
        continue;
      }
      if (name === 'CONNMARK' && (option.name === '--mask' || option.name === '--nfmask' || option.name === '--ctmask')) {
        continue;
      }
      const updated = applyMarkOption(name === 'MARK' ? mark : ctmark, option);
      if (updated === undefined) {
        this.notes.add(
          `${name} option ${option.name} ${option.values.join(' ')} not modelled (${table.name} ${rule.chain.name} rule ${rule.position}).`,
        );
        continue;
      }
      if (name === 'MARK') {
        mark = updated;
      } else {
        ctmark = updated;
      }
      actions.push(`${option.name.replace(/^--/, '')} ${option.values.join(' ')}`);
    }
    const next = { ...branch, state: { ...branch.state, mark, ctmark } };
    const shown = name === 'MARK' ? mark : ctmark;
    return step(next, `${name} ${actions.join(', ')} → 0x${shown.toString(16)}`, mark);
  }

  private jump(table: Table, rule: Rule, target: Chain, branch: Branch, stack: string[], goto: boolean): RuleResult {
    const ref = ruleRef(rule);
    const index = stack.indexOf(target.name);
    if (index >= 0) {
      const cycle = [...stack.slice(index), target.name];
      if (!this.cycles.some((c) => c.join(' ') === cycle.join(' '))) {
        this.cycles.push(cycle);
      }
      return {
        continuing: [],
        ended: [{ kind: 'verdict', branch, verdict: 'LOOP', reason: `cycle of jumps: ${cycle.join(' → ')}`, rule: ref }],
      };
    }
    if (stack.length >= this.maxDepth) {
      this.truncated = true;
      return {
        continuing: [],
        ended: [{ kind: 'verdict', branch, verdict: 'INCOMPLETE', reason: `jumps nested deeper than ${this.maxDepth}`, rule: ref }],
      };
    }
    // `stack` is every chain entered since the hook (for cycles and depth), gotos included: X -g Y, Y -g X is
    // a loop too. A goto's RETURN going back to the caller's caller is handled below, not by this list.
    const calleeStack = [...stack, target.name];
    const result: RuleResult = { continuing: [], ended: [] };
    for (const end of this.walkChain(table, target, 0, branch, calleeStack)) {
      if (end.kind === 'verdict') {
        result.ended.push(end);
      } else if (goto) {
        result.ended.push(end);
      } else {
        result.continuing.push(end.branch);
      }
    }
    return result;
  }

  private toPath(leaf: Leaf, id: number): TracePath {
    const { branch } = leaf;
    const state = branch.state;
    return {
      id,
      probability: branch.probability,
      conditions: listToArray(branch.conditions),
      steps: listToArray(branch.steps),
      verdict: leaf.verdict,
      reason: leaf.reason,
      verdictRule: leaf.verdict === 'ACCEPT' ? undefined : leaf.rule,
      destination: { ip: state.dst, port: state.dstPort },
      dnat: branch.dnat,
      snat: branch.snat,
      delivery: leaf.verdict === 'ACCEPT' ? branch.delivery : undefined,
      mark: state.mark,
    };
  }
}

/** Traces the first packet of a connection through a dump. Never throws for a well-formed packet. */
export function tracePacket(dump: Dump, packet: TracePacket, options: TraceOptions = {}): TraceResult {
  const normalised: TraceResult['packet'] = {
    ...packet,
    dst: normaliseAddress(packet.dst),
    src: packet.src === undefined ? undefined : normaliseAddress(packet.src),
    protocol: (packet.protocol ?? 'tcp').toLowerCase(),
    from: packet.from ?? 'pod',
  };
  return new Tracer(dump, normalised, options).run();
}

// ---- outcomes -------------------------------------------------------------------------------------------

/** The largest number of undecided questions whose every combination is evaluated exactly. */
const MAX_EXACT_KEYS = 12;

function outcomeKey(path: TracePath): string {
  return [
    path.verdict,
    path.destination.ip,
    path.destination.port ?? '',
    path.delivery ?? '',
    path.reason ?? '',
    path.dnat ? formatAddressPort(path.dnat.ip, path.dnat.port) : '',
  ].join('|');
}

/** Whether a path is possible when each question in `scenario` has the given answer (missing: does not hold). */
function consistent(path: TracePath, scenario: ReadonlyMap<string, boolean>): boolean {
  return path.conditions.every((c) => (scenario.get(c.key) ?? false) === c.holds);
}

/** The scenarios over which outcome probabilities are evaluated: every combination, or one per path when too many. */
export function traceScenarios(paths: readonly TracePath[]): Map<string, boolean>[] {
  const keys = [...new Set(paths.flatMap((p) => p.conditions.map((c) => c.key)))];
  if (keys.length <= MAX_EXACT_KEYS) {
    const scenarios: Map<string, boolean>[] = [];
    for (let bits = 0; bits < 1 << keys.length; bits++) {
      scenarios.push(new Map(keys.map((k, i) => [k, (bits & (1 << i)) !== 0])));
    }
    return scenarios;
  }
  return [new Map<string, boolean>(), ...paths.map((p) => new Map(p.conditions.map((c) => [c.key, c.holds])))];
}

/** Sum of the probabilities of the paths possible in a scenario: 1 for every scenario of a complete trace. */
export function scenarioTotal(paths: readonly TracePath[], scenario: ReadonlyMap<string, boolean>): number {
  return paths.filter((p) => consistent(p, scenario)).reduce((sum, p) => sum + p.probability, 0);
}

function label(path: TracePath): string {
  const where = path.delivery === 'local' ? ' (delivered to the node)' : '';
  switch (path.verdict) {
    case 'ACCEPT':
      if (path.dnat) {
        return path.dnat.redirect
          ? `REDIRECT → node port ${path.dnat.port ?? ''}`.trim()
          : `DNAT → ${formatAddressPort(path.dnat.ip, path.dnat.port)}${where}`;
      }
      return `ACCEPT → ${formatAddressPort(path.destination.ip, path.destination.port)}${where}`;
    case 'REJECT':
    case 'DROP':
    case 'QUEUE':
    case 'LOOP':
    case 'INCOMPLETE':
      return path.reason ? `${path.verdict}: ${path.reason}` : path.verdict;
  }
}

function buildOutcomes(paths: TracePath[]): TraceOutcome[] {
  const groups = new Map<string, TracePath[]>();
  for (const path of paths) {
    const key = outcomeKey(path);
    groups.set(key, [...(groups.get(key) ?? []), path]);
  }
  const scenarios = traceScenarios(paths);
  const baseline = new Map<string, boolean>();
  const outcomes: TraceOutcome[] = [];
  for (const group of groups.values()) {
    const first = group[0];
    const inScenario = (s: ReadonlyMap<string, boolean>): number => scenarioTotal(group, s);
    const values = scenarios.map(inScenario);
    const probability = inScenario(baseline);
    const min = Math.min(...values, probability);
    const max = Math.max(...values, probability);
    const conditions = dedupeConditions(group.flatMap((p) => p.conditions.filter((c) => c.hook !== 'POSTROUTING')));
    outcomes.push({
      verdict: first.verdict,
      destination: first.destination,
      label: label(first),
      reason: first.reason,
      dnat: first.dnat ? { ip: first.dnat.ip, port: first.dnat.port } : undefined,
      delivery: first.delivery,
      probability,
      probabilityRange: { min, max },
      conditional: max - min > 1e-9,
      conditions,
      masquerade: masqueradeOf(group),
      paths: group.map((p) => p.id),
    });
  }
  return outcomes.sort(
    (a, b) => b.probability - a.probability || b.probabilityRange.max - a.probabilityRange.max || a.label.localeCompare(b.label),
  );
}

function dedupeConditions(conditions: TraceCondition[]): TraceCondition[] {
  const seen = new Map<string, TraceCondition>();
  for (const c of conditions) {
    const key = `${c.key}=${c.holds}`;
    if (!seen.has(key)) {
      seen.set(key, c);
    }
  }
  return [...seen.values()];
}

function masqueradeOf(group: TracePath[]): MasqueradeDecision {
  const alternatives = new Map<string, MasqueradeDecision['alternatives'][number]>();
  for (const path of group) {
    const masquerade = path.snat !== undefined;
    const key = JSON.stringify([
      masquerade,
      path.snat?.kind,
      path.snat?.to,
      path.snat?.rule?.location.line,
      path.conditions.map((c) => `${c.key}=${c.holds}`),
    ]);
    if (!alternatives.has(key)) {
      alternatives.set(key, { masquerade, snat: path.snat, conditions: path.conditions });
    }
  }
  const list = [...alternatives.values()];
  const yes = list.every((a) => a.masquerade);
  const no = list.every((a) => !a.masquerade);
  const baseline = group.filter((p) => consistent(p, new Map()));
  const baselineMasquerade =
    baseline.length === 0 ? undefined : baseline.every((p) => p.snat) ? true : baseline.every((p) => !p.snat) ? false : undefined;
  return { decision: yes ? 'yes' : no ? 'no' : 'depends', whenNoConditionHolds: baselineMasquerade, alternatives: list };
}
