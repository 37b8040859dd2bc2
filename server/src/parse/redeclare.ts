// A chain's declaration typed, retyped or deleted in a save table (`:KUBE-SEP-… - [0:0]`): a character typed in the
// name or the counters, a declaration typed on a line of its own, or one taken apart. The rules are the same, so
// rather than parse the whole dump again (0.7 s at 20,000 services, with the server blocked), the model follows it in
// place as a fresh parse of the edited text would read it:
//   - a table's chains are in the order the parse made them (the outline and the references follow it): a chain
//     declared on the line goes where a chain made on that line goes, in the place of the one declared there before;
//   - the chain the line declared before, if it has rules, is made by its first rule, as a chain no line declares
//     (an error), and moves to where that rule would make it; without rules, it is gone;
//   - the chain declared now is a new one, or one that rules made (a name typed back): it gets its declaration and
//     leaves its place.
// A line that is no declaration before or after the edit reads as nothing: blank, a comment (a declaration commented
// out), or nothing but an error (`NOTHING_ELSE_READ`: a declaration being typed). Jumps follow: to a chain that is
// gone they are errors, and a chain declared takes the jumps to its name. The cases this does not follow (a chain
// declared twice, `-I` rules, rules above the declaration, a chain named as a built-in target) are left to a whole
// parse. A user chain's `Chain NAME (…)` header retyped in `-L` output is followed too (`retitleListChain`): there
// the rows below a header are its chain's whatever it is called, so the chain keeps them and takes the new name.
import { isBuiltinTarget } from '../model/builtinTargets';
import { forgetChainOrder, indexRules, undefinedTarget } from '../model/index';
import type { Chain, Dump, Rule, Table } from '../model/types';
import { DumpBuilder, ParsedChain, retarget } from './builder';
import { isInertLine, parseLine, unknownRowMessage } from './index';
import { isChainHeader } from './list';
import { isBlankLine, NOTHING_ELSE_READ, updateUnreferencedHints } from './incremental';
import { declareByRule } from './save';

/**
 * How `redeclareLine` followed the edit: `same-chain` when no chain changed (the same chain declared, its policy or
 * counters edited; or none, before and after: a declaration being typed); `not-this` when the edit is none of these
 * and nothing was changed; else the chains that were declared, made, dropped, moved or renamed, each with the name
 * it had before the edit (for the kube analysis, which follows them: see kube/incremental.ts).
 */
export type Redeclared = 'same-chain' | 'not-this' | { chains: Map<Chain, string> };

/**
 * Follows in `dump` an edit of line `line` of `lines` (edited in place, the line count kept; `before` is the text it
 * had) that declares a chain of a save table, or did, or that retyped an `-L` chain header. Returns undefined when it
 * could not, having changed `dump`, which the caller must then parse again.
 */
export function redeclareLine(dump: Dump, lines: readonly string[], line: number, before: string): Redeclared | undefined {
  const text = lines[line];
  const owner = dump.lineOwners[line];
  const old = owner instanceof ParsedChain ? owner : undefined;
  if (old?.declaredBy === 'header') {
    return retitleListChain(dump, text, line, old);
  }
  const table = old !== undefined ? old.table : owner === undefined && text.charCodeAt(0) === 58 /* : */ ? quietLineTable(dump, lines, line, before) : undefined;
  if (
    lines.length !== dump.lineCount ||
    table === undefined ||
    table.format !== 'save' ||
    table.excerpt ||
    table.endLine <= line ||
    (old !== undefined &&
      (old.declaredBy !== 'declaration' ||
        isBuiltinTarget(old.name) || // (jumps to MARK, DNAT … are no errors once no chain has that name)
        old.declaration?.line !== line ||
        old.redeclarations.length > 0 ||
        !plainRuleOrder(old, line)))
  ) {
    return 'not-this';
  }
  // The chain the line may name now, as it was before (rules may have made it).
  const space = text.indexOf(' ');
  const named = table.chains.get(text.slice(1, space < 0 ? text.length : space));
  const namedBefore = named === undefined || named === old ? undefined : { declaredBy: named.declaredBy, declaration: named.declaration };

  dump.diagnostics = dump.diagnostics.filter((d) => d.span.line !== line);
  dump.lineOwners[line] = undefined; // until the line is read again
  const b = new DumpBuilder(dump.lineCount, dump);
  b.current = table;
  old?.undeclare();
  const tablesBefore = dump.tables.length;
  const promptsBefore = dump.prompts.length;
  parseLine(b, text, line, { listLayout: undefined });
  if (dump.tables.length !== tablesBefore || dump.prompts.length !== promptsBefore || b.current !== table) {
    return undefined;
  }
  const now = dump.lineOwners.at(line); // read again: the line may own a chain now
  let chain: ParsedChain | undefined;
  if (now instanceof ParsedChain && now.table === table && now.declaredBy === 'declaration' && b.declarations === 1 && b.diagnostics.length === 0) {
    chain = now;
  } else if (!(now === undefined && b.declarations === 0 && b.chainsCreated === 0 && readsAsNothing(b, text, line))) {
    return undefined;
  }
  if (chain === old) {
    // The same chain declared (its policy or counters edited), or none before and after (a declaration being typed).
    for (const diagnostic of b.diagnostics) {
      dump.diagnostics.push(diagnostic);
    }
    if (chain !== undefined) {
      updateUnreferencedHints(dump, new Set([chain]));
    }
    return 'same-chain';
  }
  const made = b.chainsCreated === 1;
  if (
    chain !== undefined &&
    (made ? isBuiltinTarget(chain.name) : chain !== named || namedBefore?.declaredBy !== 'first-rule' || !plainRuleOrder(chain, line))
  ) {
    return undefined; // (jumps to a built-in target's name, which no diagnostic marks, would go to a chain of that name)
  }

  // The chains in their new order: the one declared here made on this line, the old one where its first rule is.
  const order: Chain[] = [];
  let slot = -1; // where the old one was
  for (const other of table.chains.values()) {
    if (other === old) {
      slot = order.length;
    } else if (other !== chain) {
      order.push(other);
    }
  }
  const moved: Chain[] = [];
  if (chain !== undefined) {
    order.splice(slot >= 0 ? slot : placeFor(order, line), 0, chain);
    if (!made) {
      moved.push(chain);
    }
  }
  if (old !== undefined && old.rules.length > 0) {
    const first = old.rules[0];
    const name = first.chainName!;
    declareByRule(b, table, old, first.line, name.start, name.end);
    b.setPolicy(old, undefined, undefined);
    order.splice(placeFor(order, first.line), 0, old);
    moved.push(old);
  }
  setChains(table, order);
  forgetChainOrder(table);
  if (chain !== undefined && chain === named && namedBefore?.declaration !== undefined) {
    // The line declares a chain rules made: its error and hint were at its first rule.
    const { line: was, start } = namedBefore.declaration;
    dump.diagnostics = dump.diagnostics.filter((d) => d.span.line !== was || d.span.start !== start || (d.code !== 'undeclared-chain' && d.code !== 'unreferenced-chain'));
  }
  const touched = new Set<Chain>(moved);
  if (chain !== undefined) {
    touched.add(chain);
  }
  if (old !== undefined && old.rules.length === 0) {
    jumpNowhere(dump, table, old.name, old.referencedBy); // it is gone
  }
  const jumps = made && chain !== undefined ? claimJumps(dump, table, chain) : [];
  reindexCallsOf(dump, table, moved, jumps, touched);
  for (const diagnostic of b.diagnostics) {
    dump.diagnostics.push(diagnostic);
  }
  updateUnreferencedHints(dump, touched);
  const chains = new Map<Chain, string>([...touched].map((each) => [each, each.name]));
  if (old !== undefined) {
    chains.set(old, old.name); // moved, or gone
  }
  return { chains };
}

/**
 * Follows a chain's `Chain NAME (…)` header in `-L` output retyped (`text`, at `line`): the rows below it are the
 * chain's still, so the chain takes the name, policy and references the header says now, in its place; jumps to
 * the old name are errors, and jumps to the new one the chain's. Left to a whole parse (`not-this`): a built-in
 * chain's header or one retyped to a built-in chain's name, a name another table lists too (which decide where
 * iptables' listing of the next table begins), or a built-in target's name (`MARK`: jumps to it are no errors).
 */
function retitleListChain(dump: Dump, text: string, line: number, old: ParsedChain): Redeclared | undefined {
  const table = old.table;
  const oldName = old.name;
  const listedElsewhere = (name: string): boolean => dump.tables.some((other) => other !== table && other.chains.has(name));
  if (
    table.format !== 'list' ||
    old.declaration?.line !== line ||
    old.redeclarations.length > 0 ||
    old.builtin ||
    isBuiltinTarget(oldName) ||
    !isChainHeader(text) ||
    listedElsewhere(oldName)
  ) {
    return 'not-this';
  }
  const order = [...table.chains.values()];
  const oldStart = old.declaration.start;
  dump.diagnostics = dump.diagnostics.filter((d) => d.span.line !== line);
  dump.lineOwners[line] = undefined; // until the line is read again
  table.chains.delete(oldName); // (a header that names a chain the table has starts the next table's listing)
  const b = new DumpBuilder(dump.lineCount, dump);
  b.current = table;
  const tablesBefore = dump.tables.length;
  parseLine(b, text, line, { listLayout: undefined });
  const header = dump.lineOwners.at(line);
  if (
    dump.tables.length !== tablesBefore ||
    !(header instanceof ParsedChain) ||
    header.table !== table ||
    header.declaredBy !== 'header' ||
    header.builtin ||
    isBuiltinTarget(header.name) || // (rows that jump to MARK, DNAT … would jump to it: no diagnostic marks them to find)
    b.chainsCreated !== 1 ||
    b.diagnostics.length > 0 ||
    listedElsewhere(header.name)
  ) {
    return undefined;
  }
  old.retitle(header);
  dump.lineOwners[line] = old;
  setChains(table, order); // the same chains in the same order, one under its new name
  const touched = new Set<Chain>([old]);
  if (old.name !== oldName) {
    renameUnknownRows(dump, oldName, old.name);
    jumpNowhere(dump, table, oldName, old.referencedBy);
    old.referencedBy = [];
    indexRules(dump, claimJumps(dump, table, old), touched);
  }
  updateUnreferencedHints(dump, touched);
  // The same name written elsewhere on the line (`Chain  NAME`) moves the chain's place, which the analysis tells.
  return old.name === oldName && old.declaration?.start === oldStart ? 'same-chain' : { chains: new Map([[old, oldName]]) };
}

/**
 * Gives the errors of lines among a renamed `-L` chain's rows that are no rows the chain's new name. No other chain of
 * the dump has its old name (`retitleListChain` leaves such a rename to a whole parse), so every such error naming it
 * was read under it.
 */
function renameUnknownRows(dump: Dump, oldName: string, newName: string): void {
  const before = unknownRowMessage(oldName);
  for (const diagnostic of dump.diagnostics) {
    if (diagnostic.code === 'unknown-line' && diagnostic.message === before) {
      diagnostic.message = unknownRowMessage(newName);
    }
  }
}

/**
 * The save table a line that owns nothing (`text` before the edit) is read in, when it reads as nothing (blank, a
 * comment, or nothing but an error), and so do the lines above it up to one that is a rule or declaration (its
 * table open, not ended by COMMIT).
 */
function quietLineTable(dump: Dump, lines: readonly string[], line: number, text: string): Table | undefined {
  const quiet = (l: number, t: string): boolean =>
    isBlankLine(t) || isInertLine(t) || dump.diagnostics.some((d) => d.span.line === l && NOTHING_ELSE_READ.has(d.code));
  if (!quiet(line, text)) {
    return undefined;
  }
  for (let above = line - 1; above >= 0; above--) {
    const owner = dump.lineOwners[above];
    if (owner !== undefined) {
      return 'bodyStart' in owner || 'rules' in owner ? owner.table : undefined;
    }
    if (!quiet(above, lines[above])) {
      return undefined;
    }
  }
  return undefined;
}

/** Whether the line read as nothing: blank, a comment, or nothing but one error of `NOTHING_ELSE_READ` that spans it. */
function readsAsNothing(b: DumpBuilder, text: string, line: number): boolean {
  if (b.diagnostics.length === 0) {
    return isBlankLine(text) || isInertLine(text);
  }
  const [only] = b.diagnostics;
  return b.diagnostics.length === 1 && NOTHING_ELSE_READ.has(only.code) && only.span.line === line;
}

/** Whether `chain`'s rules are all `-A` rules below `line`, in line order (so the first is the one that would make it). */
function plainRuleOrder(chain: Chain, line: number): boolean {
  return chain.rules.every((rule, i, rules) => rule.insert !== true && rule.line > (i === 0 ? line : rules[i - 1].line));
}

/** `table`'s chains, `order` (a parse's order, which the outline and the callers follow), each under its name. */
function setChains(table: Table, order: readonly Chain[]): void {
  table.chains.clear();
  for (const chain of order) {
    table.chains.set(chain.name, chain);
  }
}

/** `callers` jump to `name`, which is no chain of `table` any more: each jump is an error, as a fresh parse says. */
function jumpNowhere(dump: Dump, table: Table, name: string, callers: readonly Rule[]): void {
  for (const rule of callers) {
    retarget(rule, name);
    undefinedTarget(dump, table, name, rule.target!.span);
  }
}

/**
 * The rules of `table` that jump to the name of `chain`, just made, while no chain had it (each marked by its
 * `undefined-chain` error, which goes): they jump to `chain` now.
 */
function claimJumps(dump: Dump, table: Table, chain: ParsedChain): Rule[] {
  const rules: Rule[] = [];
  dump.diagnostics = dump.diagnostics.filter((d) => {
    if (d.code !== 'undefined-chain') {
      return true;
    }
    const jumping = dump.lineOwners[d.span.line];
    if (jumping === undefined || !('bodyStart' in jumping) || jumping.table !== table || jumping.targetName !== chain.name) {
      return true;
    }
    retarget(jumping, chain);
    rules.push(jumping);
    return false;
  });
  return rules;
}

/** Where in `order` (chains in the order a parse made them) a chain made on `line` goes: before those made below it. */
function placeFor(order: readonly Chain[], line: number): number {
  let at = order.length;
  while (at > 0 && madeAt(order[at - 1]) > line) {
    at--;
  }
  return at;
}

/** The line a parse makes `chain` on: its declaration's, or its first rule's if that comes first. */
function madeAt(chain: Chain): number {
  let line = chain.declaration?.line ?? Number.POSITIVE_INFINITY;
  if (chain.declaredBy !== 'first-rule') {
    for (const rule of chain.rules) {
      line = Math.min(line, rule.line);
    }
  }
  return line;
}

/**
 * Puts the jumps of the rules of `moved` (chains that changed places in `table`) where their targets' callers now
 * have them (callers are in table order), and the `claimed` jumps among their target's callers.
 */
function reindexCallsOf(dump: Dump, table: Table, moved: readonly Chain[], claimed: readonly Rule[], touched: Set<Chain>): void {
  const from = new Set(moved);
  const rules = new Set<Rule>(claimed);
  const targets = new Set<Chain>();
  for (const chain of moved) {
    for (const rule of chain.rules) {
      const name = rule.targetName;
      const target = name === undefined ? undefined : table.chains.get(name);
      if (target !== undefined) {
        rules.add(rule);
        targets.add(target);
      }
    }
  }
  for (const target of targets) {
    target.referencedBy = target.referencedBy.filter((rule) => !from.has(rule.chain));
  }
  indexRules(dump, [...rules], touched);
}
