// Folding ranges: each table, each `-L` chain, and each run of a chain's rules in save output.
import type { FoldingRange } from 'vscode-languageserver-types';
import type { DumpDocument } from './document';

export function foldingRanges(doc: DumpDocument): FoldingRange[] {
  const ranges: FoldingRange[] = [];
  for (const table of doc.dump.tables) {
    if (table.endLine > table.startLine) {
      ranges.push({ startLine: table.startLine, endLine: table.endLine, kind: 'region' });
    }
    for (const chain of table.chains.values()) {
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
  return ranges;
}
