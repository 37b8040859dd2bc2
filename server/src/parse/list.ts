// Lines of `iptables [-t T] -L [-n] [-v] [-x] [--line-numbers]` output: `Chain X (…)` headers, the column
// header, and rule rows whose columns are blank-separated (the target column may be empty).
import type { Chain, Counters, Span, Target } from '../model/types';
import { BUILTIN_CHAINS, startsNextTable } from '../model/types';
import type { DumpBuilder } from './builder';
import { parseCounters } from './counters';

const CHAIN_HEADER = /^Chain\s+(\S+)\s+\((.*)\)\s*$/;
const POLICY = /^policy\s+(\S+)(?:\s+(\S+)\s+packets,\s+(\S+)\s+bytes)?$/;
const REFERENCES = /^(\d+)\s+references?$/;
export const COLUMN_HEADER = /^\s*(num\s+)?(pkts\s+bytes\s+)?target\s+prot\s+opt\s+(in\s+out\s+)?source\s+destination\s*$/;
/** The `opt` column: `--`, or fragment flags. */
const OPT = /^(--|-f|!f)$/;

export function isChainHeader(text: string): boolean {
  return text.startsWith('Chain ') && CHAIN_HEADER.test(text);
}

export function parseChainHeader(b: DumpBuilder, text: string, line: number): void {
  const match = CHAIN_HEADER.exec(text);
  if (!match) {
    return;
  }
  const [, name, inside] = match;
  let table = b.current;
  const builtin = BUILTIN_CHAINS.has(name);
  // iptables lists built-in chains first: a built-in chain after user chains, a repeated one, or a table
  // announced by a pasted prompt means the next table's listing has begun.
  if (
    !table ||
    table.format !== 'list' ||
    b.announcedTable !== undefined ||
    table.chains.has(name) ||
    (builtin && ([...lastChains(table)].some((c) => !c.builtin) || startsNextTable(name, table.chains.keys())))
  ) {
    table = b.startTable('list', line);
  }
  const start = text.indexOf(name, 5);
  const chain = b.declare(table, name, { line, start, end: start + name.length }, 'header');
  const policy = POLICY.exec(inside);
  if (policy) {
    const counters = policy[2] !== undefined ? parseCounters(policy[2], policy[3]) : undefined;
    b.setPolicy(chain, policy[1], counters);
  } else {
    const references = REFERENCES.exec(inside);
    if (references) {
      chain.listedReferences = Number(references[1]);
    } else {
      b.diagnose({ line, start: 0, end: text.length }, 'warning', 'bad-chain-header', `Unexpected chain header detail \`(${inside})\`: expected \`(policy ACCEPT …)\` or \`(N references)\`.`);
    }
  }
  b.listChain = chain;
}

/** The last chain of a table (Map keeps insertion order). */
function* lastChains(table: { chains: Map<string, Chain> }): Iterable<Chain> {
  let last: Chain | undefined;
  for (const chain of table.chains.values()) {
    last = chain;
  }
  if (last) {
    yield last;
  }
}

interface Word {
  text: string;
  start: number;
  end: number;
}

function words(text: string): Word[] {
  const result: Word[] = [];
  const re = /\S+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    result.push({ text: m[0], start: m.index, end: m.index + m[0].length });
  }
  return result;
}

/** What the column header says: `num` column (`--line-numbers`), counters and interfaces (`-v`). */
export interface ListLayout {
  numbered: boolean;
  verbose: boolean;
}

/** The columns of a rule row, located by word; shared with `ruleDetails`. */
export interface ListColumns {
  listedNumber?: number;
  counters?: Counters;
  target?: Word;
  prot: Word;
  opt: Word;
  inIface?: Word;
  outIface?: Word;
  source: Word;
  destination: Word;
  /** Offset where the free-form extension text starts (after destination), or the line's end. */
  extensionStart: number;
}

/**
 * Splits a rule row into its columns. The layout follows from the row itself: a leading number column
 * when there are more leading numbers than counters need, counters when `-v` was given, and an empty
 * target column when `opt` comes right after `prot`.
 */
export function listColumns(text: string, layout: ListLayout | undefined): ListColumns | undefined {
  const w = words(text);
  let k = 0;
  let listedNumber: number | undefined;
  let counters: Counters | undefined;
  const isCount = (s: string | undefined): boolean => s !== undefined && /^\d+[KMGTP]?$/.test(s);
  // Leading numeric columns: num, pkts, bytes (any of them may be absent).
  let numeric = 0;
  while (numeric < 3 && isCount(w[numeric]?.text)) {
    numeric++;
  }
  // Without a column header, the count of leading numbers tells the layout; an empty target column
  // followed by a numeric prot (`0`) makes that ambiguous, which the header resolves.
  const hasCounters = layout?.verbose ?? numeric >= 2;
  const numbered = layout?.numbered ?? (numeric === 3 || (numeric === 1 && !hasCounters));
  if (numbered) {
    listedNumber = Number(w[0].text);
    k = 1;
  }
  if (hasCounters) {
    if (!isCount(w[k]?.text) || !isCount(w[k + 1]?.text)) {
      return undefined;
    }
    counters = parseCounters(w[k].text, w[k + 1].text);
    k += 2;
  }
  let target: Word | undefined;
  if (w[k + 2] && OPT.test(w[k + 2].text)) {
    target = w[k];
    k += 1;
  } else if (!(w[k + 1] && OPT.test(w[k + 1].text))) {
    return undefined;
  }
  const prot = w[k];
  const opt = w[k + 1];
  k += 2;
  let inIface: Word | undefined;
  let outIface: Word | undefined;
  if (hasCounters) {
    inIface = w[k];
    outIface = w[k + 1];
    k += 2;
  }
  const source = w[k];
  const destination = w[k + 1];
  if (!source || !destination || (hasCounters && (!inIface || !outIface))) {
    return undefined;
  }
  return {
    listedNumber,
    counters,
    target,
    prot,
    opt,
    inIface,
    outIface,
    source,
    destination,
    extensionStart: w[k + 2]?.start ?? text.length,
  };
}

/** A rule row under the current `Chain` header; returns false when the line is not one. */
export function parseListRule(b: DumpBuilder, text: string, line: number, layout: ListLayout | undefined): boolean {
  const chain = b.listChain;
  if (!chain) {
    return false;
  }
  const columns = listColumns(text, layout);
  if (!columns) {
    return false;
  }
  let target: Target | undefined;
  if (columns.target) {
    const span: Span = { line, start: columns.target.start, end: columns.target.end };
    // -L marks a `-g` rule with `[goto]` in its extension text.
    target = { name: columns.target.text, span, goto: text.includes('[goto]', columns.extensionStart) };
  }
  b.addRule(chain.table, chain, line, text, columns.prot.start, undefined, target, columns.counters, columns.listedNumber, false);
  return true;
}
