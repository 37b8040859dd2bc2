// Lines of iptables-save output, kube-proxy's iptables-restore input and `iptables -S`:
// `*table`, `:CHAIN POLICY [p:b]`, `[p:b] -A CHAIN …`, `-N`/`-P`/`-X`/`-I`, `COMMIT`.
import type { Counters, Span, Table, Target } from '../model/types';
import { startsNextTable } from '../model/types';
import type { DumpBuilder } from './builder';
import { hasUnterminatedQuote, tokenize, WordCursor } from './tokens';
import type { Token } from './tokens';

const TABLE_HEADER = /^\*(\S+)\s*$/;
const DECLARATION = /^:(\S+)\s+(\S+)(?:\s+\[(\d+):(\d+)\])?\s*$/;
const RULE_COUNTERS = /^\[(\d+):(\d+)\]\s+/;

/** Whether a line belongs to the save / -S family (so the caller dispatches it here). */
export function isSaveLine(text: string): boolean {
  const c = text.charCodeAt(0);
  // '*', ':', '-', '['
  return c === 42 || c === 58 || c === 45 || (c === 91 && RULE_COUNTERS.test(text)) || text === 'COMMIT' || /^COMMIT\s*$/.test(text);
}

export function parseSaveLine(b: DumpBuilder, text: string, line: number): void {
  if (text.startsWith('*')) {
    tableHeader(b, text, line);
  } else if (text.startsWith(':')) {
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
  const match = DECLARATION.exec(text);
  if (!match) {
    b.diagnose({ line, start: 0, end: text.length }, 'error', 'bad-declaration', 'Expected a chain declaration `:CHAIN POLICY [packets:bytes]` (policy `-` for a user chain).');
    return;
  }
  const table = b.current && b.current.format === 'save' ? b.current : b.startTable('save', line, undefined, undefined, true);
  const [, name, policy, packets, bytes] = match;
  const chain = b.declare(table, name, { line, start: 1, end: 1 + name.length }, 'declaration');
  const counters: Counters | undefined =
    packets !== undefined ? { packets: Number(packets), bytes: Number(bytes), approximate: false } : undefined;
  b.setPolicy(chain, policy === '-' ? undefined : policy, counters);
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
  let counters: Counters | undefined;
  let offset = 0;
  if (text.charCodeAt(0) === 91 /* [ */) {
    const countersMatch = RULE_COUNTERS.exec(text);
    if (countersMatch) {
      counters = { packets: Number(countersMatch[1]), bytes: Number(countersMatch[2]), approximate: false };
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
      b.declare(table, name, nameSpan, 'new');
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
  if (!chain.declaration) {
    if (!(table.excerpt || table.format === 'spec' || chain.builtin)) {
      b.diagnose(nameSpan, 'error', 'undeclared-chain', `Chain ${name} is not declared in table ${table.name}: add \`:${name} - [0:0]\` above the rules.`);
    }
    // An excerpt (or -S listing) knows a chain from its first rule; built-in chains always exist.
    chain.declaration = nameSpan;
    chain.declaredBy = 'first-rule';
  }
  let bodyStart = nameSpan.end;
  let target: Target | undefined;
  let ruleCounters = counters;
  let first = true;
  while (words.next()) {
    if (first && op === '-I' && /^\d+$/.test(words.text())) {
      bodyStart = words.end; // `-I CHAIN 1 …`: the rule number is not an option
    }
    first = false;
    if (target || words.quoted) {
      continue;
    }
    const goto = words.is('-g') || words.is('--goto');
    if (goto || words.is('-j') || words.is('--jump')) {
      const jumpStart = words.start;
      const jumpEnd = words.end;
      const targetName = words.next() ? words.text() : '';
      if (targetName !== '') {
        target = { name: targetName, span: { line, start: words.start, end: words.end }, goto };
      } else {
        b.diagnose({ line, start: jumpStart, end: jumpEnd }, 'error', 'missing-target', `\`${text.slice(jumpStart, jumpEnd)}\` needs a target.`);
      }
    } else if (words.is('-c') || words.is('--set-counters')) {
      const packets = words.next() ? words.text() : '';
      const bytes = words.next() ? words.text() : '';
      ruleCounters = { packets: Number(packets), bytes: Number(bytes), approximate: false };
    }
  }
  b.addRule(table, chain, line, text, bodyStart, nameSpan, target, ruleCounters, undefined, op === '-I');
}

const COMMANDS = new Set(['-A', '-I', '-N', '-P', '-X', '-F', '-Z', '-D', '-R']);

function policyCommand(b: DumpBuilder, table: Table, name: string, nameSpan: Span, tokens: Token[]): void {
  const chain = b.declare(table, name, nameSpan, 'policy');
  let policyCounters: Counters | undefined;
  const c = tokens.findIndex((t) => t.text === '-c' || t.text === '--set-counters');
  if (c >= 0 && tokens[c + 2]) {
    policyCounters = { packets: Number(tokens[c + 1].text), bytes: Number(tokens[c + 2].text), approximate: false };
  }
  b.setPolicy(chain, tokens[0]?.text, policyCounters);
  if (!tokens[0]) {
    b.diagnose(nameSpan, 'error', 'missing-policy', `\`-P ${name}\` needs a policy (ACCEPT or DROP).`);
  }
}
