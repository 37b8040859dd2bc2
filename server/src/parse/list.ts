// Lines of `iptables [-t T] -L [-n] [-v] [-x] [--line-numbers]` output: `Chain X (…)` headers, the column
// header, and rule rows whose columns are blank-separated (the target column may be empty).
import type { Chain, Counters } from '../model/types';
import { BUILTIN_CHAINS, startsNextTable } from '../model/types';
import type { DumpBuilder, ParsedChain } from './builder';
import { newCounters, parseCounters } from './counters';
import { digitsEnd, digitsValue, isDigit, isPrintable, isWordAt } from './tokens';

const CHAIN_HEADER = /^Chain\s+(\S+)\s+\((.*)\)\s*$/;
const POLICY = /^policy\s+(\S+)(?:\s+(\S+)\s+packets,\s+(\S+)\s+bytes)?$/;
const REFERENCES = /^(\d+)\s+references?$/;
export const COLUMN_HEADER = /^\s*(num\s+)?(pkts\s+bytes\s+)?target\s+prot\s+opt\s+(in\s+out\s+)?source\s+destination\s*$/;
/** The `opt` column: `--`, or fragment flags. */
const OPT = /^(--|-f|!f)$/;

export function isChainHeader(text: string): boolean {
  return text.charCodeAt(0) === 67 /* C */ && isWordAt(text, 'Chain ', 0) && CHAIN_HEADER.test(text);
}

/** Reads a `Chain NAME (…)` line (the caller checked `isChainHeader`). */
export function parseChainHeader(b: DumpBuilder, text: string, line: number): void {
  const references = b.fastPaths ? plainReferencesHeader(text) : -1;
  if (references >= 0) {
    const nameEnd = text.indexOf(' ', 6);
    const chain = declareListed(b, text.slice(6, nameEnd), line, 6);
    chain.listedReferences = references;
    b.listChain = chain;
    return;
  }
  const match = CHAIN_HEADER.exec(text);
  if (!match) {
    return;
  }
  const [, name, inside] = match;
  const chain = declareListed(b, name, line, text.indexOf(name, 5));
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

/** Declares the chain of a `Chain` header, in the current listing or a new one. */
function declareListed(b: DumpBuilder, name: string, line: number, start: number): Chain {
  let table = b.current;
  const builtin = BUILTIN_CHAINS.has(name);
  // iptables lists built-in chains first: a built-in chain after user chains, a repeated one, or a table
  // announced by a pasted prompt means the next table's listing has begun. Either way the table has no chain
  // of that name (jumps to chains listed later make none).
  if (
    !table ||
    table.format !== 'list' ||
    b.announcedTable !== undefined ||
    table.chains.has(name) ||
    (builtin && ([...lastChains(table)].some((c) => !c.builtin) || startsNextTable(name, table.chains.keys())))
  ) {
    table = b.startTable('list', line);
  }
  return b.declare(table, name, line, start, start + name.length, 'header', true);
}

/**
 * The count of a user chain's header as iptables prints it, `Chain NAME (N references)` (printable ASCII,
 * single blanks), which `CHAIN_HEADER` and `REFERENCES` read the same way; -1 for any other shape.
 */
function plainReferencesHeader(text: string): number {
  const length = text.length;
  let i = 6;
  while (i < length && isPrintable(text.charCodeAt(i))) {
    i++;
  }
  if (i === 6 || text.charCodeAt(i) !== 32 || text.charCodeAt(i + 1) !== 40 /* ( */) {
    return -1;
  }
  const digitsStart = i + 2;
  i = digitsEnd(text, digitsStart);
  if (i === digitsStart || i - digitsStart > 15) {
    return -1;
  }
  const end = text.charCodeAt(length - 2) === 115 /* s */ ? length - 2 : length - 1;
  if (end !== i + 10 || text.charCodeAt(length - 1) !== 41 /* ) */ || !isWordAt(text, ' reference', i)) {
    return -1;
  }
  return digitsValue(text, digitsStart, i);
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
  const chain = b.listChain as ParsedChain | undefined;
  if (!chain) {
    return false;
  }
  if (b.fastPaths && !NOT_PRINTABLE_ASCII.test(text)) {
    return plainListRule(b, chain, text, line, layout);
  }
  const columns = listColumns(text, layout);
  if (!columns) {
    return false;
  }
  const target = columns.target;
  // -L marks a `-g` rule with `[goto]` in its extension text.
  const goto = target !== undefined && text.includes('[goto]', columns.extensionStart);
  b.addRule(chain, line, text, columns.prot.start, target?.text, target?.start ?? -1, goto, columns.counters, columns.listedNumber, false, false, layout === undefined);
  return true;
}

const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]/;
/** The columns a row can have before its extension text, and the extension's first word. */
const MAX_COLUMNS = 11;
const WORD_STARTS = new Int32Array(MAX_COLUMNS);
const WORD_ENDS = new Int32Array(MAX_COLUMNS);
const COUNT_VALUES = new Float64Array(3);

/**
 * `listColumns` for a row of printable ASCII (blanks are then only spaces), by word offsets instead of word
 * objects: the same layout rules, the same result, for the rows that fill an `-L` dump. A test compares them.
 */
function plainListRule(b: DumpBuilder, chain: ParsedChain, text: string, line: number, layout: ListLayout | undefined): boolean {
  const length = text.length;
  let count = 0;
  for (let i = 0; count < MAX_COLUMNS; count++) {
    // Bounded: V8 optimises a loop that reads past the end (charCodeAt gives NaN) much less well.
    while (i < length && text.charCodeAt(i) === 32) {
      i++;
    }
    if (i >= length) {
      break;
    }
    WORD_STARTS[count] = i;
    const blank = text.indexOf(' ', i);
    i = blank < 0 ? length : blank;
    WORD_ENDS[count] = i;
  }
  const isOpt = (w: number): boolean => w < count && isOptColumn(text, WORD_STARTS[w], WORD_ENDS[w]);
  // The leading counter columns and their values (read once: the counters below are among them).
  let numeric = 0;
  while (numeric < 3 && numeric < count) {
    const value = countValue(text, WORD_STARTS[numeric], WORD_ENDS[numeric]);
    if (value < 0) {
      break;
    }
    COUNT_VALUES[numeric++] = value;
  }
  const hasCounters = layout?.verbose ?? numeric >= 2;
  const numbered = layout?.numbered ?? (numeric === 3 || (numeric === 1 && !hasCounters));
  let k = 0;
  let listedNumber: number | undefined;
  if (numbered) {
    listedNumber = Number(text.slice(WORD_STARTS[0], WORD_ENDS[0]));
    k = 1;
  }
  let counters: Counters | undefined;
  if (hasCounters) {
    if (k + 1 >= numeric) {
      return false; // column k or k + 1 is no counter (the leading ones end before it)
    }
    counters = newCounters(COUNT_VALUES[k], COUNT_VALUES[k + 1], countApproximate(text, WORD_ENDS[k]) || countApproximate(text, WORD_ENDS[k + 1]));
    k += 2;
  }
  let target = -1;
  if (isOpt(k + 2)) {
    target = k;
    k += 1;
  } else if (!isOpt(k + 1)) {
    return false;
  }
  const prot = k;
  k += hasCounters ? 4 : 2; // prot opt [in out]
  if (k + 1 >= count) {
    return false; // no source and destination
  }
  const extensionStart = k + 2 < count ? WORD_STARTS[k + 2] : length;
  let targetName: string | undefined;
  let targetStart = -1;
  let goto = false;
  if (target >= 0) {
    targetStart = WORD_STARTS[target];
    targetName = text.slice(targetStart, WORD_ENDS[target]);
    goto = text.includes('[goto]', extensionStart);
  }
  b.addRule(chain, line, text, WORD_STARTS[prot], targetName, targetStart, goto, counters, listedNumber, false, false, layout === undefined);
  return true;
}

/** The value of a counter column (`123`, `1445K`), -1 when the word is not one (what `parseCounterValue` reads). */
function countValue(text: string, start: number, end: number): number {
  const last = text.charCodeAt(end - 1);
  const unit = isDigit(last) ? 1 : unitValue(last);
  const numberEnd = unit === 1 ? end : end - 1;
  if (unit === 0 || numberEnd === start || digitsEnd(text, start) < numberEnd) {
    return -1;
  }
  const digits = digitsValue(text, start, numberEnd);
  return unit === 1 ? digits : digits * unit;
}

/** Whether the counter column ending at `end` has a unit (K, M …), so its value is rounded. */
function countApproximate(text: string, end: number): boolean {
  return !isDigit(text.charCodeAt(end - 1));
}

/** The value of a unit K, M, G, T, P by character code; 0 for any other character. */
function unitValue(code: number): number {
  switch (code) {
    case 75:
      return 1e3;
    case 77:
      return 1e6;
    case 71:
      return 1e9;
    case 84:
      return 1e12;
    case 80:
      return 1e15;
    default:
      return 0;
  }
}

/** The `opt` column: `--`, `-f` or `!f`. */
function isOptColumn(text: string, start: number, end: number): boolean {
  if (end - start !== 2) {
    return false;
  }
  const a = text.charCodeAt(start);
  const b = text.charCodeAt(start + 1);
  return (a === 45 && (b === 45 || b === 102)) || (a === 33 && b === 102);
}
