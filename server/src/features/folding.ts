// Folding ranges: each table, each `-L` chain, and each run of a chain's rules in save output.
import type { FoldingRange } from 'vscode-languageserver-types';
import type { DumpDocument } from './document';

/**
 * The folding ranges of a dump: every table, then the chains (or their runs of rules) table by table, chain by
 * chain, at most `limit` ranges in all. An editor folds only so many regions (VS Code: `editor.foldingMaximumRegions`,
 * 5,000, which its client sends as `rangeLimit`); a 20,000-service dump has 130,000 chains, and sending them all
 * would only make both sides work on ranges the editor drops.
 */
export function foldingRanges(doc: DumpDocument, limit = Number.POSITIVE_INFINITY): FoldingRange[] {
  const ranges: FoldingRange[] = [];
  for (const table of doc.dump.tables) {
    if (table.endLine > table.startLine && ranges.length < limit) {
      ranges.push({ startLine: table.startLine, endLine: table.endLine, kind: 'region' });
    }
  }
  for (const table of doc.dump.tables) {
    for (const chain of table.chains.values()) {
      if (ranges.length >= limit) {
        return ranges.slice(0, limit);
      }
      if (table.format === 'list') {
        if (chain.declaration && chain.endLine > chain.declaration.line) {
          ranges.push({ startLine: chain.declaration.line, endLine: chain.endLine, kind: 'region' });
        }
        continue;
      }
      // Save output groups a chain's rules after all declarations: fold each contiguous run.
      let runStart = -1;
      let previous = -2;
      for (const rule of chain.rules) {
        if (rule.line !== previous + 1) {
          if (runStart >= 0 && previous > runStart) {
            ranges.push({ startLine: runStart, endLine: previous, kind: 'region' });
          }
          runStart = rule.line;
        }
        previous = rule.line;
      }
      if (runStart >= 0 && previous > runStart) {
        ranges.push({ startLine: runStart, endLine: previous, kind: 'region' });
      }
    }
  }
  return ranges.length > limit ? ranges.slice(0, limit) : ranges;
}
