// A rule's matches and target options, parsed from its text when a feature asks (not at parse time, so
// large dumps stay small). Save / -S options and -L's columns and extension text come out in one shape.
import type { Rule, RuleDetails, RuleOption, Span } from '../model/types';
import { listColumns } from './list';
import { tokenize } from './tokens';
import type { Token } from './tokens';

const SHORT_NAMES: Record<string, string> = {
  '-p': '--protocol',
  '-s': '--source',
  '-d': '--destination',
  '-i': '--in-interface',
  '-o': '--out-interface',
  '-f': '--fragment',
  '--src': '--source',
  '--dst': '--destination',
  '-c': '--set-counters',
};
const BASIC = new Set(['--protocol', '--source', '--destination', '--in-interface', '--out-interface', '--fragment', '--set-counters']);
/** Options that take no value (so the next word is not theirs). */
const FLAGS = new Set(['--fragment', '--rcheck', '--set', '--update', '--remove', '--reap', '--rsource', '--rdest', '--syn', '--limit-iface-in', '--limit-iface-out', '--random', '--random-fully', '--persistent', '--log-uid', '--log-tcp-options', '--log-ip-options', '--log-tcp-sequence', '--physdev-is-in', '--physdev-is-out', '--physdev-is-bridged', '--notrack', '--checksum-fill', '--clamp-mss-to-pmtu', '--return-nomatch', '--exist']);

/** Parses a rule's options. Never throws; what it cannot read of `-L` text is kept in `unparsedExtension`. */
export function ruleDetails(rule: Rule): RuleDetails {
  return rule.format === 'list' ? listDetails(rule) : saveDetails(rule);
}

function saveDetails(rule: Rule): RuleDetails {
  const tokens = tokenize(rule.text, rule.bodyStart);
  const matches: RuleOption[] = [];
  const targetOptions: RuleOption[] = [];
  let module: string | undefined;
  let protocol: string | undefined;
  let inTarget = false;
  let negateNext = false;
  let comment: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    const word = token.text;
    if (word === '!' && !token.quoted) {
      negateNext = true;
      continue;
    }
    if (word === '-m' || word === '--match') {
      module = tokens[i + 1]?.text;
      i++;
      continue;
    }
    if (word === '-j' || word === '--jump' || word === '-g' || word === '--goto') {
      inTarget = true;
      module = tokens[i + 1]?.text;
      i++;
      continue;
    }
    if (!word.startsWith('-') || token.quoted) {
      continue; // a stray value; kept in the text, nothing to model
    }
    const name = SHORT_NAMES[word] ?? word;
    const values: Token[] = [];
    let negated = negateNext;
    negateNext = false;
    if (!FLAGS.has(name)) {
      let j = i + 1;
      // `--dport ! 80` (old placement of negation) and multi-value options such as `-c P B`, `--match-set NAME src`.
      if (tokens[j]?.text === '!' && !tokens[j].quoted) {
        negated = true;
        j++;
      }
      while (j < tokens.length && (tokens[j].quoted || !tokens[j].text.startsWith('-') || /^-\d/.test(tokens[j].text)) && !(tokens[j].text === '!' && !tokens[j].quoted)) {
        values.push(tokens[j]);
        j++;
        if (name !== '--set-counters' && name !== '--match-set' && name !== '--set') {
          break;
        }
      }
      i = j - 1;
    }
    const last = values.length ? values[values.length - 1] : token;
    const option: RuleOption = {
      module: BASIC.has(name) ? undefined : (module ?? (inTarget ? undefined : protocol)),
      name,
      negated,
      values: values.map((v) => v.text),
      span: { line: rule.line, start: token.start, end: last.end },
    };
    if (name === '--protocol') {
      protocol = option.values[0]?.toLowerCase();
    }
    if (name === '--comment' && comment === undefined) {
      comment = option.values[0];
    }
    (inTarget && !BASIC.has(name) ? targetOptions : matches).push(option);
  }
  return { matches, targetOptions, comment };
}

/** -L columns → options, then the free-form extension text word by word. */
function listDetails(rule: Rule): RuleDetails {
  const text = rule.text;
  const columns = listColumns(text, { verbose: rule.counters !== undefined, numbered: rule.listedNumber !== undefined });
  const matches: RuleOption[] = [];
  const targetOptions: RuleOption[] = [];
  if (!columns) {
    return { matches, targetOptions };
  }
  const line = rule.line;
  const span = (w: { start: number; end: number }): Span => ({ line, start: w.start, end: w.end });
  const negatable = (name: string, word: { text: string; start: number; end: number }, any: string[]): void => {
    let value = word.text;
    const negated = value.startsWith('!');
    if (negated) {
      value = value.slice(1);
    }
    if (any.includes(value)) {
      return;
    }
    matches.push({ name, negated, values: [value], span: span(word) });
  };
  negatable('--protocol', columns.prot, ['all', '0']);
  if (columns.opt.text !== '--') {
    matches.push({ name: '--fragment', negated: columns.opt.text.startsWith('!'), values: [], span: span(columns.opt) });
  }
  if (columns.inIface) {
    negatable('--in-interface', columns.inIface, ['*']);
  }
  if (columns.outIface) {
    negatable('--out-interface', columns.outIface, ['*']);
  }
  negatable('--source', columns.source, ['0.0.0.0/0', '::/0', 'anywhere']);
  negatable('--destination', columns.destination, ['0.0.0.0/0', '::/0', 'anywhere']);
  const extension = parseListExtension(text, columns.extensionStart, line, rule.target?.name);
  // concat, not push(...): a 10 MB row has more options than a call can take arguments.
  return { matches: matches.concat(extension.matches), targetOptions: targetOptions.concat(extension.targetOptions), comment: extension.comment, unparsedExtension: extension.unparsed };
}

interface Word {
  text: string;
  start: number;
  end: number;
}

/** Port keys of the tcp/udp/sctp match in -L text (`dpt:80`, `spts:1:1024`). */
const PORT_KEYS: Record<string, string> = { dpt: '--dport', spt: '--sport', dpts: '--dport', spts: '--sport', flags: '--tcp-flags' };
const MARK_TARGET_OPS: Record<string, string> = { or: '--or-mark', set: '--set-mark', xset: '--set-xmark', and: '--and-mark', xor: '--xor-mark' };
const RECENT_COMMANDS: Record<string, string> = { CHECK: '--rcheck', SET: '--set', UPDATE: '--update', REMOVE: '--remove' };

/**
 * Reads the extension text iptables -L prints after the destination column. It knows the matches and
 * targets kube-proxy, Calico and Docker use; anything else is returned as `unparsed`.
 */
export function parseListExtension(
  text: string,
  from: number,
  line: number,
  target: string | undefined,
): { matches: RuleOption[]; targetOptions: RuleOption[]; comment?: string; unparsed?: string } {
  const matches: RuleOption[] = [];
  const targetOptions: RuleOption[] = [];
  let comment: string | undefined;
  const unparsed: string[] = [];
  // The comment first: it may contain anything, including words that look like matches.
  const open = text.indexOf('/* ', from);
  let rest = text;
  if (open >= 0) {
    const close = text.indexOf('*/', open + 3);
    if (close >= 0) {
      comment = text.slice(open + 3, close).replace(/ $/, '');
      matches.push({ module: 'comment', name: '--comment', negated: false, values: [comment], span: { line, start: open, end: close + 2 } });
      rest = text.slice(0, open) + ' '.repeat(close + 2 - open) + text.slice(close + 2);
    }
  }
  const words: Word[] = [];
  const re = /\S+/g;
  re.lastIndex = from;
  let m: RegExpExecArray | null;
  while ((m = re.exec(rest))) {
    words.push({ text: m[0], start: m.index, end: m.index + m[0].length });
  }
  const add = (list: RuleOption[], module: string | undefined, name: string, negated: boolean, values: string[], first: Word, last: Word): void => {
    list.push({ module, name, negated, values, span: { line, start: first.start, end: last.end } });
  };
  let i = 0;
  while (i < words.length) {
    const w = words[i];
    let negated = false;
    let k = i;
    if (words[k]?.text === '!') {
      negated = true;
      k++;
    }
    const word = words[k]?.text ?? '';
    const next = words[k + 1];
    if (/^(tcp|udp|sctp|udplite)$/.test(word) && next && /^(dpts?|spts?|flags):/.test(next.text)) {
      let j = k + 1;
      while (words[j] && /^!?(dpts?|spts?|flags):/.test(words[j].text)) {
        const raw = words[j].text;
        const neg = raw.startsWith('!');
        const [key, ...value] = (neg ? raw.slice(1) : raw).split(':');
        add(matches, word, PORT_KEYS[key] ?? `--${key}`, neg, [value.join(':')], words[j], words[j]);
        j++;
      }
      i = j;
    } else if (/^(tcp|udp|sctp|udplite)$/.test(word)) {
      i = k + 1; // `-m tcp` without options prints just its name
    } else if (word === 'multiport' && next && /^(dports|sports|ports)$/.test(next.text) && words[k + 2]) {
      add(matches, 'multiport', `--${next.text}`, negated, [words[k + 2].text], w, words[k + 2]);
      i = k + 3;
    } else if (word === 'statistic' && next?.text === 'mode') {
      const mode = words[k + 2];
      add(matches, 'statistic', '--mode', negated, [mode?.text ?? ''], w, mode ?? next);
      let j = k + 3;
      while (words[j] && /^(probability|every|packet)$/.test(words[j].text) && words[j + 1]) {
        add(matches, 'statistic', `--${words[j].text}`, false, [words[j + 1].text], words[j], words[j + 1]);
        j += 2;
      }
      i = j;
    } else if (word === 'recent:') {
      let j = k + 1;
      const command = words[j]?.text ?? '';
      if (RECENT_COMMANDS[command]) {
        add(matches, 'recent', RECENT_COMMANDS[command], negated, [], w, words[j]);
        j++;
      }
      while (words[j]) {
        const key = words[j].text;
        if ((key === 'seconds:' || key === 'hit_count:' || key === 'name:' || key === 'mask:') && words[j + 1]) {
          add(matches, 'recent', key === 'hit_count:' ? '--hitcount' : `--${key.slice(0, -1)}`, false, [words[j + 1].text], words[j], words[j + 1]);
          j += 2;
        } else if (key === 'reap' || key === 'rttl') {
          add(matches, 'recent', `--${key}`, false, [], words[j], words[j]);
          j++;
        } else if (key === 'side:' && words[j + 1]) {
          add(matches, 'recent', words[j + 1].text === 'dest' ? '--rdest' : '--rsource', false, [], words[j], words[j + 1]);
          j += 2;
        } else {
          break;
        }
      }
      i = j;
    } else if (word === 'ADDRTYPE' && next?.text === 'match') {
      let j = k + 2;
      while (words[j]) {
        const key = words[j].text;
        if ((key === 'dst-type' || key === 'src-type') && words[j + 1]) {
          const value = words[j + 1].text;
          const neg = value.startsWith('!');
          add(matches, 'addrtype', `--${key}`, neg, [neg ? value.slice(1) : value], words[j], words[j + 1]);
          j += 2;
        } else if (key === 'limit-in' || key === 'limit-out') {
          add(matches, 'addrtype', key === 'limit-in' ? '--limit-iface-in' : '--limit-iface-out', false, [], words[j], words[j]);
          j++;
        } else {
          break;
        }
      }
      i = j;
    } else if (word === 'mark' && next?.text === 'match') {
      let j = k + 2;
      let neg = negated;
      if (words[j]?.text === '!') {
        neg = true;
        j++;
      }
      if (words[j]) {
        add(matches, 'mark', '--mark', neg, [words[j].text], w, words[j]);
        j++;
      }
      i = j;
    } else if ((word === 'ctstate' || word === 'state') && next) {
      add(matches, word === 'ctstate' ? 'conntrack' : 'state', word === 'ctstate' ? '--ctstate' : '--state', negated, [next.text], w, next);
      i = k + 2;
    } else if (word === 'match-set' && next && words[k + 2]) {
      add(matches, 'set', '--match-set', negated, [next.text, words[k + 2].text], w, words[k + 2]);
      i = k + 3;
    } else if (/^(to|from):/.test(word) && target && /^(DNAT|SNAT|NETMAP)$/.test(target)) {
      const value = word.slice(word.indexOf(':') + 1);
      add(targetOptions, target, target === 'SNAT' ? '--to-source' : target === 'NETMAP' ? '--to' : '--to-destination', false, [value], w, words[k]);
      i = k + 1;
    } else if (word === 'MARK' && next && MARK_TARGET_OPS[next.text] && words[k + 2]) {
      add(targetOptions, 'MARK', MARK_TARGET_OPS[next.text], false, [words[k + 2].text], w, words[k + 2]);
      i = k + 3;
    } else if (word === 'reject-with' && next) {
      add(targetOptions, 'REJECT', '--reject-with', false, [next.text], w, next);
      i = k + 2;
    } else if ((word === 'redir' || word === 'masq') && next?.text === 'ports:' && words[k + 2]) {
      add(targetOptions, target, '--to-ports', false, [words[k + 2].text], w, words[k + 2]);
      i = k + 3;
    } else if (word === 'random-fully' || word === 'random' || word === 'persistent') {
      add(targetOptions, target, `--${word}`, false, [], w, w);
      i = k + 1;
    } else if (word === '[goto]') {
      i = k + 1;
    } else {
      unparsed.push(w.text);
      i++;
    }
  }
  return { matches, targetOptions, comment, unparsed: unparsed.length ? unparsed.join(' ') : undefined };
}

/** The first option named `name` (and of `module`, when given). */
export function findOption(options: RuleOption[], name: string, module?: string): RuleOption | undefined {
  return options.find((o) => o.name === name && (module === undefined || o.module === module));
}
