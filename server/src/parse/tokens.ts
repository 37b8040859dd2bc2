// Splits one iptables-save / iptables -S line into words the way iptables-restore does: blanks separate
// words, double (or single) quotes group them, and a backslash escapes the next character inside quotes.

/** One word of a line, with quotes and escapes removed from `text`; `start`/`end` cover it as written. */
export interface Token {
  text: string;
  start: number;
  end: number;
  quoted: boolean;
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
    while (i < length && !isBlank(line.charCodeAt(i))) {
      const ch = line[i];
      if (ch === '"' || ch === "'") {
        quoted = true;
        text += line.slice(plainFrom, i);
        const quote = ch;
        i++;
        while (i < length && line[i] !== quote) {
          if (line[i] === '\\' && i + 1 < length) {
            i++;
          }
          text += line[i];
          i++;
        }
        i++; // closing quote
        plainFrom = i;
      } else {
        i++;
      }
    }
    if (plainFrom < i) {
      text += line.slice(plainFrom, Math.min(i, length));
    }
    tokens.push({ text, start, end: Math.min(i, length), quoted });
  }
  return tokens;
}

/** Whether a quote opened on this line is never closed (an iptables-restore error). */
export function hasUnterminatedQuote(line: string): boolean {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === '\\') {
        i++;
      } else if (ch === quote) {
        quote = undefined;
      }
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    }
  }
  return quote !== undefined;
}
