// The types of a parsed dump: tables → chains → rules, with the exact place of every name in the text.
//
// Every dump line is one line of text, so a place is a `Span` (line + character offsets) rather than
// an LSP range: it is smaller, and features turn it into a `Range` at the edge. Rules keep their text
// and parse their options on demand (`ruleDetails`), so a 450,000-line dump holds only what navigation
// needs: chain names, targets and counters.

/** Where a dump's text came from: `iptables-save` (and kube-proxy's restore input), `iptables -S`, or `iptables -L`. */
export type DumpFormat = 'save' | 'spec' | 'list';

/** A run of characters on one line; `start` and `end` are UTF-16 offsets, `end` exclusive. */
export interface Span {
  line: number;
  start: number;
  end: number;
}

/** Packet and byte counters. `approximate` when `-L` printed them with a K/M/G/T suffix. */
export interface Counters {
  packets: number;
  bytes: number;
  approximate: boolean;
}

export interface Table {
  /** `filter`, `nat`, `mangle`, `raw`, `security`; for an `-L` listing without a table name, the name inferred from its chains. */
  name: string;
  /** How `name` is known: written in the dump, taken from a pasted shell prompt, or guessed from the chains. */
  nameSource: 'header' | 'prompt' | 'inferred';
  format: DumpFormat;
  /** The `*nat` name on its header line, when there is one. */
  header?: Span;
  /** First and last line of the table's text, for folding and outline ranges. */
  startLine: number;
  endLine: number;
  /** Save format: whether `COMMIT` closed the table. Other formats: null (they have no COMMIT). */
  committed: boolean | null;
  /**
   * True for a fragment (rules with no table header, e.g. `iptables-save | grep svc`): chains are known only
   * from their rules, and what the excerpt leaves out is not an error.
   */
  excerpt: boolean;
  /** Chains in order of first appearance. */
  chains: Map<string, Chain>;
  /** 4 or 6 when the dump says so (`ip6tables-save` header) or an address shows it; null when unknown. */
  family: 4 | 6 | null;
}

/** The built-in chains of each table; everything else is a user chain. */
export const BUILTIN_CHAINS: ReadonlySet<string> = new Set(['INPUT', 'OUTPUT', 'FORWARD', 'PREROUTING', 'POSTROUTING']);

/** The order iptables lists a table's built-in chains in (the kernel's hook order). */
export const BUILTIN_CHAIN_ORDER: Readonly<Record<string, number>> = { PREROUTING: 0, INPUT: 1, FORWARD: 2, OUTPUT: 3, POSTROUTING: 4 };

/**
 * Whether built-in chain `name`, listed after the built-in chains `seen`, must belong to the next table:
 * iptables lists a table's built-in chains in hook order, so one at or before the last seen starts a new
 * table (`iptables -t raw -S; iptables -S` pastes PREROUTING OUTPUT, then INPUT FORWARD OUTPUT).
 */
export function startsNextTable(name: string, seen: Iterable<string>): boolean {
  const order = BUILTIN_CHAIN_ORDER[name];
  if (order === undefined) {
    return false;
  }
  for (const previous of seen) {
    const before = BUILTIN_CHAIN_ORDER[previous];
    if (before !== undefined && before >= order) {
      return true;
    }
  }
  return false;
}

export interface Chain {
  name: string;
  table: Table;
  builtin: boolean;
  /**
   * The chain name where it is declared: `:NAME` in save output, `Chain NAME` in `-L`, `-N NAME` / `-P NAME` in
   * `-S`; in an excerpt, the chain name of its first rule. Undefined when the chain is only jumped to.
   */
  declaration?: Span;
  /** What `declaration` points at. */
  declaredBy?: 'declaration' | 'header' | 'new' | 'policy' | 'first-rule';
  /** Further declarations of the same name in the same table (an error). */
  redeclarations: Span[];
  /** `ACCEPT`/`DROP` for built-in chains; undefined for user chains (`-` in save output). */
  policy?: string;
  /** Counters of the policy (save `:CHAIN POLICY [p:b]`, `-L -v` `policy ACCEPT 1 packets, 40 bytes`). */
  policyCounters?: Counters;
  /** `Chain X (N references)` in `-L` output: what iptables itself counted. */
  listedReferences?: number;
  rules: Rule[];
  /**
   * The rules (in any chain of the same table) that jump (`-j`) or go (`-g`) to this chain, grouped by calling
   * chain in table order, then in rule order. Filled by the index (and kept so by incremental edits).
   */
  referencedBy: Rule[];
  /** Last line that belongs to this chain (its last rule, or its header in `-L`), for folding. */
  endLine: number;
}

export interface Target {
  name: string;
  span: Span;
  /** `-g` (goto) rather than `-j`. */
  goto: boolean;
}

export interface Rule {
  table: Table;
  chain: Chain;
  /** 0-based line of the rule. */
  line: number;
  /** The whole line as written (without line terminator). */
  text: string;
  format: DumpFormat;
  /** 1-based position in its chain. */
  position: number;
  /** `-A CHAIN` / `-I CHAIN`: where the chain name is written on this line (save and -S only). */
  chainName?: Span;
  /** `-I` rather than `-A`. */
  insert?: boolean;
  /** Undefined when the rule has no target (it only counts packets). */
  target?: Target;
  /** `target?.name`, without making the target object (which may be built on each read): for loops over every rule. */
  readonly targetName: string | undefined;
  counters?: Counters;
  /** `num` column of `-L --line-numbers`. */
  listedNumber?: number;
  /** Offset in `text` where the rule's options (save/-S) or columns after the counters (-L) begin. */
  bodyStart: number;
}

/** One parsed option: `-p tcp`, `! -s 10.0.0.0/8`, `--dport 80`, `--comment "x y"`. */
export interface RuleOption {
  /** The `-m` module the option belongs to (`tcp`, `comment`, `statistic` …); undefined for the basic ones. */
  module?: string;
  /**
   * The long name: `--protocol`, `--source`, `--destination`, `--in-interface`, `--out-interface`, `--fragment`,
   * `--dport`, `--comment`, `--probability`, `--to-destination` … (short names are normalised to long ones).
   */
  name: string;
  negated: boolean;
  /** Values with quotes and escapes removed. */
  values: string[];
  /** The option and its values in the text. */
  span: Span;
}

/** A rule's matches and its target's options, parsed from its text on demand. */
export interface RuleDetails {
  matches: RuleOption[];
  /** Options of the target (`--to-destination 10.0.0.1:80`, `--set-xmark 0x4000/0x4000`, `--reject-with …`). */
  targetOptions: RuleOption[];
  /** The `-m comment --comment` value, or the slash-star comment text of `-L`. */
  comment?: string;
  /** Text of `-L` output that was not understood (kept, never an error). */
  unparsedExtension?: string;
}

export type DiagnosticSeverity = 'error' | 'warning' | 'information' | 'hint';

export interface DumpDiagnostic {
  span: Span;
  severity: DiagnosticSeverity;
  message: string;
  /** A stable identifier (`unknown-line`, `undefined-chain` …) that clients and tests can match on. */
  code: string;
}

/** A shell command line pasted around a dump (`root@node:~# iptables -t nat -L -n -v`). */
export interface PromptLine {
  line: number;
  command: string;
}

export interface Dump {
  tables: Table[];
  /** Every line's meaning, by line number: undefined for blank, comment and unrecognised lines. */
  lineOwners: (Rule | Chain | Table | undefined)[];
  diagnostics: DumpDiagnostic[];
  prompts: PromptLine[];
  lineCount: number;
}
