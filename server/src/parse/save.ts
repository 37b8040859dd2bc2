// Lines of iptables-save output, kube-proxy's iptables-restore input and `iptables -S`:
// `*table`, `:CHAIN POLICY [p:b]`, `[p:b] -A CHAIN …`, `-N`/`-P`/`-X`/`-I`, `COMMIT`.
import type { Counters, Span, Table } from '../model/types';
import { startsNextTable } from '../model/types';
import { newCounters } from './counters';
import type { DumpBuilder, ParsedChain } from './builder';
import { closingQuote, digitsEnd, digitsValue, hasUnterminatedQuote, isPrintable, RULE_COUNTERS, tokenize, WordCursor } from './tokens';
import type { Token } from './tokens';

const TABLE_HEADER = /^\*(\S+)\s*$/;
const DECLARATION = /^:(\S+)\s+(\S+)(?:\s+\[(\d+):(\d+)\])?\s*$/;

/** Whether a line belongs to the save / -S family (so the caller dispatches it here). */
export function isSaveLine(text: string): boolean {
  const c = text.charCodeAt(0);
  // '*', ':', '-', '['
  return c === 42 || c === 58 || c === 45 || (c === 91 && RULE_COUNTERS.test(text)) || (c === 67 /* C */ && /^COMMIT\s*$/.test(text));
}

export function parseSaveLine(b: DumpBuilder, text: string, line: number): void {
  const first = text.charCodeAt(0);
  if (first === 45 /* - */) {
    command(b, text, line); // the rules: most lines of a dump
  } else if (first === 42 /* * */) {
    tableHeader(b, text, line);
  } else if (first === 58 /* : */) {
    declaration(b, text, line);
  } else if (/^COMMIT\s*$/.test(text)) {
    commit(b, text, line);
  } else {
    command(b, text, line);
  }
}

function tableHeader(b: DumpBuilder, text: string, line: number): void {
  const match = TABLE_HEADER.exec(text);
  if (!match) {
    b.diagnose({ line, start: 0, end: text.length }, 'error', 'bad-table-header', 'Expected a table header such as `*nat` (one word after `*`).');
    return;
  }
  closeUncommitted(b);
  const name = match[1];
  const table = b.startTable('save', line, name, { line, start: 1, end: 1 + name.length });
  b.lineOwners[line] = table;
}

/** A save table left open when another starts (or the text ends) was never committed: iptables-restore would refuse it. */
export function closeUncommitted(b: DumpBuilder): void {
  const table = b.current;
  if (table && table.format === 'save' && table.committed === false && table.header) {
    b.diagnose(table.header, 'error', 'missing-commit', `Table ${table.name} has no COMMIT line: iptables-restore would not apply it.`);
  }
}

function declaration(b: DumpBuilder, text: string, line: number): void {
  const table = (): Table => (b.current && b.current.format === 'save' ? b.current : b.startTable('save', line, undefined, undefined, true));
  if (b.fastPaths && plainDeclaration(text)) {
    const { nameEnd, policyEnd, packetsEnd } = PLAIN;
    const name = text.slice(1, nameEnd);
    const chain = b.declare(table(), name, line, 1, nameEnd, 'declaration');
    const policy = policyEnd === nameEnd + 2 && text.charCodeAt(nameEnd + 1) === 45 /* - */ ? undefined : text.slice(nameEnd + 1, policyEnd);
    const counters = packetsEnd < 0 ? undefined : newCounters(digitsValue(text, policyEnd + 2, packetsEnd), digitsValue(text, packetsEnd + 1, text.length - 1), false);
    b.setPolicy(chain, policy, counters);
    return;
  }
  const match = DECLARATION.exec(text);
  if (!match) {
    b.diagnose({ line, start: 0, end: text.length }, 'error', 'bad-declaration', 'Expected a chain declaration `:CHAIN POLICY [packets:bytes]` (policy `-` for a user chain).');
    return;
  }
  const [, name, policy, packets, bytes] = match;
  const chain = b.declare(table(), name, line, 1, 1 + name.length, 'declaration');
  const counters = packets !== undefined ? newCounters(Number(packets), Number(bytes), false) : undefined;
  b.setPolicy(chain, policy === '-' ? undefined : policy, counters);
}

/** Where `plainDeclaration` found the parts (reused: no object per line). */
const PLAIN = { nameEnd: 0, policyEnd: 0, packetsEnd: -1 };

/**
 * Whether a declaration has the plain shape iptables-save prints, `:NAME POLICY` or `:NAME POLICY [P:B]`
 * (printable ASCII, single blanks, P and B digits), which `DECLARATION` reads the same way; fills `PLAIN`.
 */
function plainDeclaration(text: string): boolean {
  const length = text.length;
  let i = 1;
  while (i < length && isPrintable(text.charCodeAt(i))) {
    i++;
  }
  if (i === 1 || i >= length || text.charCodeAt(i) !== 32) {
    return false;
  }
  PLAIN.nameEnd = i;
  i++;
  const policyStart = i;
  while (i < length && isPrintable(text.charCodeAt(i))) {
    i++;
  }
  if (i === policyStart) {
    return false;
  }
  PLAIN.policyEnd = i;
  PLAIN.packetsEnd = -1;
  if (i === length) {
    return true;
  }
  // ` [P:B]` to the end of the line
  if (text.charCodeAt(i) !== 32 || text.charCodeAt(i + 1) !== 91 /* [ */) {
    return false;
  }
  const colon = digitsEnd(text, i + 2);
  const close = digitsEnd(text, colon + 1);
  if (colon === i + 2 || text.charCodeAt(colon) !== 58 /* : */ || close === colon + 1 || text.charCodeAt(close) !== 93 /* ] */ || close !== length - 1) {
    return false;
  }
  PLAIN.packetsEnd = colon;
  return true;
}

function commit(b: DumpBuilder, text: string, line: number): void {
  const table = b.current;
  if (!table || table.format !== 'save' || table.committed !== false) {
    b.diagnose({ line, start: 0, end: text.length }, 'error', 'stray-commit', 'COMMIT without an open `*table` above it.');
    return;
  }
  table.committed = true;
  b.touch(table, line);
  b.lineOwners[line] = table;
  b.current = undefined;
}

/** The table a `-A`/`-N`/`-P` line goes to: the open `*table`, an `iptables -S` listing, or an excerpt. */
function tableForCommand(b: DumpBuilder, op: string, chainName: string, line: number): Table {
  const current = b.current;
  if (current && current.format === 'save' && current.committed === false) {
    return current;
  }
  if (op === '-P') {
    // `iptables -S` prints a table's policies first: a policy after anything else starts the next table.
    if (current && current.format === 'spec' && !startsNextTable(chainName, current.chains.keys()) && !current.chains.has(chainName) && inPolicyBlock(current)) {
      return current;
    }
    return b.startTable('spec', line);
  }
  if (current && (current.format === 'spec' || current.format === 'save')) {
    return current;
  }
  return op === '-N' ? b.startTable('spec', line) : b.startTable('save', line, undefined, undefined, true);
}

function inPolicyBlock(table: Table): boolean {
  for (const chain of table.chains.values()) {
    if (chain.declaredBy !== 'policy' || chain.rules.length > 0) {
      return false;
    }
  }
  return true;
}

function command(b: DumpBuilder, text: string, line: number): void {
  if (b.fastPaths && appendRule(b, text, line)) {
    return;
  }
  let counters: Counters | undefined;
  let offset = 0;
  if (text.charCodeAt(0) === 91 /* [ */) {
    const countersMatch = RULE_COUNTERS.exec(text);
    if (countersMatch) {
      counters = newCounters(Number(countersMatch[1]), Number(countersMatch[2]), false);
      offset = countersMatch[0].length;
    }
  }
  const words = new WordCursor(text, offset);
  const whole = (): Span => ({ line, start: 0, end: text.length });
  const op = words.next() ? words.text() : '';
  if (!COMMANDS.has(op)) {
    b.diagnose(whole(), 'error', 'unknown-command', `Unrecognised command \`${op}\`: expected -A, -I, -N, -P or -X (or a *table, :CHAIN or COMMIT line).`);
    return;
  }
  // An empty quoted word (`-A ""`) is no name either: an outline entry must have one.
  const name = words.next() ? words.text() : '';
  if (name === '') {
    b.diagnose(whole(), 'error', 'missing-chain', `\`${op}\` needs a chain name.`);
    return;
  }
  // Checked only on a line that is read (a line rejected above already has its one diagnostic).
  if (op !== '-D' && op !== '-R' && (text.includes('"') || text.includes("'")) && hasUnterminatedQuote(text)) {
    b.diagnose(whole(), 'error', 'unterminated-quote', 'A quoted value is not closed on this line.');
  }
  const nameSpan: Span = { line, start: words.start, end: words.end };
  const table = tableForCommand(b, op, name, line);
  switch (op) {
    case '-N':
      b.declare(table, name, line, nameSpan.start, nameSpan.end, 'new');
      return;
    case '-P':
      policyCommand(b, table, name, nameSpan, tokenize(text, nameSpan.end));
      return;
    case '-X':
    case '-F':
    case '-Z':
      b.lineOwners[line] = table.chains.get(name);
      return;
    case '-D':
    case '-R':
      b.diagnose(whole(), 'warning', 'not-a-dump-command', `\`${op}\` changes a live ruleset; it is not part of a dump and is ignored here.`);
      return;
  }
  // -A / -I
  const chain = b.chain(table, name, line);
  declareByRule(b, table, chain, line, nameSpan.start, nameSpan.end);
  let bodyStart = nameSpan.end;
  let targetName: string | undefined;
  let targetStart = -1;
  let goto = false;
  let ruleCounters = counters;
  let first = true;
  while (words.next()) {
    if (first && op === '-I' && /^\d+$/.test(words.text())) {
      bodyStart = words.end; // `-I CHAIN 1 …`: the rule number is not an option
    }
    first = false;
    if (targetName !== undefined || words.quoted) {
      continue;
    }
    const isGoto = words.is('-g') || words.is('--goto');
    if (isGoto || words.is('-j') || words.is('--jump')) {
      const jumpStart = words.start;
      const jumpEnd = words.end;
      const next = words.next() ? words.text() : '';
      if (next !== '') {
        targetName = next;
        targetStart = words.start;
        goto = isGoto;
      } else {
        b.diagnose({ line, start: jumpStart, end: jumpEnd }, 'error', 'missing-target', `\`${text.slice(jumpStart, jumpEnd)}\` needs a target.`);
      }
    } else if (words.is('-c') || words.is('--set-counters')) {
      const packets = words.next() ? words.text() : '';
      const bytes = words.next() ? words.text() : '';
      ruleCounters = newCounters(Number(packets), Number(bytes), false);
    }
  }
  b.addRule(chain, line, text, bodyStart, targetName, targetStart, goto, ruleCounters, undefined, op === '-I', true);
}

/** A rule of a chain with no declaration: fine in an excerpt or `-S` listing (the rule declares it), else an error. */
export function declareByRule(b: DumpBuilder, table: Table, chain: ParsedChain, line: number, start: number, end: number): void {
  if (chain.declaredBy !== undefined) {
    return;
  }
  if (!(table.excerpt || table.format === 'spec' || chain.builtin)) {
    b.diagnose(
      { line, start, end },
      'error',
      'undeclared-chain',
      `Chain ${chain.name} is not declared in table ${table.name}: add \`:${chain.name} - [0:0]\` above the rules.`,
    );
  }
  // An excerpt (or -S listing) knows a chain from its first rule; built-in chains always exist.
  chain.declareAt(line, start, end, 'first-rule');
}

/** A jump or other option word that the fast path leaves to the word-by-word reader, when it is not `-j`. */
const RULE_OPTION = / (?:-j|-g|-c|--jump|--goto|--set-counters)(?= |$)/g;

/**
 * The common rule line, `[packets:bytes] -A CHAIN … -j TARGET …` with single spaces, read without the word
 * cursor: the target is the first ` -j ` outside quotes (found with a regular expression, skipping quoted
 * values by their quotes). Returns false, having changed nothing, for any other shape, which `command` then
 * reads word by word: another command (-I, -N …), a tab or CR, a quote in the chain or target name, a
 * `-g`/`--goto`/`--jump`/`-c` before the target, a run of blanks where one blank is expected, `-j` without a
 * target, a quote left open before the target. What it reads is what `command` reads; a test compares them.
 */
function appendRule(b: DumpBuilder, text: string, line: number): boolean {
  const length = text.length;
  let counters: Counters | undefined;
  let at = 0;
  if (text.charCodeAt(0) === 91 /* [ */) {
    const colon = digitsEnd(text, 1);
    const close = digitsEnd(text, colon + 1);
    if (colon === 1 || text.charCodeAt(colon) !== 58 /* : */ || close === colon + 1 || text.charCodeAt(close) !== 93 /* ] */ || text.charCodeAt(close + 1) !== 32) {
      return false;
    }
    counters = newCounters(digitsValue(text, 1, colon), digitsValue(text, colon + 1, close), false);
    at = close + 2;
  }
  const nameStart = at + 3;
  if (text.charCodeAt(at) !== 45 /* - */ || text.charCodeAt(at + 1) !== 65 /* A */ || text.charCodeAt(at + 2) !== 32 || nameStart >= length || text.charCodeAt(nameStart) === 32 || hasTabOrCr(text)) {
    return false;
  }
  const nameEnd = text.indexOf(' ', nameStart);
  if (nameEnd < 0) {
    return false;
  }
  let doubleQuote = text.indexOf('"', nameStart);
  let singleQuote = text.indexOf("'", nameStart);
  let quote = nextQuote(doubleQuote, singleQuote, length);
  if (quote < nameEnd) {
    return false;
  }
  // Find the first option the fast path cares about that is outside quotes: the quoted values before a match
  // (every one when there is none) must close before it; a match inside one is searched for again after it.
  const backslash = quote < length ? text.indexOf('\\', quote) : -1;
  let from = nameEnd;
  let option = -1;
  let optionEnd = -1;
  for (;;) {
    RULE_OPTION.lastIndex = from;
    const found = RULE_OPTION.test(text);
    const end = RULE_OPTION.lastIndex;
    const blank = found ? text.lastIndexOf(' ', end - 1) : length; // the blank the match starts with
    let close = -1;
    while (quote < blank) {
      // Without a backslash on the line the closing quote is the next one (a native search, not a loop).
      const quoteCode = text.charCodeAt(quote);
      close = backslash < 0 ? text.indexOf(quoteCode === 34 ? '"' : "'", quote + 1) : closingQuote(text, quote + 1, quoteCode);
      if (close < 0 || close >= length) {
        return false; // a quote left open: the word reader reports it
      }
      if (close > blank) {
        break;
      }
      if (doubleQuote >= 0 && doubleQuote <= close) {
        doubleQuote = text.indexOf('"', close + 1);
      }
      if (singleQuote >= 0 && singleQuote <= close) {
        singleQuote = text.indexOf("'", close + 1);
      }
      quote = nextQuote(doubleQuote, singleQuote, length);
    }
    if (quote >= blank) {
      // every quote before the match (or the end of the line) is closed
      if (found) {
        option = blank + 1;
        optionEnd = end;
      }
      break;
    }
    from = close + 1; // the match is inside the quoted value that `close` ends
  }
  let targetName: string | undefined;
  let targetStart = -1;
  let afterTarget = length;
  if (option >= 0) {
    // Only `-j NAME` with one blank before an unquoted name; anything else goes word by word.
    targetStart = optionEnd + 1;
    if (optionEnd - option !== 2 || text.charCodeAt(option + 1) !== 106 /* j */ || targetStart >= length || text.charCodeAt(targetStart) === 32) {
      return false;
    }
    afterTarget = text.indexOf(' ', targetStart);
    if (afterTarget < 0) {
      afterTarget = length;
    }
    if (quote < afterTarget) {
      return false;
    }
    targetName = text.slice(targetStart, afterTarget);
  }
  // Every quote before `quote` is closed: the rest of the line tells whether one is left open.
  if (quote < length && hasUnterminatedQuote(text, quote)) {
    b.diagnose({ line, start: 0, end: length }, 'error', 'unterminated-quote', 'A quoted value is not closed on this line.');
  }
  const table = tableForCommand(b, '-A', '', line);
  const chain = b.chainNamedAt(table, text, nameStart, nameEnd, line);
  declareByRule(b, table, chain, line, nameStart, nameEnd);
  b.addRule(chain, line, text, nameEnd, targetName, targetStart, false, counters, undefined, false, true);
  return true;
}

/** A tab or CR: another kind of blank, left to the word reader. (Two memchr-like searches cost less than a regular expression.) */
function hasTabOrCr(text: string): boolean {
  return text.includes('\t') || text.includes('\r');
}

function nextQuote(doubleQuote: number, singleQuote: number, length: number): number {
  return Math.min(doubleQuote < 0 ? length : doubleQuote, singleQuote < 0 ? length : singleQuote);
}

const COMMANDS = new Set(['-A', '-I', '-N', '-P', '-X', '-F', '-Z', '-D', '-R']);

function policyCommand(b: DumpBuilder, table: Table, name: string, nameSpan: Span, tokens: Token[]): void {
  const chain = b.declare(table, name, nameSpan.line, nameSpan.start, nameSpan.end, 'policy');
  let policyCounters: Counters | undefined;
  const c = tokens.findIndex((t) => t.text === '-c' || t.text === '--set-counters');
  if (c >= 0 && tokens[c + 2]) {
    policyCounters = newCounters(Number(tokens[c + 1].text), Number(tokens[c + 2].text), false);
  }
  b.setPolicy(chain, tokens[0]?.text, policyCounters);
  if (!tokens[0]) {
    b.diagnose(nameSpan, 'error', 'missing-policy', `\`-P ${name}\` needs a policy (ACCEPT or DROP).`);
  }
}
