// A chain's declaration retyped in a save table (`:KUBE-SEP-… - [0:0]`): a character typed in the name or the
// counters. The rules are the same, so rather than parse the whole dump again (0.7 s at 20,000 services, with the
// server blocked), the model follows it in place as a fresh parse of the edited text would read it:
//   - the line now declares chain B where A was declared: B takes A's place in the table's chains (a table's
//     chains are in the order the parse made them, which the outline and the references follow);
//   - A, if it has rules, is made by its first rule, as a chain no line declares (an error), and moves to where
//     that rule would make it; without rules, A is gone;
//   - B is a new chain, or one that rules made (typing the name back): it gets its declaration and leaves its place.
// The cases this does not follow (a name that rules jump to before it exists, a chain declared twice, `-I` rules,
// rules above the declaration, a chain that jumps lead to and no rule keeps) are left to a whole parse.
import { isBuiltinTarget } from '../model/builtinTargets';
import { forgetChainOrder, indexRules } from '../model/index';
import type { Chain, Dump, Rule, Table } from '../model/types';
import { DumpBuilder, ParsedChain } from './builder';
import { parseLine } from './index';
import { updateUnreferencedHints } from './incremental';
import { declareByRule } from './save';

/**
 * How `redeclareLine` followed the edit: the same chain declared (its policy or counters edited: no chain changed),
 * or another chain declared in its place (chains made, dropped or moved: the kube analysis of the edit is whole).
 */
export type Redeclared = 'same-chain' | 'other-chain';

/**
 * Follows in `dump` an edit of line `line` of `lines` (edited in place, the line count kept) that was a chain's
 * declaration in a save table and still is one. Returns undefined when the edit is not such an edit or not one this
 * follows; `dump` may then be half-changed, and the caller must parse again.
 */
export function redeclareLine(dump: Dump, lines: readonly string[], line: number): Redeclared | undefined {
  const text = lines[line];
  const old = dump.lineOwners[line];
  if (lines.length !== dump.lineCount || text.charCodeAt(0) !== 58 /* : */ || !(old instanceof ParsedChain)) {
    return undefined;
  }
  const table = old.table;
  if (
    table.format !== 'save' ||
    table.excerpt ||
    old.declaredBy !== 'declaration' ||
    old.declaration?.line !== line ||
    old.redeclarations.length > 0 ||
    !plainRuleOrder(old, line) ||
    (old.rules.length === 0 && old.referencedBy.length > 0)
  ) {
    return undefined;
  }
  // The chain the line may name now, as it was before (rules may have made it).
  const space = text.indexOf(' ');
  const named = table.chains.get(text.slice(1, space < 0 ? text.length : space));
  const namedBefore = named === undefined || named === old ? undefined : { declaredBy: named.declaredBy, declaration: named.declaration };

  dump.diagnostics = dump.diagnostics.filter((d) => d.span.line !== line);
  const b = new DumpBuilder(dump.lineCount, dump);
  b.current = table;
  old.undeclare();
  parseLine(b, text, line, { listLayout: undefined });
  const chain = dump.lineOwners[line];
  if (!(chain instanceof ParsedChain) || chain.table !== table || chain.declaredBy !== 'declaration' || b.declarations !== 1 || b.diagnostics.length > 0) {
    return undefined;
  }
  if (chain === old) {
    updateUnreferencedHints(dump, new Set([old]));
    return 'same-chain';
  }
  const made = b.chainsCreated === 1;
  if (made ? jumpedToByName(dump, table, chain.name) : chain !== named || namedBefore?.declaredBy !== 'first-rule' || !plainRuleOrder(chain, line)) {
    return undefined;
  }

  // The chains in their new order: the declared one in the old one's place, the old one where its first rule is.
  const order: Chain[] = [];
  for (const other of table.chains.values()) {
    if (other !== chain) {
      order.push(other === old ? chain : other);
    }
  }
  const moved: Chain[] = made ? [] : [chain];
  if (old.rules.length > 0) {
    const first = old.rules[0];
    const name = first.chainName!;
    declareByRule(b, table, old, first.line, name.start, name.end);
    b.setPolicy(old, undefined, undefined);
    let at = order.length;
    while (at > 0 && madeAt(order[at - 1]) > first.line) {
      at--;
    }
    order.splice(at, 0, old);
    moved.push(old);
  }
  table.chains.clear();
  for (const each of order) {
    table.chains.set(each.name, each);
  }
  forgetChainOrder(table);
  if (namedBefore?.declaration !== undefined) {
    // Rules made it: its error and hint were at its first rule.
    const { line: was, start } = namedBefore.declaration;
    dump.diagnostics = dump.diagnostics.filter((d) => d.span.line !== was || d.span.start !== start || (d.code !== 'undeclared-chain' && d.code !== 'unreferenced-chain'));
  }
  const touched = new Set<Chain>([chain, ...moved]);
  reindexCallsOf(dump, table, moved, touched);
  for (const diagnostic of b.diagnostics) {
    dump.diagnostics.push(diagnostic);
  }
  updateUnreferencedHints(dump, touched);
  return 'other-chain';
}

/** Whether `chain`'s rules are all `-A` rules below `line`, in line order (so the first is the one that would make it). */
function plainRuleOrder(chain: Chain, line: number): boolean {
  return chain.rules.every((rule, i, rules) => rule.insert !== true && rule.line > (i === 0 ? line : rules[i - 1].line));
}

/** Whether a rule of `table` jumps to `name` while it is no chain (a fresh parse would make those jumps references). */
function jumpedToByName(dump: Dump, table: Table, name: string): boolean {
  if (isBuiltinTarget(name)) {
    return true; // no diagnostic marks those jumps: assume there are some
  }
  return dump.diagnostics.some((d) => {
    if (d.code !== 'undefined-chain' && d.code !== 'not-in-excerpt') {
      return false;
    }
    const jumping = dump.lineOwners[d.span.line];
    return jumping !== undefined && 'bodyStart' in jumping && jumping.table === table && jumping.targetName === name;
  });
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
 * have them: callers are in table order.
 */
function reindexCallsOf(dump: Dump, table: Table, moved: readonly Chain[], touched: Set<Chain>): void {
  const from = new Set(moved);
  const rules: Rule[] = [];
  const targets = new Set<Chain>();
  for (const chain of moved) {
    for (const rule of chain.rules) {
      const name = rule.targetName;
      const target = name === undefined ? undefined : table.chains.get(name);
      if (target !== undefined) {
        rules.push(rule);
        targets.add(target);
      }
    }
  }
  for (const target of targets) {
    target.referencedBy = target.referencedBy.filter((rule) => !from.has(rule.chain));
  }
  indexRules(dump, rules, touched);
}
