// Re-reads edited lines into an existing model when the edit changes rules only (typing in a rule, the
// common case), so a keystroke in a 500,000-line dump costs the parse of a line instead of the file's.
// Anything else (a declaration, a table header, a line that stops or starts being a rule, a rule moving to
// another chain) is not local: the caller parses the whole text again.
import { indexRule, unreferencedHint } from '../model/index';
import type { Chain, Dump, Rule } from '../model/types';
import { DumpBuilder } from './builder';
import { parseLine } from './index';

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
    if (old.target) {
      const targetChain = table.chains.get(old.target.name);
      if (targetChain) {
        const at = targetChain.referencedBy.indexOf(old);
        if (at >= 0) {
          targetChain.referencedBy.splice(at, 1);
        }
        touched.add(targetChain);
      }
    }
    // The parse state the line had: its table open (save, -S) or its chain's rows (-L) with their layout.
    const tablesBefore = dump.tables.length;
    const promptsBefore = dump.prompts.length;
    const committed = table.committed;
    b.current = table;
    b.listChain = table.format === 'list' ? chain : undefined;
    if (committed === true) {
      table.committed = false;
    }
    dump.lineOwners[old.line] = undefined;
    parseLine(b, lines[old.line], old.line, {
      listLayout: table.format === 'list' ? { numbered: old.listedNumber !== undefined, verbose: old.counters !== undefined } : undefined,
    });
    table.committed = committed;
    const rule = dump.lineOwners[old.line];
    if (
      rule === undefined ||
      !('bodyStart' in rule) ||
      rule.chain !== chain ||
      rule.insert ||
      b.chainsCreated > 0 ||
      b.declarations > 0 ||
      dump.tables.length !== tablesBefore ||
      dump.prompts.length !== promptsBefore
    ) {
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
  for (const chain of touched) {
    const declaration = chain.declaration;
    const hintAt = declaration
      ? dump.diagnostics.findIndex((d) => d.code === 'unreferenced-chain' && d.span.line === declaration.line && d.span.start === declaration.start)
      : -1;
    const hint = unreferencedHint(chain);
    if (hint && hintAt < 0) {
      dump.diagnostics.push(hint);
    } else if (!hint && hintAt >= 0) {
      dump.diagnostics.splice(hintAt, 1);
    }
  }
  return true;
}
