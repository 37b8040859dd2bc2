// The dump's index: which rules jump to each chain, what is at a position, and the checks that need the
// whole table (undefined jump targets, unreferenced chains). Built once per parse.
import { isBuiltinTarget } from './builtinTargets';
import type { Chain, Dump, DumpDiagnostic, Rule, Span, Table } from './types';

/**
 * Fills `chain.referencedBy` and adds the diagnostics that need every table complete. `resolveTarget` gives the
 * chain a rule jumps to, if any, when the parser can tell it without a lookup by name (which costs more than all
 * else here); without it each target is looked up in its table.
 */
export function buildIndex(dump: Dump, resolveTarget?: (rule: Rule) => Chain | undefined): void {
  // Indexed loops and forEach rather than for…of: the iterators of a loop run once were not optimised away,
  // and their result objects were a fifth of what a large dump's parse allocated.
  for (const table of dump.tables) {
    table.chains.forEach((chain) => {
      const rules = chain.rules;
      for (let i = 0; i < rules.length; i++) {
        const rule = rules[i];
        let targetChain: Chain | undefined;
        if (resolveTarget !== undefined) {
          targetChain = resolveTarget(rule);
        } else if (rule.targetName !== undefined) {
          targetChain = table.chains.get(rule.targetName);
        }
        if (targetChain !== undefined) {
          targetChain.referencedBy = appended(targetChain.referencedBy, rule);
          continue;
        }
        const name = rule.targetName;
        if (name !== undefined && !isBuiltinTarget(name)) {
          undefinedTarget(dump, table, name, rule.target!.span);
        }
      }
    });
    table.chains.forEach((chain) => {
      const hint = unreferencedHint(chain);
      if (hint) {
        dump.diagnostics.push(hint);
      }
      // An array grown by push keeps room for 17 or more elements; a 20k-service dump has 130,000 chains,
      // most with a few rules and callers: exact copies save tens of MB (`appended` made the smallest exact).
      if (chain.rules.length > APPENDED_EXACTLY && chain.rules.length < 16) {
        chain.rules = chain.rules.slice();
      }
      if (chain.referencedBy.length > APPENDED_EXACTLY && chain.referencedBy.length < 16) {
        chain.referencedBy = chain.referencedBy.slice();
      }
    });
  }
}

/** The hint for a user chain nothing jumps to, if `chain` is one. */
export function unreferencedHint(chain: Chain): DumpDiagnostic | undefined {
  const table = chain.table;
  // The cheapest checks first (`builtin` looks the name up, `declaration` makes a span).
  if (chain.referencedBy.length > 0 || table.excerpt || chain.builtin || !chain.declaration) {
    return undefined;
  }
  return {
    span: { ...chain.declaration },
    severity: 'hint',
    code: 'unreferenced-chain',
    message: `Chain ${chain.name} is never jumped to in table ${table.name}.`,
  };
}

/**
 * Indexes rules added after the index was built (edited or pasted lines; they have their final positions): each
 * jump goes into its target chain's `referencedBy` at the place a full build would give it (chains in table order,
 * then rule order), or becomes a diagnostic. The target chains are added to `touched`. A target's new callers are
 * merged with its callers in one pass: one search and splice per rule is quadratic when thousands of pasted rules
 * jump to one chain (KUBE-MARK-MASQ has 130,000 callers in a 20,000-service dump).
 */
export function indexRules(dump: Dump, rules: readonly Rule[], touched: Set<Chain>): void {
  const byTarget = new Map<Chain, Rule[]>();
  for (const rule of rules) {
    const targetChain = ruleTarget(dump, rule);
    if (targetChain !== undefined) {
      touched.add(targetChain);
      const added = byTarget.get(targetChain);
      if (added === undefined) {
        byTarget.set(targetChain, [rule]);
      } else {
        added.push(rule);
      }
    }
  }
  byTarget.forEach((added, targetChain) => {
    let order: ReadonlyMap<Chain, number> | undefined; // made only when needed: most edits append to the callers
    const key = (r: Rule): number => (order ??= chainOrder(targetChain.table)).get(r.chain)! * 2 ** 26 + r.position;
    const callers = targetChain.referencedBy;
    if (added.length === 1) {
      addCaller(targetChain, added[0], key);
      return;
    }
    added.sort((a, b) => key(a) - key(b));
    const merged: Rule[] = [];
    let i = 0;
    let j = 0;
    while (i < callers.length || j < added.length) {
      merged.push(j === added.length || (i < callers.length && key(callers[i]) < key(added[j])) ? callers[i++] : added[j++]);
    }
    targetChain.referencedBy = merged;
  });
}

/** The chain `rule` jumps to; a target that is no chain and no built-in target becomes a diagnostic. */
function ruleTarget(dump: Dump, rule: Rule): Chain | undefined {
  const target = rule.target;
  if (!target) {
    return undefined;
  }
  const table = rule.table;
  const targetChain = table.chains.get(target.name);
  if (!targetChain && !isBuiltinTarget(target.name)) {
    undefinedTarget(dump, table, target.name, target.span);
  }
  return targetChain;
}

/** Puts one rule among the callers of `targetChain`, ordered by `key`. */
function addCaller(targetChain: Chain, rule: Rule, key: (r: Rule) => number): void {
  const callers = targetChain.referencedBy;
  const last = callers[callers.length - 1];
  if (last === undefined || (last.chain === rule.chain && last.position < rule.position)) {
    targetChain.referencedBy = appended(callers, rule);
    return;
  }
  const mine = key(rule);
  let low = 0;
  let high = callers.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (key(callers[mid]) < mine) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  callers.splice(low, 0, rule);
}

/** Each chain's place in its table, kept while the table has the same chains (edits to rules keep them). */
const chainOrders = new WeakMap<Table, Map<Chain, number>>();

/**
 * Forgets `table`'s chain order, when its chains changed places or one was made (a builder re-reading lines of a
 * model: parse/builder.ts; parse/redeclare.ts). A chain dropped changes the count, which `chainOrder` checks.
 */
export function forgetChainOrder(table: Table): void {
  chainOrders.delete(table);
}

/** Each chain of `table` → its place in the table's order of chains (kept while the table has the same chains). */
export function chainOrder(table: Table): ReadonlyMap<Chain, number> {
  let order = chainOrders.get(table);
  if (order === undefined || order.size !== table.chains.size) {
    order = new Map();
    for (const chain of table.chains.values()) {
      order.set(chain, order.size);
    }
    chainOrders.set(table, order);
  }
  return order;
}

/** The diagnostic of a jump at `span` to `name`, which is no chain of `table` (nor a built-in target). */
export function undefinedTarget(dump: Dump, table: Table, name: string, span: Span): void {
  if (table.excerpt) {
    dump.diagnostics.push({ span, severity: 'hint', code: 'not-in-excerpt', message: `Chain ${name} is not in this excerpt.` });
    return;
  }
  // Without a `-j` target name looking like a chain we cannot tell a missing chain from an unknown extension.
  const looksLikeExtension = /^[A-Z0-9]+$/.test(name) && name.length <= 12 && !name.includes('-');
  dump.diagnostics.push({
    span,
    severity: looksLikeExtension ? 'warning' : 'error',
    code: 'undefined-chain',
    message: looksLikeExtension
      ? `${name} is neither a chain of table ${table.name} nor a target iptables Lens knows.`
      : `Jump to chain ${name}, which is not declared in table ${table.name}.`,
  });
}

/** Arrays up to this length are made by `appended` at their exact size. */
const APPENDED_EXACTLY = 3;

/**
 * `items` with `item` appended: a new array of exactly the right size while it is small, else `items` itself,
 * pushed to. A pushed array reserves room for 17 elements, and most chains have one to three rules and
 * callers. (A chain with none shares one frozen empty array, so this is also how an item gets added to it.)
 */
export function appended<T>(items: T[], item: T): T[] {
  switch (items.length) {
    case 0:
      return [item];
    case 1:
      return [items[0], item];
    case 2:
      return [items[0], items[1], item];
    default:
      items.push(item);
      return items;
  }
}

/** A chain-name occurrence in the text: a declaration, a rule's own chain, or a jump target. */
export interface ChainOccurrence {
  table: Table;
  name: string;
  span: Span;
  role: 'declaration' | 'rule-chain' | 'target';
  /** The chain, when the table has it. */
  chain?: Chain;
  rule?: Rule;
}

function inside(span: Span | undefined, line: number, character: number): span is Span {
  return span !== undefined && span.line === line && character >= span.start && character <= span.end;
}

/** The chain name at a position, if any. */
export function chainOccurrenceAt(dump: Dump, line: number, character: number): ChainOccurrence | undefined {
  const owner = dump.lineOwners[line];
  if (!owner) {
    return undefined;
  }
  if ('rules' in owner) {
    // A chain: its declaration line (or its first rule in an excerpt).
    const chain = owner;
    for (const span of [chain.declaration, ...chain.redeclarations]) {
      if (inside(span, line, character)) {
        return { table: chain.table, name: chain.name, span, role: 'declaration', chain };
      }
    }
    return undefined;
  }
  if ('chain' in owner) {
    const rule = owner;
    if (inside(rule.target?.span, line, character)) {
      const name = rule.target.name;
      return { table: rule.table, name, span: rule.target.span, role: 'target', chain: rule.table.chains.get(name), rule };
    }
    if (inside(rule.chainName, line, character)) {
      return { table: rule.table, name: rule.chain.name, span: rule.chainName, role: 'rule-chain', chain: rule.chain, rule };
    }
  }
  return undefined;
}

/** Every rule of `table` whose target is `name` (also when no chain of that name is declared). */
export function rulesTargeting(table: Table, name: string): Rule[] {
  const chain = table.chains.get(name);
  if (chain) {
    return chain.referencedBy;
  }
  const result: Rule[] = [];
  for (const c of table.chains.values()) {
    for (const rule of c.rules) {
      if (rule.targetName === name) {
        result.push(rule);
      }
    }
  }
  return result;
}

/** The rule on a line, if the line is one. */
export function ruleAt(dump: Dump, line: number): Rule | undefined {
  const owner = dump.lineOwners[line];
  return owner && 'chain' in owner && 'text' in owner ? owner : undefined;
}

/** Every chain of every table, in document order of tables. */
export function* allChains(dump: Dump): Iterable<Chain> {
  for (const table of dump.tables) {
    yield* table.chains.values();
  }
}
