// The packet tracer's input and output: plain JSON-safe data, so the same shapes go out of the CLI's
// `trace --json`, into the editor's tree view and into tests.
import type { Span } from '../model/types';

/** Where a packet enters the node's netfilter hooks. */
export type PacketOrigin =
  /** Arrives on an interface from a pod on this node (PREROUTING). */
  | 'pod'
  /** Arrives on an interface from another host (PREROUTING). */
  | 'external'
  /** Sent by a process on the node itself (OUTPUT). */
  | 'node';

/** The first packet of a connection, as the tracer is asked about it. */
export interface TracePacket {
  /** Destination address (IPv4 or IPv6). */
  dst: string;
  /** Destination port; undefined for a protocol without ports or when unknown. */
  dstPort?: number;
  /** `tcp`, `udp`, `sctp`, `icmp` … (default `tcp`). */
  protocol?: string;
  /** Source address; undefined when unknown (then `-s` matches are explored both ways, flagged). */
  src?: string;
  /** Source port; undefined when unknown (then `--sport` matches are explored both ways, flagged). */
  srcPort?: number;
  /** Default `pod`. */
  from?: PacketOrigin;
  /** Interface the packet arrives on (`-i`); unknown when undefined. */
  inInterface?: string;
  /** Interface the packet leaves by (`-o`); unknown when undefined. */
  outInterface?: string;
  /**
   * The node's own addresses, for `-m addrtype --dst-type LOCAL` and the routing decision (deliver locally or
   * forward). Loopback addresses are always local. Undefined: not known, so addrtype LOCAL is explored both ways.
   */
  localAddresses?: string[];
  /** The packet's mark as it enters (default 0). */
  mark?: number;
}

export interface TraceOptions {
  /**
   * When a built-in chain has no rules and kube-proxy's chain that it jumps to from there is never referenced (a
   * dump of kube-proxy's restore input, or a node whose jump rules were not printed), act as if kube-proxy's jump
   * rules were there. Each use is reported as a note and as an implicit step. Default true.
   */
  implicitKubeJumps?: boolean;
  /** Stop exploring after this many paths (default 16384); the result says `truncated`. */
  maxPaths?: number;
  /** Deepest chain call stack followed (the kernel allows far fewer in practice). Default 64. */
  maxDepth?: number;
}

/** A rule (or policy line) of the dump, as a trace step shows it. */
export interface TraceRuleRef {
  table: string;
  chain: string;
  /** 1-based position in its chain. */
  position: number;
  /** The whole rule line: `line`, first non-blank character, end of line. */
  location: Span;
  text: string;
}

/** Something the tracer could not decide from the dump and the packet, explored both ways. */
export interface TraceCondition {
  /** Identifies the question, so a path answers it once (`unknown:…`, `local:10.0.0.1`, `iface-in:eth0` …). */
  key: string;
  /** What was assumed on this path. */
  holds: boolean;
  /** In words: `source 10.1.2.3 is in ipset cali40masq-ipam-pools`. */
  description: string;
  /** Why it is undecided: a match the tracer does not model, missing packet data, or state it cannot see. */
  kind: 'unknown-match' | 'interface' | 'addrtype' | 'recent' | 'address' | 'port' | 'other';
  /** The rule whose match raised it. */
  rule?: TraceRuleRef;
  /** The hook it was decided in (`PREROUTING`, `POSTROUTING` …). */
  hook: string;
}

/** One step of a path: a rule that matched or was decided, a chain's policy, or an implicit jump. */
export interface TraceStep {
  hook: string;
  table: string;
  chain: string;
  kind: 'rule' | 'policy' | 'implicit-jump' | 'end-of-chain';
  /** The rule, for `rule` steps; the chain's declaration for `policy`. */
  rule?: TraceRuleRef;
  /**
   * What happened: `jump KUBE-SVC-…`, `goto …`, `return`, `DNAT → 10.1.2.3:80`, `MARK 0x4000`, `ACCEPT`,
   * `random 0.5: taken`, `not taken (random 0.5)`, `policy ACCEPT` …
   */
  action: string;
  /** For a `statistic` decision: the probability of the branch this path took. */
  probability?: number;
  /** For an undecided match: what this path assumed. */
  condition?: TraceCondition;
  /**
   * For random rules not taken: how many consecutive rules of the chain this step stands for (`rule` is the last
   * of them; `probability` the chance of missing them all).
   */
  rules?: number;
  /** Mark after the step, when the step changed it. */
  mark?: number;
}

export type TraceVerdict =
  /** Went through every hook: delivered to the destination (forwarded, or to a local socket). */
  | 'ACCEPT'
  | 'DROP'
  | 'REJECT'
  /** Handed to user space (`NFQUEUE`, `QUEUE`). */
  | 'QUEUE'
  /** A cycle of jumps: the kernel refuses such a ruleset, the tracer stops the path. */
  | 'LOOP'
  /** The tracer stopped (too many paths, or too deep). */
  | 'INCOMPLETE';

/** Where and how a path ended up translated. */
export interface TraceAddress {
  ip: string;
  port?: number;
}

/** What happened to the source address on a path, decided in nat POSTROUTING (or INPUT). */
export interface SourceNat {
  kind: 'MASQUERADE' | 'SNAT';
  /** SNAT's `--to-source`; for MASQUERADE, the address of the outgoing interface (not in a dump). */
  to?: string;
  rule?: TraceRuleRef;
}

/** One complete path through the hooks. */
export interface TracePath {
  id: number;
  /** Product of the random (`statistic`) decisions on the path. */
  probability: number;
  /** The undecided matches this path assumed an answer to; its probability is conditional on them. */
  conditions: TraceCondition[];
  steps: TraceStep[];
  verdict: TraceVerdict;
  /** Why: REJECT's comment (`ns/svc:port has no endpoints`) or `--reject-with`, the cycle, the limit … */
  reason?: string;
  /** The rule that decided the verdict (undefined for a policy or when every hook was passed). */
  verdictRule?: TraceRuleRef;
  /** The packet's destination at the end (after DNAT). */
  destination: TraceAddress;
  /** The DNAT (or REDIRECT) that changed the destination, if any. */
  dnat?: TraceAddress & { rule?: TraceRuleRef; redirect?: boolean };
  /** Source NAT decided in POSTROUTING, if any. */
  snat?: SourceNat;
  /** `forward` (to another host or pod) or `local` (to a socket of the node). Undefined when dropped before routing. */
  delivery?: 'forward' | 'local';
  /** The packet's mark at the end. */
  mark: number;
}

/** Whether an outcome's packets leave with the node's address instead of the client's. */
export interface MasqueradeDecision {
  /** `yes`/`no` on every path of the outcome; `depends` when undecided matches (listed) choose. */
  decision: 'yes' | 'no' | 'depends';
  /** The answer when none of the undecided matches holds (undefined when that scenario does not reach this outcome). */
  whenNoConditionHolds?: boolean;
  /** Each distinct answer with the conditions (decided in POSTROUTING) that lead to it. */
  alternatives: { masquerade: boolean; snat?: SourceNat; conditions: TraceCondition[] }[];
}

/** A final result: where the packet ends and how likely that is. */
export interface TraceOutcome {
  verdict: TraceVerdict;
  /** Final destination (after DNAT). */
  destination: TraceAddress;
  /** `DNAT 10.200.165.70:80`, `REJECT: default/svc has no endpoints`, `ACCEPT (local)` … */
  label: string;
  reason?: string;
  dnat?: TraceAddress;
  delivery?: 'forward' | 'local';
  /**
   * The share of first packets that end here. When it depends on undecided matches, this is its value when none
   * of them hold (the first packet of a client with no affinity, ipsets that do not contain the packet …), and
   * `probabilityRange` gives the least and most it can be; `conditional` is then true.
   */
  probability: number;
  probabilityRange: { min: number; max: number };
  conditional: boolean;
  /** Conditions (decided before POSTROUTING) that some path to this outcome assumed. */
  conditions: TraceCondition[];
  masquerade: MasqueradeDecision;
  /** Indexes into `TraceResult.paths`. */
  paths: number[];
}

export interface TraceResult {
  packet: Required<Pick<TracePacket, 'dst' | 'protocol' | 'from'>> & TracePacket;
  /** Hooks in the order walked for this packet, e.g. `PREROUTING → FORWARD → POSTROUTING`. */
  hooks: string[];
  outcomes: TraceOutcome[];
  paths: TracePath[];
  /** Assumptions the tracer made and flags raised (assumed NEW, kube-proxy's implicit jumps, missing tables …). */
  notes: string[];
  /** Cycles of jumps found (chain names, the first repeated at the end). */
  cycles: string[][];
  /** True when `maxPaths` or `maxDepth` cut the exploration short. */
  truncated: boolean;
  /** How many rules were evaluated, in all paths. */
  rulesEvaluated: number;
}
