// Random edits of any kind, as a user makes them while reading a dump, for the walks that compare an edited document
// with the same text opened fresh (test/unit/kube/mixedEdits.test.ts, test/protocol/editWalk.test.ts).
import type { TextEdit } from '../../server/src/features/document';

const CHARACTERS = ['x', 'Q', '-', ' ', '1', '0', '.', '#', ':', '"', '\n', 'A', '/', '[', ']'];

/**
 * One random change of `lines`: a character typed or deleted anywhere (a line end included), a word replaced by a
 * word of a line near by, lines deleted or pasted from near by, a line added, or characters typed on a few lines at
 * once. None when the line picked offers nothing to do.
 */
export function randomChange(lines: readonly string[], random: () => number): TextEdit[] {
  const at = (line: number, character: number): { line: number; character: number } => ({ line, character });
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const line = Math.floor(random() * lines.length);
  const text = lines[line];
  const choice = random();
  if (choice < 0.3) {
    const c = Math.floor(random() * (text.length + 1));
    return [{ range: { start: at(line, c), end: at(line, c) }, text: pick(CHARACTERS) }];
  }
  if (choice < 0.5) {
    if (text.length === 0 || random() < 0.1) {
      return line + 1 < lines.length ? [{ range: { start: at(line, text.length), end: at(line + 1, 0) }, text: '' }] : [];
    }
    const c = Math.floor(random() * text.length);
    return [{ range: { start: at(line, c), end: at(line, c + 1) }, text: '' }];
  }
  if (choice < 0.65) {
    const words = [...text.matchAll(/\S+/g)];
    const other = lines[Math.max(0, Math.min(lines.length - 1, line + Math.floor(random() * 21) - 10))];
    const otherWords = [...other.matchAll(/\S+/g)];
    if (words.length === 0 || otherWords.length === 0) {
      return [];
    }
    const word = pick(words);
    return [{ range: { start: at(line, word.index), end: at(line, word.index + word[0].length) }, text: pick(otherWords)[0] }];
  }
  if (choice < 0.8) {
    const count = 1 + Math.floor(random() * (random() < 0.8 ? 3 : 40));
    const end = Math.min(lines.length - 1, line + count);
    if (end <= line) {
      return [];
    }
    if (random() < 0.5) {
      return [{ range: { start: at(line, 0), end: at(end, 0) }, text: '' }];
    }
    const from = Math.max(0, Math.min(lines.length - 1 - count, line + Math.floor(random() * 81) - 40));
    return [{ range: { start: at(line, 0), end: at(line, 0) }, text: `${lines.slice(from, from + count).join('\n')}\n` }];
  }
  if (choice < 0.9) {
    return [{ range: { start: at(line, text.length), end: at(line, text.length) }, text: random() < 0.5 ? '\n' : `\n${pick(lines)}` }];
  }
  const edits: TextEdit[] = [];
  for (let i = 0; i < 2 + Math.floor(random() * 4) && line + i < lines.length; i++) {
    const c = Math.floor(random() * (lines[line + i].length + 1));
    edits.push({ range: { start: at(line + i, c), end: at(line + i, c) }, text: pick(['x', ' ', '#', '1']) });
  }
  return edits;
}
