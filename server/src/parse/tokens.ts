// Splits one iptables-save / iptables -S line into words the way iptables-restore does: blanks separate
// words, double (or single) quotes group them, and a backslash escapes the next character inside quotes.

/** One word of a line, with quotes and escapes removed from `text`; `start`/`end` cover it as written. */
export interface Token {
  text: string;
  start: number;
  end: number;
  quoted: boolean;
}

/** The `[packets:bytes]` prefix of a rule line of `iptables-save -c`. */
export const RULE_COUNTERS = /^\[(\d+):(\d+)\]\s+/;

/** Length of the `[packets:bytes] ` prefix of a rule line, 0 when it has none. */
export function ruleCountersLength(text: string): number {
  if (text.charCodeAt(0) !== 91 /* [ */) {
    return 0;
  }
  const match = RULE_COUNTERS.exec(text);
  return match ? match[0].length : 0;
}

function isBlank(code: number): boolean {
  return code === 32 || code === 9 || code === 13;
}

/** Tokenises `line` from offset `from`. An unterminated quote runs to the end of the line (and is reported by the caller if it matters). */
export function tokenize(line: string, from = 0): Token[] {
  const tokens: Token[] = [];
  const length = line.length;
  let i = from;
  while (i < length) {
    while (i < length && isBlank(line.charCodeAt(i))) {
      i++;
    }
    if (i >= length) {
      break;
    }
    const start = i;
    let text = '';
    let quoted = false;
    let plainFrom = i;
    while (i < length) {
      const code = line.charCodeAt(i);
      if (isBlank(code)) {
        break;
      }
      if (code !== 34 /* " */ && code !== 39 /* ' */) {
        i++;
        continue;
      }
      quoted = true;
      text += line.slice(plainFrom, i);
      const close = closingQuote(line, i + 1, code);
      const inner = line.slice(i + 1, close);
      text += inner.includes('\\') ? inner.replace(/\\(.)/g, '$1') : inner;
      i = Math.min(close + 1, length);
      plainFrom = i;
    }
    if (plainFrom < i) {
      text += line.slice(plainFrom, i);
    }
    tokens.push({ text, start, end: i, quoted });
  }
  return tokens;
}

/** Offset of the quote that closes one opened before `from` (skipping backslash escapes), or the line's length. */
export function closingQuote(line: string, from: number, quote: number): number {
  for (let i = from; i < line.length; i++) {
    const code = line.charCodeAt(i);
    if (code === 92 /* \\ */) {
      i++;
    } else if (code === quote) {
      return i;
    }
  }
  return line.length;
}

/** Whether a quote opened on this line (from `from`, outside quotes) is never closed (an iptables-restore error). */
export function hasUnterminatedQuote(line: string, from = 0): boolean {
  for (let i = from; i < line.length; i++) {
    const code = line.charCodeAt(i);
    if (code === 34 || code === 39) {
      const close = closingQuote(line, i + 1, code);
      if (close >= line.length) {
        return true;
      }
      i = close;
    }
  }
  return false;
}

/**
 * Walks the words of a line without building them, for the parse of large dumps: only the few words the
 * model keeps (command, chain, target) are turned into strings with `text()`.
 */
export class WordCursor {
  start = 0;
  end = 0;
  quoted = false;
  private position: number;

  constructor(
    private readonly line: string,
    from = 0,
  ) {
    this.position = from;
  }

  /** Moves to the next word; false at the end of the line. */
  next(): boolean {
    const line = this.line;
    const length = line.length;
    let i = this.position;
    while (i < length && isBlank(line.charCodeAt(i))) {
      i++;
    }
    if (i >= length) {
      this.position = i;
      return false;
    }
    this.start = i;
    this.quoted = false;
    while (i < length) {
      const code = line.charCodeAt(i);
      if (isBlank(code)) {
        break;
      }
      if (code === 34 || code === 39) {
        this.quoted = true;
        i = Math.min(closingQuote(line, i + 1, code) + 1, length);
      } else {
        i++;
      }
    }
    this.end = i;
    this.position = i;
    return true;
  }

  /** Whether the current word is exactly `word` (unquoted), without building a string. */
  is(word: string): boolean {
    return !this.quoted && this.end - this.start === word.length && isWordAt(this.line, word, this.start);
  }

  /** The current word with quotes and escapes removed. */
  text(): string {
    return this.quoted ? tokenize(this.line.slice(0, this.end), this.start)[0].text : this.line.slice(this.start, this.end);
  }
}

/**
 * Where the first two words of a save or `-S` command line are (`-A`, and the chain name), after its
 * `[packets:bytes]` counters if any; a word the line lacks is empty, at its end.
 */
export function commandWordSpans(text: string): { command: { start: number; end: number }; chain: { start: number; end: number } } {
  const words = new WordCursor(text, ruleCountersLength(text));
  const none = { start: text.length, end: text.length };
  if (!words.next()) {
    return { command: none, chain: none };
  }
  const command = { start: words.start, end: words.end };
  return { command, chain: words.next() ? { start: words.start, end: words.end } : none };
}

/**
 * Whether `word` is written in `text` at `start`: `text.startsWith(word, start)`, which in V8 (Node 20) costs
 * about ten times this native search when the word is there (and a parse asks that of most lines).
 */
export function isWordAt(text: string, word: string, start: number): boolean {
  return text.indexOf(word, start) === start;
}

/** A printable ASCII character other than the blank. */
export function isPrintable(code: number): boolean {
  return code > 32 && code < 127;
}

/** A decimal digit's character code. */
export function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Offset after the decimal digits that start at `from`. */
export function digitsEnd(text: string, from: number): number {
  const length = text.length;
  let i = from;
  // Bounded: V8 optimises a loop that reads past the end (charCodeAt gives NaN) much less well.
  while (i < length && isDigit(text.charCodeAt(i))) {
    i++;
  }
  return i;
}

/** `Number(text.slice(start, end))` of a run of digits, without the string when it is exact as a double. */
export function digitsValue(text: string, start: number, end: number): number {
  if (end - start > 15) {
    return Number(text.slice(start, end));
  }
  let value = 0;
  for (let i = start; i < end; i++) {
    value = value * 10 + (text.charCodeAt(i) - 48);
  }
  return value;
}
