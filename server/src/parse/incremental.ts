// Re-reads edited lines into an existing model when the edit changes rules only (typing in a rule, the
// common case), so a keystroke in a 500,000-line dump costs the parse of a line instead of the file's. Edits
// that add or remove whole lines are followed too when they are blank lines, or rules inserted among or
// removed from a table's rules (or both: a rule line split in two by Enter, two joined by Backspace; with lines
// no reader takes among them in a save table): the lines below move (one pass of number updates) and the rules
// are added to or taken from their chain. In `-L` output, where a blank line ends a chain's rows (the rows below it are
// no chain's), an edit among a chain's rows re-reads that chain's rows, from its `Chain` header to the next
// one (`planListRows`). A line retyped in a save table (a rule typed on an empty line, a rule's chain name edited)
// is removed and inserted again, and a chain its rule makes or empties is made or dropped where a fresh parse would.
// Anything else (a declaration, a table header) is not local: the caller parses the whole text again.
import { isBuiltinTarget } from '../model/builtinTargets';
import { indexRules, unreferencedHint } from '../model/index';
import type { Chain, Dump, DumpDiagnostic, Rule, Span, Table } from '../model/types';
import { DumpBuilder, ParsedChain, readUnderColumnHeader } from './builder';
import { isInertLine, parseLine } from './index';
import type { LineState } from './index';
import { COLUMN_HEADER, isChainHeader, listColumns } from './list';
import { isSaveLine } from './save';

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
  removeCallers(oldRules, touched);
  const newRules: Rule[] = [];
  for (const old of oldRules) {
    const table = old.table;
    const chain = old.chain;
    dump.lineOwners[old.line] = undefined;
    const rule = readRuleLine(b, dump, lines[old.line], old.line, table, old);
    if (rule === undefined || rule.chain !== chain) {
      return false;
    }
    // addRule appended it: put it where the old rule was.
    chain.rules.pop();
    chain.rules[old.position - 1] = rule;
    rule.position = old.position;
    newRules.push(rule);
  }
  indexRules(dump, newRules, touched);
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
    for (let i = 0; i < marked.length; i++) {
      const span = marked[i];
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
  const move = (line: number): number => shift.line(line);
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
    // forEach, not for…of: the iterator's results were megabytes of garbage per edit at 20,000 services.
    let movable = true;
    table.chains.forEach((chain) => {
      if (!movable || chain.endLine < start) {
        return; // its declaration and redeclarations are above its end line
      }
      if (chain instanceof ParsedChain) {
        chain.moveDeclaration(start, move);
      } else if ((chain.declaration?.line ?? -1) >= start) {
        movable = false;
        return;
      }
      chain.endLine = shift.line(chain.endLine);
    });
    if (!movable) {
      return false;
    }
  }
  shift.moveSpans((each) => {
    for (const table of dump.tables) {
      each(table.header);
      table.chains.forEach((chain) => chain.redeclarations.forEach(each));
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
  // Comments are read as nothing: what counts is the line beyond them.
  while (above >= 0 && isInertLine(lines[above])) {
    above--;
  }
  while (below < lines.length && isInertLine(lines[below])) {
    below++;
  }
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
 * it): rule lines that each follow a rule of the same table (a save rule may also follow a `:CHAIN`
 * declaration) and go to an existing, declared chain of that table without `-I` rules, or to a chain they make
 * where a fresh parse would make it too (`isNewLastChain`: a chain name being typed); and in a save table blank
 * lines and lines read as nothing but an error (`NOTHING_ELSE_READ`), which leave the reading state as it was.
 * The chains made go into `chainsChanged`. Returns the inserted rules, or undefined when the edit is not this
 * (then `dump` may be unusable and the caller parses again).
 */
function insertLines(dump: Dump, lines: readonly string[], at: number, count: number, chainsChanged: Set<Chain>): Rule[] | undefined {
  if (lines.length !== dump.lineCount + count || count <= 0 || at < 0 || at + count > lines.length) {
    return undefined;
  }
  if (!shiftModel(dump, new LineShift(at, 0, count))) {
    return undefined;
  }
  const rules: Rule[] = [];
  /** The rules read, by chain (in line order), each chain checked once for `-I` rules. */
  const added = new Map<Chain, Rule[]>();
  const b = new DumpBuilder(dump.lineCount, dump);
  /** Chains a new rule made (its chain was not declared: a chain name being typed). */
  const created = new Set<Chain>();
  // The line whose reading state a new line is read in: the one above it, or above the new lines no reader took,
  // past any comments (read as nothing).
  let aboveLine = at - 1;
  while (aboveLine >= 0 && isInertLine(lines[aboveLine])) {
    aboveLine--;
  }
  let above = aboveLine < 0 ? undefined : dump.lineOwners[aboveLine];
  for (let line = at; line < at + count; line++) {
    if (isInertLine(lines[line])) {
      continue; // read as nothing, wherever it is: the next line reads as if it were not there
    }
    if (above === undefined) {
      return undefined;
    }
    if (isBlankLine(lines[line])) {
      // Read as nothing in a save table (in `-L` output it would end a chain's rows).
      if (!(('bodyStart' in above || 'rules' in above) && above.table.format === 'save')) {
        return undefined;
      }
      continue;
    }
    const aboveRule = 'bodyStart' in above ? above : undefined;
    const table = 'bodyStart' in above || 'rules' in above ? above.table : undefined;
    // After a rule the table is open (its reading state is that of the rule's line); after a declaration only
    // in save format (an -S `-P` block or a `-L` header's column layout would read the line differently).
    if (table === undefined || (aboveRule === undefined && table.format !== 'save')) {
      return undefined;
    }
    const diagnosticsBefore = b.diagnostics.length;
    const tablesBefore = dump.tables.length;
    const promptsBefore = dump.prompts.length;
    const chainsBefore = b.chainsCreated;
    const rule = readRuleLine(b, dump, lines[line], line, table, aboveRule, created);
    if (rule === undefined) {
      // A line read as nothing but an error (`NOTHING_ELSE_READ`), and nothing else read or changed.
      const unknown =
        table.format === 'save' &&
        dump.lineOwners[line] === undefined &&
        b.chainsCreated === chainsBefore &&
        b.declarations === 0 &&
        dump.tables.length === tablesBefore &&
        dump.prompts.length === promptsBefore &&
        b.diagnostics.length === diagnosticsBefore + 1 &&
        NOTHING_ELSE_READ.has(b.diagnostics[diagnosticsBefore].code) &&
        b.diagnostics[diagnosticsBefore].span.line === line;
      if (!unknown) {
        return undefined;
      }
      continue;
    }
    if (rule.table !== table || b.diagnostics.slice(diagnosticsBefore).some((d) => d.span.line !== line)) {
      return undefined;
    }
    const chain = rule.chain;
    const declaration = chain.declaration;
    if (declaration === undefined || (declaration.line >= line && !created.has(chain))) {
      return undefined;
    }
    chain.rules.pop(); // addRule appended it: it goes among the chain's rules by line, below
    const ofChain = added.get(chain);
    if (ofChain !== undefined) {
      ofChain.push(rule);
    } else if (chain.rules.some((r) => r.insert)) {
      return undefined;
    } else {
      added.set(chain, [rule]);
    }
    rules.push(rule);
    above = rule;
  }
  // Each chain's rules and new rules merged by line (a chain without -I rules is in line order), and numbered, in
  // one pass per chain: a splice per rule is quadratic when thousands of lines are pasted into one chain.
  added.forEach((ofChain, chain) => {
    const merged: Rule[] = [];
    let i = 0;
    let j = 0;
    while (i < chain.rules.length || j < ofChain.length) {
      const rule = j === ofChain.length || (i < chain.rules.length && chain.rules[i].line < ofChain[j].line) ? chain.rules[i++] : ofChain[j++];
      rule.position = merged.length + 1;
      merged.push(rule);
    }
    chain.rules = merged;
  });
  const touched = new Set<Chain>();
  indexRules(dump, rules, touched);
  for (const diagnostic of b.diagnostics) {
    dump.diagnostics.push(diagnostic);
  }
  created.forEach((chain) => {
    touched.add(chain); // a new chain nothing jumps to has its hint
    chainsChanged.add(chain);
  });
  updateUnreferencedHints(dump, touched);
  return rules;
}

/**
 * Removes lines `at..at + count - 1` from `dump` (the model of the text before the edit; `above` is the text
 * after it, the same above `at`): rules of save, -S or -L chains without `-I` rules that are neither the first
 * nor the last line of their table, of chains declared above them or made by their first rule (such a chain
 * goes, into `chainsChanged`, when all its rules go), and in a save table blank lines and lines no reader took
 * (`isQuietSaveLine`). Returns the removed rules, or undefined when the edit is not this (then `dump` may be
 * unusable and the caller parses again). Blank lines elsewhere are `editLines`' to follow.
 */
function removeLines(dump: Dump, at: number, texts: readonly string[], above: readonly string[], chainsChanged: Set<Chain>): Rule[] | undefined {
  const count = texts.length;
  if (count <= 0 || at < 0 || at + count > dump.lineCount) {
    return undefined;
  }
  const rules: Rule[] = [];
  /** The chains the rules are taken from, each checked once for `-I` rules. */
  const chains = new Set<Chain>();
  /** Chains their first rule made (no declaration), that go if all their rules go. */
  const undeclared = new Set<Chain>();
  const textOf = (line: number): string => (line < at ? above[line] : texts[line - at]);
  for (let line = at; line < at + count; line++) {
    const owner = dump.lineOwners[line];
    if (owner === undefined && (isInertLine(texts[line - at]) || isQuietSaveLine(dump, line, textOf))) {
      continue;
    }
    if (owner === undefined || !('bodyStart' in owner)) {
      return undefined;
    }
    const chain = owner.chain;
    const table = owner.table;
    const declaration = chain.declaration;
    const madeHere = chain.declaredBy === 'first-rule' && declaration?.line === owner.line && table.format === 'save';
    if (madeHere) {
      undeclared.add(chain);
    }
    if (
      declaration === undefined ||
      (declaration.line >= owner.line && !madeHere) ||
      table.startLine >= owner.line ||
      table.endLine <= owner.line ||
      chain.rules[owner.position - 1] !== owner
    ) {
      return undefined;
    }
    if (!chains.has(chain)) {
      if (chain.rules.some((r) => r.insert)) {
        return undefined;
      }
      chains.add(chain);
    }
    rules.push(owner);
  }
  const gone = new Set(rules);
  // A chain made by its first rule goes with all its rules (a fresh parse would not make it), or it cannot go.
  for (const chain of undeclared) {
    if (chain.referencedBy.length > 0 || !chain.rules.every((rule) => gone.has(rule))) {
      return undefined;
    }
  }
  // Every step is one pass per chain, not one per rule: deleting thousands of lines at once stays linear.
  const touched = new Set<Chain>();
  if (!removeCallers(rules, touched)) {
    return undefined;
  }
  for (const chain of chains) {
    let kept = 0;
    for (const rule of chain.rules) {
      if (!gone.has(rule)) {
        rule.position = kept + 1;
        chain.rules[kept++] = rule;
      }
    }
    chain.rules.length = kept;
    if (chain.endLine >= at && chain.endLine < at + count) {
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
  }
  for (const rule of rules) {
    dump.lineOwners[rule.line] = undefined;
  }
  for (const chain of undeclared) {
    chain.table.chains.delete(chain.name);
    touched.delete(chain);
    chainsChanged.add(chain);
  }
  // What the parser said about the removed lines goes with them (an undeclared chain's error and hint among them).
  dump.diagnostics = dump.diagnostics.filter((d) => d.span.line < at || d.span.line >= at + count);
  updateUnreferencedHints(dump, touched);
  return shiftModel(dump, new LineShift(at, count, 0)) ? rules : undefined;
}

/**
 * Whether `line` (its text and those above it from `textOf`) owns nothing and is blank or read as nothing but one of
 * the errors of `NOTHING_ELSE_READ`, and the nearest line above it that is not such a line is a rule or declaration of
 * a save table (so no `-L` chain's rows were open): removing it changes nothing in how the lines after it read.
 */
function isQuietSaveLine(dump: Dump, line: number, textOf: (line: number) => string): boolean {
  for (let l = line; l >= 0; l--) {
    const owner = dump.lineOwners[l];
    if (owner !== undefined) {
      return l < line && ('bodyStart' in owner || 'rules' in owner) && owner.table.format === 'save';
    }
    if (!isBlankLine(textOf(l)) && !dump.diagnostics.some((d) => NOTHING_ELSE_READ.has(d.code) && d.span.line === l)) {
      return false;
    }
  }
  return false;
}

/**
 * The errors of lines a save table's reader reads as nothing else: text no reader takes (unknownLine's error, the
 * parser's last resort), a command it does not know, an `-A` without its chain (a rule being typed), a `:` line that
 * is no declaration (yet: one being typed).
 */
export const NOTHING_ELSE_READ: ReadonlySet<string> = new Set(['unknown-line', 'unknown-command', 'missing-chain', 'bad-declaration']);

/** Adds or removes the `unreferenced-chain` hint of each chain whose callers changed. */
export function updateUnreferencedHints(dump: Dump, touched: ReadonlySet<Chain>): void {
  if (touched.size === 0) {
    return;
  }
  // The hints there are, by place: one pass over the diagnostics, not one per chain (an edit that takes the jumps
  // out of thousands of service chains leaves thousands of endpoint chains unreferenced).
  const hints = new Map<string, DumpDiagnostic>();
  for (const d of dump.diagnostics) {
    if (d.code === 'unreferenced-chain') {
      hints.set(`${d.span.line}:${d.span.start}`, d);
    }
  }
  const stale = new Set<DumpDiagnostic>();
  for (const chain of touched) {
    const declaration = chain.declaration;
    const existing = declaration ? hints.get(`${declaration.line}:${declaration.start}`) : undefined;
    const hint = unreferencedHint(chain);
    if (hint && existing === undefined) {
      dump.diagnostics.push(hint);
    } else if (!hint && existing !== undefined) {
      stale.add(existing);
    }
  }
  if (stale.size > 0) {
    dump.diagnostics = dump.diagnostics.filter((d) => !stale.has(d));
  }
}

/**
 * Reads `text` at `line` as a line of `table`, in the parse state a line after `neighbour` (a rule of the same
 * table) has: the table open (save, -S), or the rows of `neighbour`'s chain (-L) with their column layout. The rule
 * it makes, or undefined when the line is no plain rule there (not a rule, an -I, or it opened or declared
 * something: not a local change).
 */
function readRuleLine(
  b: DumpBuilder,
  dump: Dump,
  text: string,
  line: number,
  table: Table,
  neighbour: Rule | undefined,
  created?: Set<Chain>,
): Rule | undefined {
  const tablesBefore = dump.tables.length;
  const promptsBefore = dump.prompts.length;
  const chainsBefore = b.chainsCreated;
  const committed = table.committed;
  b.current = table;
  b.listChain = table.format === 'list' ? neighbour?.chain : undefined;
  if (committed === true) {
    table.committed = false;
  }
  parseLine(b, text, line, {
    // The column header `neighbour` was read under, if one was (none: the columns are guessed from the line).
    listLayout:
      table.format === 'list' && neighbour !== undefined && readUnderColumnHeader(neighbour)
        ? { numbered: neighbour.listedNumber !== undefined, verbose: neighbour.counters !== undefined }
        : undefined,
  });
  table.committed = committed;
  const rule = dump.lineOwners[line];
  if (
    rule === undefined ||
    !('bodyStart' in rule) ||
    rule.insert ||
    b.declarations > 0 ||
    dump.tables.length !== tablesBefore ||
    dump.prompts.length !== promptsBefore
  ) {
    return undefined;
  }
  if (b.chainsCreated !== chainsBefore) {
    // (Not one named after a built-in target: the jumps to MARK, DNAT … would go to it, and no diagnostic marks them.)
    if (created === undefined || b.chainsCreated !== chainsBefore + 1 || !isNewLastChain(dump, rule, line) || isBuiltinTarget(rule.chain.name)) {
      return undefined;
    }
    created.add(rule.chain);
  }
  return rule;
}

/**
 * Whether `rule`'s chain, which reading it at `line` has just made (its chain was not declared), is where a fresh
 * parse would make it: last in its table's chains (made in line order), after every other chain, made above `line`,
 * and no rule of the table jumps to a chain of that name (which a fresh parse would give it).
 */
function isNewLastChain(dump: Dump, rule: Rule, line: number): boolean {
  const chain = rule.chain;
  const table = chain.table;
  if (chain.declaredBy !== 'first-rule' || chain.declaration?.line !== line || table.format !== 'save') {
    return false;
  }
  let last: Chain | undefined;
  let before: Chain | undefined;
  for (const other of table.chains.values()) {
    before = last;
    last = other;
  }
  const made = before === undefined ? -1 : (before.declaration?.line ?? Number.POSITIVE_INFINITY);
  return (
    last === chain &&
    made < line &&
    !dump.diagnostics.some((d) => {
      if (d.code !== 'undefined-chain' && d.code !== 'not-in-excerpt') {
        return false;
      }
      const jumping = dump.lineOwners[d.span.line];
      return jumping !== undefined && 'bodyStart' in jumping && jumping.table === table && jumping.targetName === chain.name;
    })
  );
}

/**
 * What an edit followed in place changed among the rules, for the kube analysis: the lines (after the edit)
 * whose rule was re-read, added, or left its chain (the line stays), each with the rule it held before
 * (undefined: none); and the rules of the lines the edit removed.
 */
export interface RuleChanges {
  changed: Map<number, Rule | undefined>;
  removed: Rule[];
}

/**
 * How `editLines` followed an edit: blank lines moved the lines below, rules (or lines no reader takes) inserted,
 * removed, or removed and others inserted in their place, `-L` rows re-read.
 */
export type LinesEdit = RuleChanges & {
  edit: 'blank-lines' | 'comment-lines' | 'rules-inserted' | 'rules-removed' | 'lines-replaced' | 'list-rows';
  /** The chains made or dropped (a chain name typed in a rule), if any: the kube analysis follows them too. */
  chainsChanged?: ReadonlySet<Chain>;
};

/**
 * Follows in `dump` (the model of the text before the edit) an edit that replaced the lines from `at` (whose texts
 * were `removedTexts`) by `inserted` lines (`after` is the text after it; the caller may have edited the text
 * before it in place): blank lines that change nothing, the rows of one `-L` chain, rules inserted or removed.
 * Returns what changed among the rules, or undefined when the edit is none of these (then `dump` may be unusable
 * and the caller parses again).
 */
export function editLines(
  dump: Dump,
  after: readonly string[],
  at: number,
  removedTexts: readonly string[],
  inserted: number,
): LinesEdit | undefined {
  const removed = removedTexts.length;
  if (after.length !== dump.lineCount - removed + inserted) {
    return undefined;
  }
  // Lines the parser reads as nothing, blank lines (where they change nothing) and comments, added, removed or put
  // in each other's place: Enter, `#` typed on an empty line, a note pasted, a comment edited. The lines below move,
  // if the count changed, and nothing is read again.
  const quiet = [...removedTexts, ...after.slice(at, at + inserted)];
  const comments = quiet.some(isInertLine);
  if (
    (comments || removed === 0 || inserted === 0) &&
    quiet.every((text) => isBlankLine(text) || isInertLine(text)) &&
    (quiet.every(isInertLine) || blankChangesNothing(dump, after, at - 1, at + inserted))
  ) {
    const moved = removed === inserted || shiftModel(dump, new LineShift(at, removed, inserted));
    return moved ? { edit: comments ? 'comment-lines' : 'blank-lines', changed: new Map(), removed: [] } : undefined;
  }
  const rows = planListRows(dump, after, at, removedTexts, inserted);
  if (rows !== undefined) {
    const changes = applyListRows(dump, rows);
    return changes && { edit: 'list-rows', ...changes };
  }
  // A rule line split in two (Enter typed inside it) or two lines joined, a line retyped: the old lines removed, the
  // new ones inserted.
  const chainsChanged = new Set<Chain>();
  const gone = removed > 0 ? removeLines(dump, at, removedTexts, after, chainsChanged) : [];
  if (gone === undefined) {
    return undefined;
  }
  const added = inserted > 0 ? insertLines(dump, after, at, inserted, chainsChanged) : [];
  if (added === undefined) {
    return undefined;
  }
  const edit = removed === 0 ? 'rules-inserted' : inserted === 0 ? 'rules-removed' : 'lines-replaced';
  return { edit, changed: new Map(added.map((rule) => [rule.line, undefined])), removed: gone, chainsChanged };
}

/**
 * Whether lines `first..last` of `lines` (edited in place) are rows of `-L` chains that still read as rows, with the
 * column layout of the row they replace (its column header's, or guessed from the line as before): what
 * `patchRuleLines` follows. An edit that makes a row no row (a blank
 * line, text that does not fill the columns) goes to `editListRows` instead.
 */
export function rowsStayRows(dump: Dump, lines: readonly string[], first: number, last: number): boolean {
  for (let line = first; line <= last; line++) {
    const owner = dump.lineOwners[line];
    if (owner === undefined || !('bodyStart' in owner) || owner.format !== 'list') {
      return false;
    }
    const text = lines[line];
    const layout = readUnderColumnHeader(owner) ? { numbered: owner.listedNumber !== undefined, verbose: owner.counters !== undefined } : undefined;
    if (isBlankLine(text) || !readsAsListBody(text) || COLUMN_HEADER.test(text) || listColumns(text, layout) === undefined) {
      return false;
    }
  }
  return true;
}

/**
 * Follows an edit that replaced the lines from `start` (whose texts were `removedTexts`) by `inserted` lines of
 * `lines` (the text after the edit) when it falls among the rows of one `-L` chain: see `planListRows`. Returns
 * what changed among the rules; undefined, with `dump` unchanged, when the edit is not that.
 */
export function editListRows(
  dump: Dump,
  lines: readonly string[],
  start: number,
  removedTexts: readonly string[],
  inserted: number,
): RuleChanges | undefined {
  const plan = planListRows(dump, lines, start, removedTexts, inserted);
  return plan && applyListRows(dump, plan);
}

/** The rows of one `-L` chain read again (`planListRows`), to be put into the model (`applyListRows`). */
interface ListRowsPlan {
  chain: ParsedChain;
  /** The line of the chain's `Chain` header, and the last line before the next one (after the edit). */
  header: number;
  end: number;
  shift: LineShift;
  /** The chain's rules after the edit: rules read again, or the old rule of the same line and text (`kept`). */
  rules: Rule[];
  /** New rule → the old rule it equals, which stays in the model (its line may move). */
  kept: Map<Rule, Rule>;
  /** What the parser says about the re-read lines (rows no chain holds, column headers). */
  diagnostics: DumpDiagnostic[];
  chainEnd: number;
  /** Whether the chain's table ends in the re-read lines (its end is then the chain's). */
  tableEnds: boolean;
}

/**
 * An edit among the rows of an `-L` chain: the lines from `start` (whose texts were `removedTexts`) replaced by
 * `inserted` lines of `lines`, anywhere between the chain's `Chain` header and the next header (or the end of the
 * text). Every line there reads the same way in any parse state but one: after the header, a row belongs to the
 * chain until a blank line, and to no chain after it. So reading these lines again from the header, in the state
 * a header leaves (the chain's rows open, no column layout), gives what a fresh parse gives them, and the next
 * header starts from the same state. That holds when every line there is a row, a blank line, a column header or
 * text no reader takes (no save line, `#` line, header or shell prompt, which open or close tables), and the old
 * lines there were the chain's rows or nothing. Returns undefined, with `dump` unchanged, when the edit is not this.
 */
function planListRows(
  dump: Dump,
  lines: readonly string[],
  start: number,
  removedTexts: readonly string[],
  inserted: number,
): ListRowsPlan | undefined {
  const shift = new LineShift(start, removedTexts.length, inserted);
  if (lines.length !== dump.lineCount + shift.delta || start < 1 || start + inserted > lines.length) {
    return undefined;
  }
  const chain = listChainAbove(dump, start - 1);
  const header = chain?.declaration?.line;
  if (chain === undefined || header === undefined || chain.redeclarations.length > 0 || !removedTexts.every(readsAsListBody)) {
    return undefined;
  }
  // The chain's lines after the edit: up to the next header.
  let end = start;
  for (; end < lines.length && (end < start + inserted || !isChainHeader(lines[end])); end++) {
    if (!readsAsListBody(lines[end])) {
      return undefined;
    }
  }
  end--;
  for (let line = header + 1; line < start; line++) {
    if (!readsAsListBody(lines[line])) {
      return undefined;
    }
  }
  // Before the edit, these lines held the chain's rows (every one of them) or nothing.
  const oldEnd = end - shift.delta;
  if (dump.prompts.some((prompt) => prompt.line > header && prompt.line <= oldEnd)) {
    return undefined;
  }
  let rows = 0;
  for (let line = header + 1; line <= oldEnd; line++) {
    const owner = dump.lineOwners[line];
    if (owner !== undefined) {
      if (!('bodyStart' in owner) || owner.chain !== chain || owner.insert) {
        return undefined;
      }
      rows++;
    }
  }
  if (rows !== chain.rules.length) {
    return undefined;
  }

  // Read the lines again into the chain (put back as it was afterwards: the model changes only once all is known).
  const table = chain.table;
  const { rules: oldRules, endLine: oldChainEnd } = chain;
  const oldTableEnd = table.endLine;
  chain.rules = [];
  chain.endLine = header;
  const b = new DumpBuilder(lines.length, {
    tables: dump.tables.slice(),
    lineOwners: [],
    diagnostics: [],
    prompts: [],
    lineCount: lines.length,
  });
  b.current = table;
  b.listChain = chain;
  const state: LineState = { listLayout: undefined };
  for (let line = header + 1; line <= end; line++) {
    parseLine(b, lines[line], line, state);
  }
  const rules = chain.rules;
  const chainEnd = chain.endLine;
  chain.rules = oldRules;
  chain.endLine = oldChainEnd;
  table.endLine = oldTableEnd;
  // (A table named after its rules' targets that takes another name is parsed again: see DumpDocument.handOver.)
  if (
    b.chainsCreated > 0 ||
    b.declarations > 0 ||
    b.prompts.length > 0 ||
    b.tables.length !== dump.tables.length ||
    b.current !== table ||
    rules.some((rule) => rule.insert)
  ) {
    return undefined;
  }

  // A row read again that equals the old row of its line (same text and columns) keeps the old rule: its
  // references, diagnostics and kube-proxy facts stay as they are.
  const kept = new Map<Rule, Rule>();
  for (const rule of rules) {
    const line = rule.line;
    const old =
      line < start
        ? dump.lineOwners[line]
        : line >= start + inserted
          ? dump.lineOwners[line - shift.delta]
          : shift.delta === 0
            ? dump.lineOwners[line]
            : undefined;
    if (
      old !== undefined &&
      'bodyStart' in old &&
      old.text === rule.text &&
      (old.counters === undefined) === (rule.counters === undefined) &&
      (old.listedNumber === undefined) === (rule.listedNumber === undefined) &&
      readUnderColumnHeader(old) === readUnderColumnHeader(rule) // (the layout a row typed next to it is read in)
    ) {
      kept.set(rule, old);
    }
  }
  return { chain, header, end, shift, rules, kept, diagnostics: b.diagnostics, chainEnd, tableEnds: oldTableEnd <= oldEnd };
}

/**
 * Puts the rows `plan` read into the model: the lines move, the chain gets its new rules (the rows that left it
 * are no one's), their jumps are indexed and the diagnostics of those lines replaced. Returns what changed among
 * the rules, or undefined when the lines could not be moved (then `dump` is unusable).
 */
function applyListRows(dump: Dump, plan: ListRowsPlan): RuleChanges | undefined {
  const { chain, header, end, shift, kept } = plan;
  const { start, removed } = shift;
  const table = chain.table;
  const stays = new Set(kept.values());
  const changes: RuleChanges = { changed: new Map(), removed: [] };
  const leaving = chain.rules.filter((rule) => !stays.has(rule));
  const touched = new Set<Chain>();
  removeCallers(leaving, touched);
  for (const rule of leaving) {
    if (shift.isRemoved(rule.line) && shift.delta !== 0) {
      changes.removed.push(rule);
    } else {
      changes.changed.set(shift.delta === 0 ? rule.line : shift.line(rule.line), rule);
    }
  }
  // The diagnostics of these lines are the parser's (read again below) and the index's, which a kept rule keeps.
  const oldEnd = end - shift.delta;
  const keptLines = new Set([...stays].map((rule) => rule.line));
  dump.diagnostics = dump.diagnostics.filter((d) => d.span.line <= header || d.span.line > oldEnd || keptLines.has(d.span.line));
  if (shift.delta !== 0) {
    for (let line = start; line < start + removed; line++) {
      dump.lineOwners[line] = undefined;
    }
    if (!shiftModel(dump, shift)) {
      return undefined;
    }
  }
  for (let line = header + 1; line <= end; line++) {
    dump.lineOwners[line] = undefined;
  }
  chain.rules = plan.rules.map((rule) => {
    const old = kept.get(rule);
    if (old === undefined) {
      return rule;
    }
    old.position = rule.position;
    return old;
  });
  for (const rule of chain.rules) {
    dump.lineOwners[rule.line] = rule;
  }
  chain.endLine = plan.chainEnd;
  if (plan.tableEnds) {
    table.endLine = plan.chainEnd;
  }
  const newRules = plan.rules.filter((rule) => !kept.has(rule));
  for (const rule of newRules) {
    if (!changes.changed.has(rule.line)) {
      changes.changed.set(rule.line, undefined);
    }
  }
  indexRules(dump, newRules, touched);
  for (const diagnostic of plan.diagnostics) {
    dump.diagnostics.push(diagnostic);
  }
  updateUnreferencedHints(dump, touched);
  return changes;
}

/**
 * Takes `rules` out of the callers of the chains they jump to (added to `touched`). False when some rule was not
 * among its target's callers (a model out of step with itself: the caller parses again).
 */
function removeCallers(rules: readonly Rule[], touched: Set<Chain>): boolean {
  let allFound = true;
  const byTarget = new Map<Chain, Set<Rule>>();
  for (const rule of rules) {
    const targetChain = rule.targetName === undefined ? undefined : rule.table.chains.get(rule.targetName);
    if (targetChain !== undefined) {
      const callers = byTarget.get(targetChain);
      if (callers === undefined) {
        byTarget.set(targetChain, new Set([rule]));
      } else {
        callers.add(rule);
      }
    }
  }
  for (const [targetChain, gone] of byTarget) {
    touched.add(targetChain);
    if (gone.size === 1) {
      const at = targetChain.referencedBy.indexOf(gone.values().next().value!);
      if (at >= 0) {
        targetChain.referencedBy.splice(at, 1);
      } else {
        allFound = false;
      }
    } else {
      // One pass, not a search per rule: KUBE-MARK-MASQ has 130,000 callers in a 20,000-service dump.
      const callers = targetChain.referencedBy.filter((rule) => !gone.has(rule));
      allFound &&= callers.length === targetChain.referencedBy.length - gone.size;
      targetChain.referencedBy = callers;
    }
  }
  return allFound;
}

/**
 * The `-L` chain whose rows `line` is among (or whose `Chain` header it is): the chain of the nearest line at or
 * above it that the model gives to something, when that is a row or a header of an `-L` table.
 */
function listChainAbove(dump: Dump, line: number): ParsedChain | undefined {
  for (let l = line; l >= 0; l--) {
    const owner = dump.lineOwners[l];
    if (owner === undefined) {
      continue;
    }
    const chain = 'bodyStart' in owner ? owner.chain : 'rules' in owner ? owner : undefined;
    if (chain instanceof ParsedChain && chain.table.format === 'list' && chain.declaredBy === 'header') {
      return chain;
    }
    return undefined;
  }
  return undefined;
}

/**
 * Whether `text` reads the same way among an `-L` chain's lines whatever came before, but for whether the chain's
 * rows are still open: a row, a blank line, a column header, or text no reader takes. Not a `Chain` header, a
 * save or -S line, or a `#` line (a comment can announce a table or an address family).
 */
function readsAsListBody(text: string): boolean {
  return text.charCodeAt(0) !== 35 /* # */ && !isSaveLine(text) && !isChainHeader(text);
}
