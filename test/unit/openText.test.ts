// The server's open-document text: edits applied when the whole text is asked for must give what
// vscode-languageserver-textdocument's TextDocument gives, for every mix of line ends (a CR and an LF typed next to
// each other make one line end) and for positions past the end of a line or of the text.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { applyChanges, OpenText } from '../../server/src/openText';
import type { TextEdit } from '../../server/src/features/document';

const piece = fc.constantFrom('a', 'bc', ' ', '-A X', '\n', '\r', '\r\n', '\n\n', '');
const textArb = fc.array(piece, { maxLength: 30 }).map((pieces) => pieces.join(''));
const position = fc.record({ line: fc.nat(8), character: fc.nat(8) });
const changeArb: fc.Arbitrary<TextEdit> = fc.oneof(
  { weight: 9, arbitrary: fc.record({ range: fc.record({ start: position, end: position }), text: textArb }) },
  { weight: 1, arbitrary: fc.record({ text: textArb }) },
);

/**
 * `text` after `changes`, each applied to a TextDocument made afresh from the text before it: its line table is
 * then the editor's. (Not one TextDocument.update after another: its incremental line table counts an LF typed
 * after a bare CR as a line of its own, where the editor sees one CRLF line end.)
 */
function reference(text: string, changes: readonly TextEdit[]): string {
  return changes.reduce((current, change, index) => {
    const document = TextDocument.create('file:///t', 'iptables', index + 1, current);
    return TextDocument.update(document, [change], index + 2).getText();
  }, text);
}

describe('open document text (edits applied on demand)', () => {
  it('equals TextDocument for random texts and edits, CR, LF and CRLF mixed', () => {
    fc.assert(
      fc.property(textArb, fc.array(changeArb, { maxLength: 12 }), (text, changes) => {
        assert.equal(applyChanges(text, changes), reference(text, changes));
      }),
      { numRuns: 3000, seed: 20261126 },
    );
  });

  it('gives the text of the version it was last told, however its edits arrived', () => {
    fc.assert(
      fc.property(textArb, fc.array(fc.array(changeArb, { minLength: 1, maxLength: 3 }), { maxLength: 8 }), fc.nat(7), (text, batches, readAt) => {
        const open = new OpenText('file:///t', 'iptables', 1, text);
        let expected = text;
        batches.forEach((batch, index) => {
          open.update(batch, index + 2);
          expected = reference(expected, batch);
          if (index === readAt) {
            assert.equal(open.getText(), expected, 'read between edits');
          }
        });
        assert.equal(open.getText(), expected);
        assert.equal(open.version, batches.length + 1);
      }),
      { numRuns: 1000, seed: 7 },
    );
  });

  it('applies a thousand keystrokes in a large text with one pass, not one copy of the text per keystroke', () => {
    const lines = Array.from({ length: 200_000 }, (_, i) => `-A KUBE-SEP-${i} -j DNAT --to-destination 10.0.${i >> 8 & 255}.${i & 255}:80`);
    const text = lines.join('\n');
    const changes: TextEdit[] = Array.from({ length: 1000 }, (_, i) => ({
      range: { start: { line: 1000 + i, character: 5 }, end: { line: 1000 + i, character: 5 } },
      text: 'x',
    }));
    const edited = applyChanges(text, changes);
    const expectedLines = [...lines];
    for (let i = 0; i < 1000; i++) {
      expectedLines[1000 + i] = `${lines[1000 + i].slice(0, 5)}x${lines[1000 + i].slice(5)}`;
    }
    assert.equal(edited, expectedLines.join('\n'));
  });
});
