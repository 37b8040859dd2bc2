// The text of an open document as the language server keeps it for `TextDocuments`: the text it was opened with
// and the edits since, applied only when something asks for the whole text. The model follows edits line by line
// from the edits themselves (DumpDocument.withEdits); the whole text is wanted only where that cannot be done (bare
// CR line ends, a version the model missed). vscode-languageserver-textdocument's TextDocument applies every edit
// to the whole string at once, and its next edit copies it (V8 flattens the joined string): 30–60 ms and 40 MB of
// garbage per keystroke in a 20,000-service dump.

import type { TextEdit } from './features/document';

export class OpenText {
  private pending: TextEdit[] = [];

  constructor(
    readonly uri: string,
    readonly languageId: string,
    public version: number,
    private text: string,
  ) {}

  /** Records `changes` (applied in order) as making `version`. */
  update(changes: readonly TextEdit[], version: number): this {
    for (const change of changes) {
      if ('range' in change) {
        this.pending.push(change);
      } else {
        this.text = change.text;
        this.pending = [];
      }
    }
    this.version = version;
    return this;
  }

  /** The whole text of the current version (the pending edits are applied now, once). */
  getText(): string {
    if (this.pending.length > 0) {
      this.text = applyChanges(this.text, this.pending);
      this.pending = [];
    }
    return this.text;
  }
}

/** A line of text and its line end (`\n`, `\r\n`, `\r`, or '' for the last line). */
interface Line {
  content: string;
  end: string;
}

const LINE = /([^\r\n]*)(\r\n|\r|\n|$)/y;

/** `text` as lines with their ends, the way LSP counts lines (CR, LF and CRLF each end one). */
function splitKeepingEnds(text: string): Line[] {
  const lines: Line[] = [];
  LINE.lastIndex = 0;
  for (;;) {
    const match = LINE.exec(text)!;
    lines.push({ content: match[1], end: match[2] });
    if (match[2] === '') {
      return lines;
    }
  }
}

/**
 * `text` after `changes`, each a range in the text the ones before it left, as TextDocument.update applies them:
 * a position past the end of its line is at the line's end, one past the last line at the end of the text. Only
 * the lines an edit touches are cut and joined again (with their neighbours, whose line ends it may join, as an
 * LF typed after a CR does), so a thousand edits cost about one pass over the text, not a thousand.
 */
export function applyChanges(text: string, changes: readonly TextEdit[]): string {
  let lines = splitKeepingEnds(text);
  for (const change of changes) {
    if (!('range' in change)) {
      lines = splitKeepingEnds(change.text);
      continue;
    }
    const offset = (position: { line: number; character: number }): [number, number] => {
      if (position.line >= lines.length) {
        return [lines.length - 1, lines[lines.length - 1].content.length + lines[lines.length - 1].end.length];
      }
      if (position.line < 0) {
        return [0, 0];
      }
      return [position.line, Math.min(Math.max(position.character, 0), lines[position.line].content.length)];
    };
    let [startLine, startCharacter] = offset(change.range.start);
    let [endLine, endCharacter] = offset(change.range.end);
    if (endLine < startLine || (endLine === startLine && endCharacter < startCharacter)) {
      [startLine, startCharacter, endLine, endCharacter] = [endLine, endCharacter, startLine, startCharacter];
    }
    // The lines around the edit too: a CR before it and an LF after it (or the reverse) may now be one line end.
    const first = Math.max(startLine - 1, 0);
    const last = Math.min(endLine + 1, lines.length - 1);
    const whole = (line: Line): string => line.content + line.end;
    let joined = '';
    for (let line = first; line < startLine; line++) {
      joined += whole(lines[line]);
    }
    const start = lines[startLine];
    const end = lines[endLine];
    joined += (start.content + start.end).slice(0, startCharacter) + change.text + (end.content + end.end).slice(endCharacter);
    for (let line = endLine + 1; line <= last; line++) {
      joined += whole(lines[line]);
    }
    const replacement = splitKeepingEnds(joined);
    if (last < lines.length - 1 && replacement[replacement.length - 1].end === '') {
      // The joined lines ended with a line end, which leaves an empty last piece that is not a line of its own.
      replacement.pop();
    }
    if (replacement.length === last - first + 1) {
      for (let i = 0; i < replacement.length; i++) {
        lines[first + i] = replacement[i];
      }
    } else {
      lines = lines.slice(0, first).concat(replacement, lines.slice(last + 1)); // not splice(...): a paste may be 100,000 lines
    }
  }
  let result = '';
  for (const line of lines) {
    result += line.content + line.end;
  }
  return result;
}
