// Fast reads of the few values kube-proxy's own rules carry, straight from the rule text.
//
// A large cluster's dump has hundreds of thousands of KUBE-SVC/KUBE-SEP rules, and parsing every one into
// options (ruleDetails) costs more than the whole analysis may. These rules come from one program in a few
// fixed shapes (`-m statistic --mode random --probability 0.5` / `statistic mode random probability 0.5`,
// `--to-destination 10.0.0.1:80` / `to:10.0.0.1:80`), so a substring search finds each value; whatever
// does not have that shape (an `nth` statistic, an odd comment) falls back to ruleDetails.
import type { Rule, Span } from '../model/types';
import { ruleDetails } from '../parse/details';
import {
  affinityCheckSeconds,
  destinationAddress,
  destinationPort,
  findOption,
  normaliseProtocol,
  plainAddress,
  portNumber,
  ruleProbability,
  ruleProtocol,
} from './values';

function tokenAt(text: string, start: number): string {
  let end = start;
  while (end < text.length && text.charCodeAt(end) !== 32 && text.charCodeAt(end) !== 9) {
    end++;
  }
  return text.slice(start, end);
}

/** The value after ` name ` in the rule's option text, or undefined. */
function valueAfter(rule: Rule, name: string): string | undefined {
  const at = rule.text.indexOf(name, rule.bodyStart);
  if (at < 0) {
    return undefined;
  }
  return tokenAt(rule.text, at + name.length);
}

/** Whether the rule has a comment: whether `ruleComment` gives one, without cutting it out. */
export function hasComment(rule: Rule): boolean {
  return rule.text.indexOf(rule.format === 'list' ? '/* ' : '--comment ', rule.bodyStart) >= 0;
}

/** The rule's comment (`--comment "…"` or `/* … *\/`), quotes and escapes removed. */
export function ruleComment(rule: Rule): string | undefined {
  const text = rule.text;
  if (rule.format === 'list') {
    const open = text.indexOf('/* ', rule.bodyStart);
    if (open < 0) {
      return undefined;
    }
    const close = text.indexOf('*/', open + 3);
    return text.slice(open + 3, close < 0 ? text.length : close).trim();
  }
  const at = text.indexOf('--comment ', rule.bodyStart);
  if (at < 0) {
    return undefined;
  }
  const start = at + '--comment '.length;
  if (text.charCodeAt(start) !== 34 /* " */) {
    return tokenAt(text, start);
  }
  const close = text.indexOf('"', start + 1);
  const plain = close < 0 ? text.slice(start + 1) : text.slice(start + 1, close);
  if (!plain.includes('\\')) {
    return plain;
  }
  // An escaped quote or backslash inside the comment: unescape character by character.
  let value = '';
  for (let i = start + 1; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\' && i + 1 < text.length) {
      value += text[++i];
    } else if (ch === '"') {
      return value;
    } else {
      value += ch;
    }
  }
  return value;
}

/** The conditional probability of a rule's statistic match (1 without one). */
export function fastProbability(rule: Rule): number {
  if (!rule.text.includes('statistic', rule.bodyStart)) {
    return 1;
  }
  const value = valueAfter(rule, rule.format === 'list' ? ' probability ' : ' --probability ');
  const p = value === undefined ? NaN : Number(value);
  if (Number.isFinite(p)) {
    return Math.min(1, Math.max(0, p));
  }
  return ruleProbability(ruleDetails(rule));
}

/** kube-proxy's session-affinity check (`-m recent --rcheck --seconds N`): its timeout, or undefined. */
export function fastAffinitySeconds(rule: Rule): number | undefined {
  if (!rule.text.includes('recent', rule.bodyStart)) {
    return undefined;
  }
  const text = rule.text;
  if (rule.format === 'list') {
    if (!text.includes('recent: CHECK') && !text.includes('recent: UPDATE')) {
      return undefined;
    }
    const seconds = valueAfter(rule, 'seconds: ');
    return seconds !== undefined && /^\d+$/.test(seconds) ? Number(seconds) : affinityCheckSeconds(ruleDetails(rule));
  }
  if (!text.includes(' --rcheck') && !text.includes(' --update')) {
    return undefined;
  }
  const seconds = valueAfter(rule, ' --seconds ');
  return seconds !== undefined && /^\d+$/.test(seconds) ? Number(seconds) : affinityCheckSeconds(ruleDetails(rule));
}

/** A DNAT rule's destination (`10.0.0.1:80`). */
export function fastDnatDestination(rule: Rule): string | undefined {
  const value = valueAfter(rule, rule.format === 'list' ? ' to:' : ' --to-destination ');
  if (value !== undefined && value !== '') {
    return value;
  }
  return findOption(ruleDetails(rule).targetOptions, '--to-destination')?.values[0];
}

/** The `statistic …` text of a rule (`-m statistic --mode random --probability p` or `statistic mode random probability p`). */
export function statisticFragment(rule: Rule): Span | undefined {
  if (!rule.text.includes('statistic', rule.bodyStart)) {
    return undefined;
  }
  const options = ruleDetails(rule).matches.filter((option) => option.module === 'statistic');
  if (options.length === 0) {
    return undefined;
  }
  // A loop, not Math.min(...): a 10 MB line can hold more options than a call can take arguments.
  let start = options[0].span.start;
  let end = options[0].span.end;
  for (const option of options) {
    start = Math.min(start, option.span.start);
    end = Math.max(end, option.span.end);
  }
  // Include the module word in front (`-m statistic ` / `statistic `), so the whole fragment answers.
  const head = rule.text.lastIndexOf('statistic', start);
  if (head >= 0 && rule.text.slice(head + 'statistic'.length, start).trim() === '') {
    start = rule.text.slice(Math.max(0, head - 3), head) === '-m ' ? head - 3 : head;
  }
  return { line: rule.line, start, end };
}

/** What a dispatch rule (KUBE-SERVICES, KUBE-NODEPORTS …) matches: the service port's address, port and protocol. */
export interface DispatchMatch {
  comment?: string;
  /** Destination address without a host prefix (`10.96.0.1`); undefined when absent, negated or "anywhere". */
  destination?: string;
  destinationPort?: number;
  protocol?: string;
}

/** The value of the first of `names` in `text`, unless it is negated (`! -d …`). */
function optionIn(text: string, names: readonly string[]): string | undefined {
  for (const name of names) {
    const at = text.indexOf(name);
    if (at >= 0) {
      if (text.slice(Math.max(0, at - 2), at + 1) === ' ! ' || text.slice(Math.max(0, at - 1), at + 1) === '! ') {
        return undefined;
      }
      return tokenAt(text, at + name.length);
    }
  }
  return undefined;
}

/**
 * Reads a dispatch rule. Save and `-S` text is searched directly (kube-proxy writes `-d IP/32 -p tcp … --dport N`,
 * and the comment is cut out first so its words cannot be mistaken for options); `-L` columns go through ruleDetails.
 */
export function dispatchMatch(rule: Rule): DispatchMatch {
  if (rule.format === 'list') {
    return fastListDispatchMatch(rule) ?? listDispatchMatch(rule);
  }
  const comment = ruleComment(rule);
  let text = rule.text.slice(rule.bodyStart);
  if (comment !== undefined) {
    const at = text.indexOf('--comment ');
    const quoted = text.charCodeAt(at + 10) === 34;
    const end = quoted ? text.indexOf('"', at + 11 + comment.length) + 1 : at + 10 + comment.length;
    text = text.slice(0, at) + text.slice(Math.max(end, at + 10));
  }
  text = ' ' + text + ' ';
  const destination = optionIn(text, [' -d ', ' --destination ', ' --dst ']);
  return {
    comment,
    destination: destination === undefined || destination === '0.0.0.0/0' || destination === '::/0' ? undefined : plainAddress(destination),
    destinationPort: portNumber(optionIn(text, [' --dport ', ' --destination-port '])),
    protocol: normaliseProtocol(optionIn(text, [' -p ', ' --protocol '])),
  };
}

/** `dispatchMatch` of an `-L` row through ruleDetails: every column and the extension text read. */
export function listDispatchMatch(rule: Rule): DispatchMatch {
  const details = ruleDetails(rule);
  return {
    comment: details.comment,
    destination: destinationAddress(details),
    destinationPort: destinationPort(details),
    protocol: ruleProtocol(details),
  };
}

/** Any blank but the space: `\S+` splits on these too, and the fast read below does not. */
const OTHER_BLANKS = /[\t\n\v\f\r\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;
/** What kube-proxy prints after a dispatch row's comment: the port match (and REJECT's option), or nothing. */
const LIST_PORT = /^(?:tcp|udp|sctp|udplite) dpt:(\d+)(?: reject-with [a-z0-9-]+)?$/;

/**
 * `dispatchMatch` of an `-L` row in the shape kube-proxy's dispatch rows have — columns without `!`, at most a
 * comment and `tcp dpt:N` (`reject-with …`) after them — read by position, as `listDispatchMatch` reads it; undefined for any other
 * shape. A 20,000-service dump has 25,000 dispatch rows, read by the analysis and by the outline's names.
 */
export function fastListDispatchMatch(rule: Rule): DispatchMatch | undefined {
  const text = rule.text;
  if (OTHER_BLANKS.test(text)) {
    return undefined;
  }
  // prot, opt, (in, out with -v,) source, destination
  const columns = rule.counters === undefined ? 4 : 6;
  let start = rule.bodyStart;
  let end = start;
  let protocol: string | undefined;
  let destination: string | undefined;
  for (let column = 0; column < columns; column++) {
    while (text.charCodeAt(start) === 32) {
      start++;
    }
    end = text.indexOf(' ', start);
    if (end < 0) {
      end = text.length;
    }
    if (start >= end || text.charCodeAt(start) === 33 /* ! */) {
      return undefined;
    }
    if (column === 0) {
      protocol = normaliseProtocol(text.slice(start, end));
    } else if (column === columns - 1) {
      const value = text.slice(start, end);
      destination = value === 'anywhere' || value === '0.0.0.0/0' || value === '::/0' ? undefined : plainAddress(value);
    }
    start = end;
  }
  let comment: string | undefined;
  let after = text.slice(end).trim();
  const open = text.indexOf('/* ', end);
  if (open >= 0) {
    const close = text.indexOf('*/', open + 3);
    if (close < 0 || text.slice(end, open).trim() !== '') {
      return undefined;
    }
    comment = text.slice(open + 3, close).replace(/ $/, '');
    after = text.slice(close + 2).trim();
  }
  if (after === '') {
    return { comment, destination, destinationPort: undefined, protocol };
  }
  const port = LIST_PORT.exec(after);
  if (port === null || protocol === undefined) {
    return undefined;
  }
  return { comment, destination, destinationPort: Number(port[1]), protocol };
}
