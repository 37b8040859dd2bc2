// Incremental edits: a model patched line by line must equal a fresh parse of the edited text, on every
// corpus dump, for edits that stay inside rules (patched) and for those that do not (parsed again).
import { strict as assert } from 'node:assert';
import { DumpDocument } from '../../../server/src/features/document';
import type { TextEdit } from '../../../server/src/features/document';
import type { Dump } from '../../../server/src/model/types';
import { parseLines } from '../../../server/src/parse/index';
import { patchRuleLines } from '../../../server/src/parse/incremental';
import { corpusFiles, readCorpus } from '../../support/corpus';

/** Everything a feature can see of a model, in a comparable form (diagnostics in a stable order). */
function snapshot(dump: Dump): unknown {
  const owner = (line: number): string => {
    const o = dump.lineOwners[line];
    return o === undefined ? '-' : 'bodyStart' in o ? `rule ${o.chain.name}#${o.position}` : 'rules' in o ? `chain ${o.name}` : `table ${o.name}`;
  };
  return {
    tables: dump.tables.map((table) => ({
      name: table.name,
      lines: [table.startLine, table.endLine, table.committed],
      chains: [...table.chains.values()].map((chain) => ({
        name: chain.name,
        declaration: chain.declaration,
        endLine: chain.endLine,
        rules: chain.rules.map((r) => [r.line, r.position, r.text, r.target?.name, r.target?.span, r.chainName, r.counters, r.bodyStart]),
        referencedBy: chain.referencedBy.map((r) => r.line),
      })),
    })),
    owners: Array.from({ length: dump.lineCount }, (_, line) => owner(line)),
    diagnostics: dump.diagnostics
      .map((d) => `${d.span.line}:${d.span.start}-${d.span.end} ${d.severity} ${d.code} ${d.message}`)
      .sort(),
  };
}

function edit(line: number, character: number, endCharacter: number, text: string): TextEdit {
  return { range: { start: { line, character }, end: { line, character: endCharacter } }, text };
}

/** Lines of rules whose target is a chain of the same table (so an edit there moves a reference). */
function ruleLines(dump: Dump): number[] {
  const lines: number[] = [];
  dump.lineOwners.forEach((owner, line) => {
    if (owner && 'bodyStart' in owner) {
      lines.push(line);
    }
  });
  return lines;
}

describe('incremental edits', () => {
  for (const file of corpusFiles()) {
    it(`patches rule lines of ${file} as a fresh parse reads them`, () => {
      let doc = DumpDocument.fromText('file:///x', 1, readCorpus(file));
      const rules = ruleLines(doc.dump);
      const picks = [0, Math.floor(rules.length / 3), Math.floor(rules.length / 2), rules.length - 1].map((i) => rules[i]).filter((l) => l !== undefined);
      let version = 1;
      for (const line of picks) {
        const text = doc.lines[line];
        const target = doc.dump.lineOwners[line];
        const targetSpan = target && 'bodyStart' in target ? target.target?.span : undefined;
        const edits: TextEdit[][] = [
          [edit(line, text.length, text.length, 'x')], // typing at the end
          [edit(line, text.length, text.length + 1, '')], // and back
          ...(targetSpan ? [[edit(line, targetSpan.end - 1, targetSpan.end, 'Q')]] : []), // a jump to a chain that does not exist
          [edit(line, 0, 0, '#')], // a rule turned into a comment: not local
          [edit(line, 0, 1, '')],
          [edit(line, text.length, text.length, '\n')], // a new line: not local
          [edit(line, text.length, text.length, '')],
        ];
        for (const change of edits) {
          doc = doc.withEdits(++version, change);
          assert.deepEqual(snapshot(doc.dump), snapshot(parseLines(doc.lines.slice())), `${file} line ${line} after ${JSON.stringify(change)}`);
        }
      }
    });
  }

  it('reads only the edited rule when the edit stays inside it', () => {
    const lines = ['*nat', ':PREROUTING ACCEPT [0:0]', ':A - [0:0]', ':B - [0:0]', '-A PREROUTING -j A', '-A A -p tcp -j B', 'COMMIT'];
    const dump = parseLines(lines.slice());
    const edited = lines.slice();
    edited[5] = '-A A -p udp -j RETURN';
    assert.equal(patchRuleLines(dump, edited, 5, 5), true);
    assert.deepEqual(snapshot(dump), snapshot(parseLines(edited.slice())));
    edited[2] = ':C - [0:0]';
    assert.equal(patchRuleLines(dump, edited, 2, 2), false, 'a declaration is not a rule edit');
  });
});
