// Text → model: reads any mix of iptables-save, kube-proxy restore input, `iptables -S` and `iptables -L`
// output, line by line, detecting the format of each line from its shape. Never throws: a line it does
// not understand becomes a diagnostic and the rest of the file still parses.
import type { Dump, Table } from '../model/types';
import { buildIndex } from '../model/index';
import { DumpBuilder } from './builder';
import type { ParseOptions } from './builder';
import { COLUMN_HEADER, isChainHeader, parseChainHeader, parseListRule } from './list';
import type { ListLayout } from './list';
import { closeUncommitted, isSaveLine, parseSaveLine } from './save';
import { isPrintable } from './tokens';

export { ruleDetails } from './details';
export type { ParseOptions } from './builder';

/**
 * A shell prompt pasted with a dump: `root@node:~# iptables -t nat -L -n`, `$ sudo iptables-save`,
 * `[root@host ~]# …`. (A bare `# text` line is a save comment, recognised separately.)
 */
const PROMPT = /^\s*(?:[\w.-]+@[\w.-]+(?::[^\s#$]*)?\s*[#$]|\[[^\]]*\]\s*[#$]|\$|>|%)\s*(.*)$/;
const COMMAND_WORDS = /^(sudo\s+)?(ip6?tables(-nft|-legacy)?(-save)?|kubectl|ssh|bosh|docker|nsenter|crictl|cat|grep|less|head|tail)\b/;
const TABLE_OPTION = /(?:^|\s)(?:-t\s*|--table[= ])(\S+)/;

/** Splits text into lines on LF, CRLF or CR, as editors do. */
export function splitLines(text: string): string[] {
  // A plain string split is several times faster than the regular expression, and most dumps have no CR.
  return text.includes('\r') ? text.split(/\r\n|\r|\n/) : text.split('\n');
}

/** Parses a whole document. */
export function parseDump(text: string, options?: ParseOptions): Dump {
  return parseLines(splitLines(text), options);
}

/** Parses already split lines (the language server keeps them for incremental edits). */
export function parseLines(lines: string[], options?: ParseOptions): Dump {
  const b = new DumpBuilder(lines.length, undefined, options);
  const state: LineState = { listLayout: undefined };
  for (let line = 0; line < lines.length; line++) {
    parseLine(b, lines[line], line, state);
  }
  return finishParse(b);
}

/** How a long parse reports and stops: `progress` gets the share done (0..1); `cancelled` is asked between slices. */
export interface ParseControl {
  progress?: (done: number) => void;
  cancelled?: () => boolean;
  /** Lines parsed between two yields to the event loop. */
  sliceLines?: number;
}

/**
 * `parseLines` in slices, yielding to the event loop between them so a server stays responsive, reports
 * progress and can stop: resolves to undefined when cancelled.
 */
export async function parseLinesInSlices(lines: string[], control: ParseControl = {}): Promise<Dump | undefined> {
  const parse = new SlicedParse(lines);
  for (;;) {
    const dump = parse.step(control.sliceLines ?? 50_000);
    control.progress?.(parse.done);
    if (dump) {
      return dump;
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (control.cancelled?.()) {
      return undefined;
    }
  }
}

/** A parse that reads a slice of lines at a time (for progress and cancellation), or the rest at once. */
export class SlicedParse {
  private readonly b: DumpBuilder;
  private readonly state: LineState = { listLayout: undefined };
  private next = 0;
  private dump: Dump | undefined;

  constructor(private readonly lines: string[]) {
    this.b = new DumpBuilder(lines.length);
  }

  /** The share of lines read, 0..1. */
  get done(): number {
    return this.lines.length === 0 ? 1 : this.next / this.lines.length;
  }

  /** Reads up to `count` more lines; returns the dump once every line is read. */
  step(count: number): Dump | undefined {
    const end = Math.min(this.lines.length, this.next + count);
    for (let line = this.next; line < end; line++) {
      parseLine(this.b, this.lines[line], line, this.state);
    }
    this.next = end;
    if (end === this.lines.length && !this.dump) {
      this.dump = finishParse(this.b);
    }
    return this.dump;
  }

  /** Reads the remaining lines now. */
  finish(): Dump {
    return this.step(Number.POSITIVE_INFINITY)!;
  }
}

/** After the last line: open tables closed, unnamed ones named, the index built. */
function finishParse(b: DumpBuilder): Dump {
  closeUncommitted(b);
  for (const table of b.tables) {
    if (!table.name) {
      table.name = inferTableName(table);
    }
  }
  const dump = b.finish();
  buildIndex(dump, b.fastPaths ? b.resolveTarget : undefined);
  return dump;
}

/** What carries from one line to the next besides the builder: the `-L` column layout in force. */
export interface LineState {
  listLayout: ListLayout | undefined;
}

/** Reads one line into the builder, detecting its format from its shape. */
export function parseLine(b: DumpBuilder, text: string, line: number, state: LineState): void {
  const first = text.charCodeAt(0);
  if (first === 45 /* - */) {
    parseSaveLine(b, text, line); // a rule, most lines of a save dump (the checks below would all say no)
    return;
  }
  // The first character after leading spaces: most `-L` rows are indented, and what follows tells a row
  // from a blank line or a column header without a regular expression over the whole row.
  const length = text.length;
  const word = indentEnd(text);
  const wordFirst = text.charCodeAt(word);
  if (word === length || (!isPrintable(wordFirst) && /^\s*$/.test(text))) {
    b.listChain = undefined; // a blank line ends a chain's rows in -L output
    return;
  }
  if (wordFirst === 35 /* # */) {
    // After spaces too: iptables never writes that, but an editor's comment toggle puts `# ` after the indentation
    // of an `-L -v` row.
    comment(b, word === 0 ? text : text.slice(word), line);
    return;
  }
  if (isSaveLine(text)) {
    parseSaveLine(b, text, line);
    return;
  }
  if (isChainHeader(text)) {
    parseChainHeader(b, text, line);
    state.listLayout = undefined;
    return;
  }
  // A column header's first word is `num`, `pkts` or `target`.
  const columns = wordFirst === 110 /* n */ || wordFirst === 112 /* p */ || wordFirst === 116 /* t */ || !isPrintable(wordFirst) ? COLUMN_HEADER.exec(text) : null;
  if (columns) {
    state.listLayout = { numbered: columns[1] !== undefined, verbose: columns[2] !== undefined };
    if (!b.listChain) {
      b.diagnose({ line, start: 0, end: text.length }, 'warning', 'orphan-column-header', 'Column header without a `Chain …` line above it.');
    }
    return;
  }
  if (b.listChain && parseListRule(b, text, line, state.listLayout)) {
    return;
  }
  if (prompt(b, text, line)) {
    return;
  }
  unknownLine(b, text, line);
}

/** Where the leading spaces of `text` end (what `parseLine` looks past: `-L` rows are indented). */
function indentEnd(text: string): number {
  let end = 0;
  while (end < text.length && text.charCodeAt(end) === 32) {
    end++;
  }
  return end;
}

const GENERATED_BY = /^# Generated by (ip6?tables)(?:-(?:nft|legacy))?-save/;

function comment(b: DumpBuilder, text: string, line: number): void {
  const generated = GENERATED_BY.exec(text);
  if (generated) {
    b.announcedFamily = generated[1] === 'ip6tables' ? 6 : 4;
    return;
  }
  // `# iptables -t nat -L -n` is a root prompt, not a save comment: it names the table that follows.
  const command = text.slice(1).trim();
  if (COMMAND_WORDS.test(command)) {
    notePrompt(b, command, line, text);
  }
}

/**
 * Whether `parseLine` reads `text` as nothing at all, wherever it stands: a `#` comment (after spaces or none)
 * that is neither a `# Generated by …-save` header (the family of the next table) nor a root prompt (the table
 * below). Such a line always goes to `comment`, so it can be added or removed without reading any line again:
 * the lines below only move.
 */
export function isInertLine(text: string): boolean {
  const word = indentEnd(text);
  if (text.charCodeAt(word) !== 35 /* # */) {
    return false;
  }
  const comment = word === 0 ? text : text.slice(word);
  return !GENERATED_BY.test(comment) && !COMMAND_WORDS.test(comment.slice(1).trim());
}

function prompt(b: DumpBuilder, text: string, line: number): boolean {
  const match = PROMPT.exec(text);
  if (!match || (!COMMAND_WORDS.test(match[1]) && match[1] !== '')) {
    return false;
  }
  notePrompt(b, match[1], line, text);
  b.diagnose({ line, start: 0, end: text.length }, 'information', 'shell-prompt', `Shell command line, not part of the dump: ignored.`);
  return true;
}

function notePrompt(b: DumpBuilder, command: string, line: number, text: string): void {
  b.prompts.push({ line, command });
  if (/ip6?tables/.test(command)) {
    const table = TABLE_OPTION.exec(command);
    b.announcedTable = table ? table[1] : /-save/.test(command) ? undefined : 'filter';
    b.listChain = undefined;
    if (b.current && b.current.format !== 'save') {
      b.current = undefined;
    }
  }
  void text;
}

function unknownLine(b: DumpBuilder, text: string, line: number): void {
  const start = text.length - text.trimStart().length;
  const span = { line, start, end: text.length };
  const message = b.listChain
    ? unknownRowMessage(b.listChain.name)
    : 'Unrecognised line: expected an iptables-save line (*table, :CHAIN, -A …, COMMIT) or iptables -L output (Chain …, rule rows).';
  b.diagnose(span, 'error', 'unknown-line', message);
}

/** The error of a line among `-L` chain `chainName`'s rows that is no row (parse/redeclare.ts renames it with the chain). */
export function unknownRowMessage(chainName: string): string {
  return `Unrecognised line: expected a rule row of chain ${chainName} (target, prot, opt, source, destination columns).`;
}

const NAT_TARGETS = new Set(['DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'NETMAP', 'KUBE-MARK-MASQ']);

/**
 * Names a table the dump does not name, from its built-in chains (nat has PREROUTING, INPUT, OUTPUT and
 * POSTROUTING; mangle all five; raw PREROUTING and OUTPUT; filter INPUT, FORWARD, OUTPUT), or for an
 * excerpt from what its rules do.
 */
export function inferTableName(table: Table): string {
  const has = (name: string): boolean => table.chains.get(name)?.declaration !== undefined && table.chains.get(name)?.declaredBy !== 'first-rule';
  if (has('PREROUTING') && has('FORWARD')) {
    return 'mangle';
  }
  if (has('POSTROUTING')) {
    return 'nat';
  }
  if (has('PREROUTING')) {
    return 'raw';
  }
  if (has('INPUT') || has('FORWARD') || has('OUTPUT')) {
    return 'filter';
  }
  for (const chain of table.chains.values()) {
    if (/^KUBE-(SVC|SEP|SVL|EXT|FW|XLB|MARK-MASQ|POSTROUTING)/.test(chain.name) || /^(PREROUTING|POSTROUTING)$/.test(chain.name)) {
      return 'nat';
    }
    for (const rule of chain.rules) {
      if (rule.targetName !== undefined && NAT_TARGETS.has(rule.targetName)) {
        return 'nat';
      }
    }
  }
  return 'filter';
}
