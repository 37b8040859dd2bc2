// Re-reads edited lines into an existing model when the edit changes rules only (typing in a rule, the
// common case), so a keystroke in a 500,000-line dump costs the parse of a line instead of the file's. Edits
// that add or remove whole lines are followed too when they are blank lines, or rules inserted among or
// removed from a table's rules: the lines below move (one pass of number updates) and the rules are added to
// or taken from their chain. Anything else (a declaration, a table header, a line that stops or starts being
// a rule, a rule moving to another chain) is not local: the caller parses the whole text again.
import { indexRule, unreferencedHint } from '../model/index';
import type { Chain, Dump, Rule, Span, Table } from '../model/types';
import { DumpBuilder, ParsedChain } from './builder';
import { parseLine } from './index';
import { isChainHeader } from './list';

/**
 * Re-reads lines `first..last` of `lines` (already edited; the edit kept the line count) into `dump`, which is
 * changed in place. Returns false when the edit is not local to those rules; `dump` is then unusable and the
 * caller must parse again.
 */
export function patchRuleLines(dump: Dump, lines: readonly string[], first: number, last: number): boolean {
  if (lines.length !== dump.lineCount || first < 0 || last >= lines.length || first > last) {
    return false;
  }
  const oldRules: Rule[] = [];
  for (let line = first; line <= last; line++) {
    const owner = dump.lineOwners[line];
    if (owner === undefined || !('bodyStart' in owner) || owner.insert) {
      return false;
    }
    const declaration = owner.chain.declaration;
    if ((declaration && declaration.line >= first && declaration.line <= last) || owner.chain.rules[owner.position - 1] !== owner) {
      return false;
    }
    oldRules.push(owner);
  }
  // `undeclared-chain` depends on the lines above (a rule read before its chain's `:CHAIN` line): re-reading the
  // line alone, after the declaration was seen, would lose it.
  if (dump.diagnostics.some((d) => d.code === 'undeclared-chain' && d.span.line >= first && d.span.line <= last)) {
    return false;
  }
  const touched = new Set<Chain>();
  dump.diagnostics = dump.diagnostics.filter((d) => d.span.line < first || d.span.line > last);
  const b = new DumpBuilder(dump.lineCount, dump);
  for (const old of oldRules) {
    const table = old.table;
    const chain = old.chain;
    if (old.targetName !== undefined) {
      const targetChain = table.chains.get(old.targetName);
      if (targetChain) {
        const at = targetChain.referencedBy.indexOf(old);
        if (at >= 0) {
          targetChain.referencedBy.splice(at, 1);
        }
        touched.add(targetChain);
      }
    }
    dump.lineOwners[old.line] = undefined;
    const rule = readRuleLine(b, dump, lines[old.line], old.line, table, old);
    if (rule === undefined || rule.chain !== chain) {
      return false;
    }
    // addRule appended it: put it where the old rule was.
    chain.rules.pop();
    chain.rules[old.position - 1] = rule;
    rule.position = old.position;
    const targetChain = indexRule(dump, rule);
    if (targetChain) {
      touched.add(targetChain);
    }
  }
  for (const diagnostic of b.diagnostics) {
    dump.diagnostics.push(diagnostic); // not push(...): a pasted block can bring more than a call's arguments
  }
  updateUnreferencedHints(dump, touched);
  return true;
}

/**
 * Where the lines of an edit that adds or removes whole lines go: `removed` lines from `start` are gone, and
 * `inserted` new lines take their place, so every later line moves by `inserted - removed`.
 */
export class LineShift {
  constructor(
    readonly start: number,
    readonly removed: number,
    readonly inserted: number,
  ) {}

  get delta(): number {
    return this.inserted - this.removed;
  }

  /** Whether `line` (before the edit) was removed. */
  isRemoved(line: number): boolean {
    return line >= this.start && line < this.start + this.removed;
  }

  /** `line` (before the edit) after it; -1 for a removed line. */
  line(line: number): number {
    return line < this.start ? line : line < this.start + this.removed ? -1 : line + this.inserted - this.removed;
  }

  /**
   * Moves the spans `visit` gives (to `each`) to their lines after the edit; a removed line becomes -1. Spans are
   * shared (a redeclaration is also a diagnostic's span; the kube analysis shares endpoint spans between its
   * maps), so a span to move is first marked with its new line encoded below -1 (a span met again is seen to be
   * done), and the marks are decoded once the walk is over. Cheaper than a set of the spans moved: hundreds of
   * thousands of objects in a 20,000-service analysis.
   */
  moveSpans(visit: (each: (span: Span | undefined) => void) => void): void {
    const marked: Span[] = [];
    visit((span) => {
      if (span !== undefined && span.line >= this.start) {
        span.line = -2 - this.line(span.line); // a removed line's -1 stays -1
        marked.push(span);
      }
    });
    for (const span of marked) {
      if (span.line < -1) {
        span.line = -2 - span.line;
      }
    }
  }
}

/** What parseLine reads as a blank line (it only ends a `-L` chain's rows). */
export function isBlankLine(text: string): boolean {
  return /^\s*$/.test(text);
}

/**
 * Moves every line number the model holds by `shift` (whose removed lines must own nothing any more) and
 * makes room in `lineOwners`: rules, declarations, chain and table ranges, table headers, diagnostics and
 * prompts. Returns false when the model holds something this cannot move (then it is unusable).
 */
function shiftModel(dump: Dump, shift: LineShift): boolean {
  const { start, removed, inserted } = shift;
  const delta = shift.delta;
  const owners = dump.lineOwners;
  for (let line = start + removed; line < owners.length; line++) {
    const owner = owners[line];
    if (owner !== undefined && 'bodyStart' in owner) {
      owner.line += delta;
    }
  }
  for (const table of dump.tables) {
    if (table.endLine < start) {
      continue;
    }
    table.startLine = shift.line(table.startLine);
    table.endLine = shift.line(table.endLine);
    for (const chain of table.chains.values()) {
      if (chain.endLine < start) {
        continue; // its declaration and redeclarations are above its end line
      }
      const declaration = chain.declaration;
      if (declaration !== undefined && declaration.line >= start) {
        if (!(chain instanceof ParsedChain) || chain.declaredBy === undefined) {
          return false;
        }
        chain.declareAt(shift.line(declaration.line), declaration.start, declaration.end, chain.declaredBy);
      }
      chain.endLine = shift.line(chain.endLine);
    }
  }
  shift.moveSpans((each) => {
    for (const table of dump.tables) {
      each(table.header);
      for (const chain of table.chains.values()) {
        chain.redeclarations.forEach(each);
      }
    }
    for (const diagnostic of dump.diagnostics) {
      each(diagnostic.span);
    }
  });
  for (const prompt of dump.prompts) {
    prompt.line = shift.line(prompt.line);
  }
  if (removed > 0) {
    owners.splice(start, removed);
  }
  if (inserted > 0) {
    owners.splice(start, 0, ...new Array<undefined>(inserted).fill(undefined));
  }
  dump.lineCount += delta;
  return true;
}

/**
 * Whether a blank line at `line` of `lines` (a text with or without it: the lines before and after it are the
 * same) changes nothing in how the other lines read. A blank line ends a `-L` chain's rows and does nothing
 * else, so it changes nothing when no chain's rows are open before it (the line above is blank, or belongs to a
 * save or -S table: reading such a line closes any `-L` chain), or when the next line ends them anyway (a blank
 * line, a `Chain` header, the end of the text).
 */
function blankChangesNothing(dump: Dump, lines: readonly string[], above: number, below: number): boolean {
  if (above < 0 || isBlankLine(lines[above])) {
    return true;
  }
  const owner = dump.lineOwners[above];
  if (owner !== undefined) {
    const table = 'bodyStart' in owner || 'rules' in owner ? owner.table : owner;
    if (table.format !== 'list') {
      return true;
    }
  }
  return below >= lines.length || isBlankLine(lines[below]) || isChainHeader(lines[below]);
}

/**
 * Inserts `count` lines at `at` into `dump` (the model of the text before the edit; `lines` is the text after
 * it): blank lines, or rule lines that each follow a rule of the same table (a save rule may also follow a
 * `:CHAIN` declaration) and go to an existing, declared chain of that table without `-I` rules. Returns the
 * inserted rules (none for blank lines), or undefined when the edit is not this (then `dump` may be unusable
 * and the caller parses again).
 */
export function insertLines(dump: Dump, lines: readonly string[], at: number, count: number): Rule[] | undefined {
  if (lines.length !== dump.lineCount + count || count <= 0 || at < 0 || at + count > lines.length) {
    return undefined;
  }
  const inserted = lines.slice(at, at + count);
  if (inserted.every(isBlankLine)) {
    if (!blankChangesNothing(dump, lines, at - 1, at + count)) {
      return undefined;
    }
    return shiftModel(dump, new LineShift(at, 0, count)) ? [] : undefined;
  }
  if (inserted.some(isBlankLine)) {
    return undefined;
  }
  if (!shiftModel(dump, new LineShift(at, 0, count))) {
    return undefined;
  }
  const rules: Rule[] = [];
  const touched = new Set<Chain>();
  const b = new DumpBuilder(dump.lineCount, dump);
  for (let line = at; line < at + count; line++) {
    const above = dump.lineOwners[line - 1];
    if (above === undefined) {
      return undefined;
    }
    const aboveRule = 'bodyStart' in above ? above : undefined;
    const table = 'bodyStart' in above || 'rules' in above ? above.table : undefined;
    // After a rule the table is open (its reading state is that of the rule's line); after a declaration only
    // in save format (an -S `-P` block or a `-L` header's column layout would read the line differently).
    if (table === undefined || (aboveRule === undefined && table.format !== 'save')) {
      return undefined;
    }
    const diagnosticsBefore = b.diagnostics.length;
    const rule = readRuleLine(b, dump, lines[line], line, table, aboveRule);
    if (rule === undefined || rule.table !== table || b.diagnostics.slice(diagnosticsBefore).some((d) => d.span.line !== line)) {
      return undefined;
    }
    const chain = rule.chain;
    const declaration = chain.declaration;
    if (declaration === undefined || declaration.line >= line || chain.rules.some((r) => r.insert)) {
      return undefined;
    }
    // addRule appended it: put it among the chain's rules by line (a chain without -I rules is in line order).
    chain.rules.pop();
    let place = chain.rules.length;
    while (place > 0 && chain.rules[place - 1].line > line) {
      place--;
    }
    chain.rules.splice(place, 0, rule);
    for (let i = place; i < chain.rules.length; i++) {
      chain.rules[i].position = i + 1;
    }
    const targetChain = indexRule(dump, rule);
    if (targetChain) {
      touched.add(targetChain);
    }
    rules.push(rule);
  }
  for (const diagnostic of b.diagnostics) {
    dump.diagnostics.push(diagnostic);
  }
  updateUnreferencedHints(dump, touched);
  return rules;
}

/**
 * Removes lines `at..at + count - 1` from `dump` (the model of the text before the edit; `before` is that
 * text, `after` the text after it): blank lines, or rules of save, -S or -L chains without `-I` rules that are
 * neither the first nor the last line of their table, of chains declared above them. Returns the removed rules
 * (none for blank lines), or undefined when the edit is not this (then `dump` may be unusable and the caller
 * parses again).
 */
export function removeLines(
  dump: Dump,
  before: readonly string[],
  after: readonly string[],
  at: number,
  count: number,
): Rule[] | undefined {
  if (before.length !== dump.lineCount || after.length !== before.length - count || count <= 0 || at < 0 || at + count > before.length) {
    return undefined;
  }
  const removed = before.slice(at, at + count);
  if (removed.every(isBlankLine)) {
    if (!blankChangesNothing(dump, after, at - 1, at)) {
      return undefined;
    }
    return shiftModel(dump, new LineShift(at, count, 0)) ? [] : undefined;
  }
  const rules: Rule[] = [];
  for (let line = at; line < at + count; line++) {
    const owner = dump.lineOwners[line];
    if (owner === undefined || !('bodyStart' in owner)) {
      return undefined;
    }
    const chain = owner.chain;
    const table = owner.table;
    const declaration = chain.declaration;
    if (
      declaration === undefined ||
      declaration.line >= owner.line ||
      table.startLine >= owner.line ||
      table.endLine <= owner.line ||
      chain.rules[owner.position - 1] !== owner ||
      chain.rules.some((r) => r.insert)
    ) {
      return undefined;
    }
    rules.push(owner);
  }
  const touched = new Set<Chain>();
  for (const rule of rules) {
    const chain = rule.chain;
    const targetChain = rule.targetName === undefined ? undefined : rule.table.chains.get(rule.targetName);
    if (targetChain) {
      const callers = targetChain.referencedBy;
      const place = callers.indexOf(rule);
      if (place < 0) {
        return undefined;
      }
      callers.splice(place, 1);
      touched.add(targetChain);
    }
    chain.rules.splice(rule.position - 1, 1);
    for (let i = rule.position - 1; i < chain.rules.length; i++) {
      chain.rules[i].position = i + 1;
    }
    if (chain.endLine === rule.line) {
      // The chain's lines: its declarations and its rules (the rules above its declaration were ruled out).
      let end = chain.declaration!.line;
      for (const span of chain.redeclarations) {
        end = Math.max(end, span.line);
      }
      for (const r of chain.rules) {
        end = Math.max(end, r.line);
      }
      chain.endLine = end;
    }
    dump.lineOwners[rule.line] = undefined;
  }
  // What the parser said about the removed lines goes with them.
  dump.diagnostics = dump.diagnostics.filter((d) => d.span.line < at || d.span.line >= at + count);
  updateUnreferencedHints(dump, touched);
  return shiftModel(dump, new LineShift(at, count, 0)) ? rules : undefined;
}

/** Adds or removes the `unreferenced-chain` hint of each chain whose callers changed. */
function updateUnreferencedHints(dump: Dump, touched: Iterable<Chain>): void {
  for (const chain of touched) {
    const declaration = chain.declaration;
    const hintAt = declaration
      ? dump.diagnostics.findIndex(
          (d) => d.code === 'unreferenced-chain' && d.span.line === declaration.line && d.span.start === declaration.start,
        )
      : -1;
    const hint = unreferencedHint(chain);
    if (hint && hintAt < 0) {
      dump.diagnostics.push(hint);
    } else if (!hint && hintAt >= 0) {
      dump.diagnostics.splice(hintAt, 1);
    }
  }
}

/**
 * Reads `text` at `line` as a line of `table`, in the parse state a line after `neighbour` (a rule of the same
 * table) has: the table open (save, -S), or the rows of `neighbour`'s chain (-L) with their column layout. The rule
 * it makes, or undefined when the line is no plain rule there (not a rule, an -I, or it opened or declared
 * something: not a local change).
 */
function readRuleLine(b: DumpBuilder, dump: Dump, text: string, line: number, table: Table, neighbour: Rule | undefined): Rule | undefined {
  const tablesBefore = dump.tables.length;
  const promptsBefore = dump.prompts.length;
  const committed = table.committed;
  b.current = table;
  b.listChain = table.format === 'list' ? neighbour?.chain : undefined;
  if (committed === true) {
    table.committed = false;
  }
  parseLine(b, text, line, {
    listLayout:
      table.format === 'list' && neighbour !== undefined
        ? { numbered: neighbour.listedNumber !== undefined, verbose: neighbour.counters !== undefined }
        : undefined,
  });
  table.committed = committed;
  const rule = dump.lineOwners[line];
  if (
    rule === undefined ||
    !('bodyStart' in rule) ||
    rule.insert ||
    b.chainsCreated > 0 ||
    b.declarations > 0 ||
    dump.tables.length !== tablesBefore ||
    dump.prompts.length !== promptsBefore
  ) {
    return undefined;
  }
  return rule;
}
