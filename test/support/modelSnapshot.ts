// Every field of a parsed model that features read, in a form two models of the same text (made from different
// objects) can be compared in: for tests of incremental model updates against a fresh parse, and of the parser's
// fast paths against its general readers.
import type { Chain, Dump, Rule } from '../../server/src/model/types';
import { readUnderColumnHeader } from '../../server/src/parse/builder';

const ruleKey = (rule: Rule): string => `${rule.table.name}/${rule.chain.name}#${rule.position}@${rule.line}`;

function chainSnapshot(chain: Chain): unknown {
  return {
    name: chain.name,
    builtin: chain.builtin,
    declaration: chain.declaration,
    declaredBy: chain.declaredBy,
    redeclarations: chain.redeclarations,
    policy: chain.policy,
    policyCounters: chain.policyCounters,
    listedReferences: chain.listedReferences,
    endLine: chain.endLine,
    rules: chain.rules.map((r) => ({
      key: ruleKey(r),
      text: r.text,
      format: r.format,
      chainName: r.chainName,
      insert: r.insert,
      target: r.target,
      targetName: r.targetName,
      counters: r.counters,
      listedNumber: r.listedNumber,
      bodyStart: r.bodyStart,
      underColumnHeader: readUnderColumnHeader(r),
    })),
    referencedBy: chain.referencedBy.map(ruleKey),
  };
}

/**
 * The model as features see it: tables, chains, rules, line owners, diagnostics, prompts. Diagnostics are sorted
 * unless `diagnosticsInOrder` (an incremental update appends what a fresh parse would have put in line order).
 */
export function modelSnapshot(dump: Dump, { diagnosticsInOrder = false } = {}): unknown {
  const owner = (line: number): string => {
    const o = dump.lineOwners[line];
    return o === undefined
      ? '-'
      : 'bodyStart' in o
        ? `rule ${ruleKey(o)}`
        : 'rules' in o
          ? `chain ${o.table.name}/${o.name}`
          : `table ${dump.tables.indexOf(o)}`;
  };
  const diagnostics = dump.diagnostics.map((d) => `${d.span.line}:${d.span.start}-${d.span.end} ${d.severity} ${d.code} ${d.message}`);
  return {
    lineCount: dump.lineCount,
    tables: dump.tables.map((table) => ({
      name: table.name,
      nameSource: table.nameSource,
      format: table.format,
      header: table.header,
      lines: [table.startLine, table.endLine],
      committed: table.committed,
      excerpt: table.excerpt,
      family: table.family,
      chains: [...table.chains.values()].map(chainSnapshot),
    })),
    owners: Array.from({ length: Math.max(dump.lineCount, dump.lineOwners.length) }, (_, line) => owner(line)),
    diagnostics: diagnosticsInOrder ? diagnostics : diagnostics.sort(),
    prompts: dump.prompts,
  };
}
