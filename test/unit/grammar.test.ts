// The TextMate grammar and language configuration, checked against the real dumps in the shared
// corpus: every file is tokenized line by line with vscode-textmate, as VS Code does.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IGrammar } from 'vscode-textmate';
import {
  GRAMMAR_PATH,
  SCOPE_NAME,
  hasScope,
  loadIptablesGrammar,
  scopesAt,
  tokenizeText,
} from '../support/grammar';
import type { TokenizedLine } from '../support/grammar';

const CORPUS = path.resolve(__dirname, '../../../shared/corpus');
const SEED = path.resolve(__dirname, '../../../shared/seed/000_53539a066ee2e922.txt');
const LANGUAGE_CONFIGURATION = path.resolve(__dirname, '../../syntaxes/language-configuration.json');

/** iptables-save, kube-proxy's iptables-restore input, iptables -S, and a grep of iptables-save. */
const SAVE_FILES = [
  'k3s-blog-iptables-save-c-v1.8.4.iptables-save',
  'k8s-docs-debug-service-iptables-save-grep.txt',
  'kube-proxy-TestOverallIPTablesRules.real-S.txt',
  'kube-proxy-TestOverallIPTablesRules.real-iptables-save',
  'kubernetes-proxier_test-2017-userspace-era-TestGetChainLinesMultipleTables.iptables-save',
  'kubernetes-proxier_test-TestOverallIPTablesRules.iptables-restore',
];

/** iptables -L in its variants; `numbered` files have the --line-numbers column, `verbose` ones -v. */
const LIST_FILES: Record<string, { verbose: boolean; numbered: boolean }> = {
  'docker-desktop-k8s-filter-nvL.txt': { verbose: true, numbered: false },
  'docker-desktop-k8s-nat-nvL-kube-proxy-XLB.txt': { verbose: true, numbered: false },
  'kube-proxy-TestOverallIPTablesRules.real-L-n-v-x-line-numbers.txt': { verbose: true, numbered: true },
  'kube-proxy-TestOverallIPTablesRules.real-L-n-v.txt': { verbose: true, numbered: false },
  'kube-proxy-TestOverallIPTablesRules.real-L.txt': { verbose: false, numbered: false },
  'moby-new-daemon-nvL-line-numbers-filter+nat.txt': { verbose: true, numbered: true },
  'seed-calico-nat-L-n-v.txt': { verbose: true, numbered: false },
};

const CHAIN = 'entity.name.function.chain.iptables';
const TARGET_CHAIN = 'entity.name.function.chain.target.iptables';
const BUILTIN_TARGET = 'support.constant.target.builtin.iptables';
const IPV4 = 'constant.numeric.ip-address.v4.iptables';
const NEGATION = 'keyword.operator.negation.iptables';

const tokenized = new Map<string, TokenizedLine[]>();
let grammar: IGrammar;

function corpusLines(file: string): TokenizedLine[] {
  const lines = tokenized.get(file);
  assert.ok(lines, `${file} was not tokenized`);
  return lines;
}

/** Column ranges of `word` in `text` where it stands alone (not inside a longer name or number). */
function wordRanges(text: string, word: string): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  const boundary = /[\w.-]/;
  for (let at = text.indexOf(word); at >= 0; at = text.indexOf(word, at + 1)) {
    const before = text[at - 1];
    const after = text[at + word.length];
    if ((before === undefined || !boundary.test(before)) && (after === undefined || !boundary.test(after))) {
      ranges.push([at, at + word.length]);
    }
  }
  return ranges;
}

/** The columns covered by the run of adjacent tokens around `column` that all carry `scope`. */
function scopeExtent(line: TokenizedLine, column: number, scope: string): [number, number] | undefined {
  const index = line.tokens.findIndex((t) => t.start <= column && column < t.end);
  if (index < 0 || !hasScope(line.tokens[index].scopes, scope)) {
    return undefined;
  }
  let first = index;
  let last = index;
  while (first > 0 && hasScope(line.tokens[first - 1].scopes, scope)) {
    first--;
  }
  while (last < line.tokens.length - 1 && hasScope(line.tokens[last + 1].scopes, scope)) {
    last++;
  }
  return [line.tokens[first].start, line.tokens[last].end];
}

/** Asserts that the `occurrence`-th standalone `word` on `line` is covered by `scope` exactly. */
function expectWordScope(line: TokenizedLine, word: string, scope: string, occurrence = 0): void {
  const range = wordRanges(line.text, word)[occurrence];
  assert.ok(range, `line ${line.lineNumber + 1} has no occurrence ${occurrence} of ${word}: ${line.text}`);
  assert.deepEqual(
    scopeExtent(line, range[0], scope),
    range,
    `${word} on line ${line.lineNumber + 1} should be exactly ${scope}; got ${JSON.stringify(scopesAt(line, range[0]))}\n${line.text}`,
  );
}

function expectNotScope(line: TokenizedLine, column: number, scope: string): void {
  const scopes = scopesAt(line, column);
  assert.ok(!hasScope(scopes, scope), `column ${column} of line ${line.lineNumber + 1} has ${scope}: ${JSON.stringify(scopes)}`);
}

/** The first line of `lines` whose text contains `fragment`. */
function lineContaining(lines: TokenizedLine[], fragment: string): TokenizedLine {
  const line = lines.find((l) => l.text.includes(fragment));
  assert.ok(line, `no line contains ${fragment}`);
  return line;
}

/** The scope just under the root on the first token with content: which top-level rule matched. */
function topScope(line: TokenizedLine): string | undefined {
  const token = line.tokens.find((t) => t.text.trim() !== '');
  return token?.scopes[1];
}

/** Chain names a save-format file defines: `:NAME` declarations, `-N NAME`, and the chains of `-A` lines. */
function chainsDefinedInSaveFile(lines: TokenizedLine[]): Set<string> {
  const chains = new Set<string>();
  for (const { text } of lines) {
    const m = /^(?:\[\d+:\d+\] )?(?::(\S+)|-[NA] (\S+))/.exec(text);
    if (m) {
      chains.add(m[1] ?? m[2]);
    }
  }
  return chains;
}

/** Chain names an iptables -L file lists with a `Chain NAME (...)` header. */
function chainsListed(lines: TokenizedLine[]): Set<string> {
  return new Set(lines.map((l) => /^Chain (\S+) \(/.exec(l.text)?.[1]).filter((n): n is string => !!n));
}

function isListRuleLine(text: string): boolean {
  return text.trim() !== '' && !text.startsWith('Chain ') && !/^\s*(num\s+)?(pkts\s+bytes\s+)?target\s+prot/.test(text);
}

/** A whitespace-separated column of an iptables -L rule line: its text and where it starts. */
interface Column {
  text: string;
  at: number;
}

/** The columns of an iptables -L rule line, split on whitespace as the real tool prints them. */
function listColumns(text: string, format: { verbose: boolean; numbered: boolean }) {
  const words: Column[] = [...text.matchAll(/\S+/g)].map((m) => ({ text: m[0], at: m.index ?? 0 }));
  let i = (format.numbered ? 1 : 0) + (format.verbose ? 2 : 0);
  // A rule without -j prints an empty target column, so the protocol comes right before the `--`.
  const target = words[i + 1]?.text === '--' ? undefined : words[i++];
  const prot = words[i++];
  const opt = words[i++];
  if (format.verbose) {
    i += 2;
  }
  return { target, prot, opt, source: words[i], destination: words[i + 1] };
}

before(async () => {
  grammar = await loadIptablesGrammar();
  for (const file of [...SAVE_FILES, ...Object.keys(LIST_FILES)]) {
    tokenized.set(file, tokenizeText(grammar, fs.readFileSync(path.join(CORPUS, file), 'utf8')));
  }
});

describe('grammar: packaging', () => {
  it('is the grammar package.json contributes, under the same scope name', () => {
    const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8'));
    const contributed = manifest.contributes.grammars.find((g: { language: string }) => g.language === 'iptables');
    assert.equal(path.resolve(__dirname, '../..', contributed.path), GRAMMAR_PATH);
    assert.equal(contributed.scopeName, SCOPE_NAME);
    assert.equal(JSON.parse(fs.readFileSync(GRAMMAR_PATH, 'utf8')).scopeName, SCOPE_NAME);
  });

  it('covers every iptables dump in the corpus (the .nft files belong to another grammar)', () => {
    const dumps = fs.readdirSync(CORPUS).filter((f) => !f.endsWith('.nft') && f !== 'SOURCES.md');
    assert.deepEqual([...dumps].sort(), [...SAVE_FILES, ...Object.keys(LIST_FILES)].sort());
  });
});

describe('grammar: iptables-save, iptables-restore input and iptables -S', () => {
  it('scopes comments, table headers and COMMIT', () => {
    const lines = corpusLines('kube-proxy-TestOverallIPTablesRules.real-iptables-save');
    const generated = lineContaining(lines, '# Generated by iptables-nft-save v1.8.9');
    assert.ok(generated.tokens.every((t) => hasScope(t.scopes, 'comment.line.number-sign')));
    assert.ok(hasScope(scopesAt(generated, 0), 'punctuation.definition.comment'));

    const nat = lines.find((l) => l.text === '*nat');
    assert.ok(nat);
    expectWordScope(nat, 'nat', 'entity.name.section.table.iptables');
    assert.ok(hasScope(scopesAt(nat, 0), 'keyword.other.table'));

    const commits = lines.filter((l) => l.text === 'COMMIT');
    assert.equal(commits.length, 2);
    for (const commit of commits) {
      expectWordScope(commit, 'COMMIT', 'keyword.control.commit.iptables');
    }
  });

  it('scopes every chain declaration: name, policy and counters', () => {
    let declarations = 0;
    for (const file of SAVE_FILES) {
      for (const line of corpusLines(file)) {
        const m = /^:(\S+) (\S+) \[(\d+):(\d+)\]$/.exec(line.text);
        if (!m) {
          continue;
        }
        declarations++;
        const [, name, policy, packets, bytes] = m;
        assert.deepEqual(scopeExtent(line, 1, CHAIN), [1, 1 + name.length], line.text);
        expectNotScope(line, 1, TARGET_CHAIN);
        const policyAt = 2 + name.length;
        assert.ok(hasScope(scopesAt(line, policyAt), policy === '-' ? 'constant.language.policy.none' : 'constant.language.policy'), line.text);
        const packetsAt = line.text.indexOf('[') + 1;
        assert.deepEqual(scopeExtent(line, packetsAt, 'constant.numeric.counter.packets'), [packetsAt, packetsAt + packets.length]);
        const bytesAt = line.text.indexOf(':', packetsAt) + 1;
        assert.deepEqual(scopeExtent(line, bytesAt, 'constant.numeric.counter.bytes'), [bytesAt, bytesAt + bytes.length]);
      }
    }
    assert.ok(declarations > 100, `only ${declarations} declarations found`);

    const k3s = corpusLines('k3s-blog-iptables-save-c-v1.8.4.iptables-save');
    const prerouting = lineContaining(k3s, ':PREROUTING ACCEPT [8488585:2225268588]');
    expectWordScope(prerouting, 'PREROUTING', CHAIN);
    expectWordScope(prerouting, 'ACCEPT', 'constant.language.policy.iptables');
    expectWordScope(prerouting, '8488585', 'constant.numeric.counter.packets.iptables');
    expectWordScope(prerouting, '2225268588', 'constant.numeric.counter.bytes.iptables');
  });

  it('scopes -P and -N in iptables -S output as chain declarations', () => {
    const lines = corpusLines('kube-proxy-TestOverallIPTablesRules.real-S.txt');
    const policy = lineContaining(lines, '-P POSTROUTING ACCEPT');
    expectWordScope(policy, '-P', 'keyword.other.command.iptables');
    expectWordScope(policy, 'POSTROUTING', CHAIN);
    expectWordScope(policy, 'ACCEPT', 'constant.language.policy.iptables');
    const newChains = lines.filter((l) => l.text.startsWith('-N '));
    assert.ok(newChains.length > 20);
    for (const line of newChains) {
      assert.deepEqual(scopeExtent(line, 3, CHAIN), [3, line.text.length], line.text);
    }
  });

  it('scopes the chain of every -A line as a chain name, not as a jump target', () => {
    let rules = 0;
    for (const file of SAVE_FILES) {
      for (const line of corpusLines(file)) {
        const m = /^(\[\d+:\d+\] )?(-A) (\S+)/.exec(line.text);
        if (!m) {
          continue;
        }
        rules++;
        const commandAt = m[1]?.length ?? 0;
        assert.ok(hasScope(scopesAt(line, commandAt), 'keyword.other.command'), line.text);
        const chainAt = commandAt + 3;
        assert.deepEqual(scopeExtent(line, chainAt, CHAIN), [chainAt, chainAt + m[3].length], line.text);
        expectNotScope(line, chainAt, TARGET_CHAIN);
      }
    }
    assert.ok(rules > 200, `only ${rules} rules found`);
  });

  it('tells user-chain targets from built-in targets on every -j', () => {
    const seen = { chain: 0, builtin: 0 };
    for (const file of SAVE_FILES) {
      const lines = corpusLines(file);
      const chains = chainsDefinedInSaveFile(lines);
      for (const line of lines) {
        for (const m of line.text.matchAll(/(?<= )-j (\S+)/g)) {
          const target = m[1];
          const at = (m.index ?? 0) + 3;
          assert.ok(hasScope(scopesAt(line, m.index ?? 0), 'keyword.control.jump'), line.text);
          if (chains.has(target)) {
            seen.chain++;
            assert.deepEqual(scopeExtent(line, at, TARGET_CHAIN), [at, at + target.length], `${file}: ${line.text}`);
            expectNotScope(line, at, BUILTIN_TARGET);
          } else {
            seen.builtin++;
            assert.deepEqual(scopeExtent(line, at, BUILTIN_TARGET), [at, at + target.length], `${file}: ${line.text}`);
            expectNotScope(line, at, 'entity.name.function');
          }
        }
      }
    }
    assert.ok(seen.chain > 100 && seen.builtin > 50, JSON.stringify(seen));
  });

  it('keeps names that merely contain a built-in target (KUBE-MARK-DROP) as user chains', () => {
    const lines = corpusLines('kube-proxy-TestOverallIPTablesRules.real-iptables-save');
    const masq = lineContaining(lines, '-m comment --comment "masquerade traffic for ns4/svc4:p80 external destinations" -j KUBE-MARK-MASQ');
    expectWordScope(masq, 'KUBE-MARK-MASQ', TARGET_CHAIN);
    const k3s = corpusLines('k3s-blog-iptables-save-c-v1.8.4.iptables-save');
    const markDrop = lineContaining(k3s, '-A KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000');
    expectWordScope(markDrop, 'KUBE-MARK-DROP', CHAIN);
    expectWordScope(markDrop, 'MARK', BUILTIN_TARGET);
    expectWordScope(markDrop, '0x8000/0x8000', 'constant.numeric.hex.iptables');
  });

  it('scopes quoted -m comment text as a string, and the unquoted kube-proxy form too', () => {
    let quoted = 0;
    for (const file of SAVE_FILES) {
      for (const line of corpusLines(file)) {
        for (const m of line.text.matchAll(/--comment ("[^"]*")/g)) {
          quoted++;
          const at = (m.index ?? 0) + '--comment '.length;
          assert.deepEqual(scopeExtent(line, at, 'string.quoted.double.iptables'), [at, at + m[1].length], line.text);
          assert.ok(hasScope(scopesAt(line, at), 'punctuation.definition.string.begin'));
          assert.ok(hasScope(scopesAt(line, at + m[1].length - 1), 'punctuation.definition.string.end'));
          assert.ok(hasScope(scopesAt(line, at - 2), 'variable.parameter.option.long'), line.text);
        }
      }
    }
    assert.ok(quoted > 150, `only ${quoted} quoted comments`);

    const restore = corpusLines('kubernetes-proxier_test-TestOverallIPTablesRules.iptables-restore');
    const unquoted = lineContaining(restore, '-A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -s 10.180.0.5 -j KUBE-MARK-MASQ');
    expectWordScope(unquoted, 'ns4/svc4:p80', 'string.unquoted.comment.iptables');
    expectWordScope(unquoted, '10.180.0.5', IPV4);
    expectWordScope(unquoted, 'KUBE-MARK-MASQ', TARGET_CHAIN);

    // The quotes inside a comment do not end the string early (CNI writes `name: "default"` comments).
    const arrow = lineContaining(restore, '--comment "ns4/svc4:p80 -> 10.180.0.4:80"');
    const at = arrow.text.indexOf('"ns4/svc4:p80 -> 10.180.0.4:80"');
    assert.deepEqual(scopeExtent(arrow, at, 'string.quoted.double'), [at, at + '"ns4/svc4:p80 -> 10.180.0.4:80"'.length]);
    expectNotScope(arrow, at + '"ns4/svc4:p80 -> '.length, IPV4);
  });

  it('scopes escaped quotes inside a quoted comment (inline: no corpus file has one)', () => {
    const [line] = tokenizeText(grammar, '-A CNI-X -m comment --comment "name: \\"default\\" id: \\"d56b\\"" -j ACCEPT');
    const open = line.text.indexOf('"');
    const close = line.text.lastIndexOf('"');
    assert.deepEqual(scopeExtent(line, open, 'string.quoted.double'), [open, close + 1]);
    assert.ok(hasScope(scopesAt(line, line.text.indexOf('\\"')), 'constant.character.escape'));
    expectWordScope(line, '-j', 'keyword.control.jump.iptables');
    expectWordScope(line, 'ACCEPT', BUILTIN_TARGET);
  });

  it('scopes every -s/-d address as one IPv4 token, CIDR included', () => {
    let addresses = 0;
    for (const file of SAVE_FILES) {
      for (const line of corpusLines(file)) {
        for (const m of line.text.matchAll(/(?<= )-[sd] (\S+)/g)) {
          addresses++;
          const at = (m.index ?? 0) + 3;
          assert.deepEqual(scopeExtent(line, at, IPV4), [at, at + m[1].length], line.text);
        }
      }
    }
    assert.ok(addresses > 50, `only ${addresses} addresses`);
  });

  it('scopes IPv6 addresses, prefixes and [address]:port (inline: the corpus is IPv4 only)', () => {
    const [rule] = tokenizeText(grammar, '-A INPUT -s fe80::/10 -d ff02::1:2 -p ipv6-icmp -j ACCEPT');
    expectWordScope(rule, 'fe80::/10', 'constant.numeric.ip-address.v6.iptables');
    expectWordScope(rule, 'ff02::1:2', 'constant.numeric.ip-address.v6.iptables');
    expectWordScope(rule, 'ipv6-icmp', 'support.type.protocol.iptables');
    const [dnat] = tokenizeText(grammar, '-A KUBE-SEP-X -p tcp -j DNAT --to-destination [fd00:10:244::5]:8080');
    expectWordScope(dnat, 'fd00:10:244::5', 'constant.numeric.ip-address.v6.iptables');
    expectWordScope(dnat, '8080', 'constant.numeric.port.iptables');
    // A port range has one colon and stays a number, not an address.
    const [range] = tokenizeText(grammar, '-A X -p tcp -m tcp --dport 30000:32767 -j ACCEPT');
    expectWordScope(range, '30000:32767', 'constant.numeric.port.iptables');
    expectNotScope(range, range.text.indexOf('30000'), 'constant.numeric.ip-address');
  });

  it('scopes DNAT destinations as address and port', () => {
    const lines = corpusLines('k8s-docs-debug-service-iptables-save-grep.txt');
    const dnat = lineContaining(lines, '-j DNAT --to-destination 10.244.3.6:9376');
    expectWordScope(dnat, 'DNAT', BUILTIN_TARGET);
    expectWordScope(dnat, '--to-destination', 'variable.parameter.option.long.iptables');
    const at = dnat.text.indexOf('10.244.3.6:9376');
    assert.deepEqual(scopeExtent(dnat, at, IPV4), [at, at + '10.244.3.6'.length]);
    assert.deepEqual(scopeExtent(dnat, at + '10.244.3.6:'.length, 'constant.numeric.port'), [at + 11, at + 15]);
    // -A of a grep fragment: no declaration in the file, still a chain name.
    expectWordScope(dnat, 'KUBE-SEP-57KPRZ3JQVENLNBR', CHAIN);
  });

  it('scopes every standalone ! as negation, and what it negates', () => {
    let negations = 0;
    for (const file of SAVE_FILES) {
      for (const line of corpusLines(file)) {
        for (const m of line.text.matchAll(/(?<= )!(?= )/g)) {
          negations++;
          assert.ok(hasScope(scopesAt(line, m.index ?? 0), NEGATION), line.text);
        }
      }
    }
    assert.ok(negations >= 10, `only ${negations} negations`);
    const k3s = corpusLines('k3s-blog-iptables-save-c-v1.8.4.iptables-save');
    const postrouting = lineContaining(k3s, '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE');
    expectWordScope(postrouting, '!', NEGATION);
    expectWordScope(postrouting, 'docker0', 'variable.other.interface.iptables');
    expectWordScope(postrouting, '172.17.0.0/16', IPV4);
  });

  it('scopes rule counters, match modules, protocols, ports, states and marks', () => {
    const k3s = corpusLines('k3s-blog-iptables-save-c-v1.8.4.iptables-save');
    const counted = lineContaining(k3s, '[402612:15051273] -A PREROUTING');
    expectWordScope(counted, '402612', 'constant.numeric.counter.packets.iptables');
    expectWordScope(counted, '15051273', 'constant.numeric.counter.bytes.iptables');
    expectWordScope(counted, 'PREROUTING', CHAIN);

    const lines = corpusLines('kube-proxy-TestOverallIPTablesRules.real-iptables-save');
    const firewall = lineContaining(lines, '-A KUBE-FIREWALL ! -s 127.0.0.0/8');
    expectWordScope(firewall, 'conntrack', 'support.type.match-module.iptables');
    expectWordScope(firewall, '--ctstate', 'variable.parameter.option.long.iptables');
    expectWordScope(firewall, 'RELATED', 'constant.language.conntrack-state.iptables');
    expectWordScope(firewall, 'DNAT', 'constant.language.conntrack-state.iptables');
    expectNotScope(firewall, firewall.text.lastIndexOf('DNAT'), BUILTIN_TARGET);

    const nodePort = lineContaining(lines, '-A KUBE-NODEPORTS -p tcp -m comment --comment "ns2/svc2:p80 health check node port" -m tcp --dport 30000 -j ACCEPT');
    expectWordScope(nodePort, 'tcp', 'support.type.protocol.iptables', 0);
    expectWordScope(nodePort, 'tcp', 'support.type.match-module.iptables', 1);
    expectWordScope(nodePort, '30000', 'constant.numeric.port.iptables');

    const forward = lineContaining(lines, '-m mark --mark 0x4000/0x4000 -j ACCEPT');
    expectWordScope(forward, '0x4000/0x4000', 'constant.numeric.hex.iptables');

    const random = lineContaining(lines, '--probability 0.50000000000');
    expectWordScope(random, '0.50000000000', 'constant.numeric.iptables');
  });
});

describe('grammar: iptables -L', () => {
  it('scopes every Chain header: name, policy, counters with K/M/G suffixes, references', () => {
    let headers = 0;
    for (const file of Object.keys(LIST_FILES)) {
      for (const line of corpusLines(file)) {
        const m = /^Chain (\S+) \((?:policy (\w+)(?: (\S+) packets, (\S+) bytes)?|(\d+) references)\)$/.exec(line.text);
        if (!line.text.startsWith('Chain ')) {
          continue;
        }
        assert.ok(m, `unexpected header ${line.text}`);
        headers++;
        expectWordScope(line, 'Chain', 'storage.type.chain.iptables');
        assert.deepEqual(scopeExtent(line, 6, CHAIN), [6, 6 + m[1].length], line.text);
        if (m[2]) {
          expectWordScope(line, m[2], 'constant.language.policy.iptables');
        }
        if (m[3]) {
          expectWordScope(line, m[3], 'constant.numeric.counter.packets.iptables', wordRanges(line.text, m[3]).length - (m[3] === m[4] ? 2 : 1));
          expectWordScope(line, m[4], 'constant.numeric.counter.bytes.iptables', wordRanges(line.text, m[4]).length - 1);
        }
        if (m[5]) {
          expectWordScope(line, m[5], 'constant.numeric.references.iptables');
        }
      }
    }
    assert.ok(headers > 150, `only ${headers} headers`);

    const filter = corpusLines('docker-desktop-k8s-filter-nvL.txt');
    const input = lineContaining(filter, 'Chain INPUT (policy ACCEPT 3386K packets, 2827M bytes)');
    expectWordScope(input, '3386K', 'constant.numeric.counter.packets.iptables');
    expectWordScope(input, '2827M', 'constant.numeric.counter.bytes.iptables');
  });

  it('scopes every column header line as a whole', () => {
    let headers = 0;
    for (const file of Object.keys(LIST_FILES)) {
      for (const line of corpusLines(file)) {
        if (/^\s*(num\s+)?(pkts\s+bytes\s+)?target\s+prot\s+opt/.test(line.text)) {
          headers++;
          assert.ok(line.tokens.every((t) => hasScope(t.scopes, 'comment.line.column-header')), line.text);
        }
      }
    }
    assert.ok(headers > 150);
  });

  it('scopes the columns of every rule line, telling user chains from built-in targets', () => {
    const seen = { chain: 0, builtin: 0, none: 0 };
    for (const [file, format] of Object.entries(LIST_FILES)) {
      const lines = corpusLines(file);
      const chains = chainsListed(lines);
      for (const line of lines.filter((l) => isListRuleLine(l.text))) {
        assert.equal(topScope(line), 'meta.rule.list.iptables', `${file}: ${line.text}`);
        const columns = listColumns(line.text, format);
        assert.equal(columns.opt.text, '--', `${file}: ${line.text}`);
        const target = columns.target;
        if (target === undefined) {
          seen.none++;
        } else if (chains.has(target.text)) {
          seen.chain++;
          assert.deepEqual(scopeExtent(line, target.at, TARGET_CHAIN), [target.at, target.at + target.text.length], line.text);
        } else {
          seen.builtin++;
          assert.deepEqual(scopeExtent(line, target.at, BUILTIN_TARGET), [target.at, target.at + target.text.length], line.text);
        }
        const numericProtocol = /^\d+$/.test(columns.prot.text);
        assert.deepEqual(
          scopeExtent(line, columns.prot.at, numericProtocol ? 'constant.numeric.protocol' : 'support.type.protocol'),
          [columns.prot.at, columns.prot.at + columns.prot.text.length],
          line.text,
        );
        for (const address of [columns.source, columns.destination]) {
          const negated = address.text.startsWith('!');
          const bare = negated ? address.text.slice(1) : address.text;
          const at = address.at + (negated ? 1 : 0);
          const expected = /^[\d.]+(\/\d+)?$/.test(bare) ? IPV4 : bare === 'anywhere' ? 'constant.language.address.anywhere' : 'constant.other.hostname';
          const extent = scopeExtent(line, at, expected);
          // A hostname's /prefix is scoped on its own; an IPv4 CIDR is one token.
          assert.deepEqual(extent, [at, at + (expected === 'constant.other.hostname' ? bare.replace(/\/\d+$/, '').length : bare.length)], `${bare} should be ${expected}: ${JSON.stringify(scopesAt(line, at))}\n${line.text}`);
          if (negated) {
            assert.ok(hasScope(scopesAt(line, address.at), NEGATION), line.text);
          }
        }
      }
    }
    assert.ok(seen.chain > 100 && seen.builtin > 100 && seen.none > 0, JSON.stringify(seen));
  });

  it('scopes the Calico + kube-proxy seed dump', () => {
    const lines = corpusLines('seed-calico-nat-L-n-v.txt');
    const calico = lineContaining(lines, 'cali-PREROUTING  all');
    expectWordScope(calico, '1268', 'constant.numeric.counter.packets.iptables');
    expectWordScope(calico, '73753', 'constant.numeric.counter.bytes.iptables');
    expectWordScope(calico, 'cali-PREROUTING', TARGET_CHAIN);
    const comment = '/* cali:6gwbT8clXdHdC1b1 */';
    const at = calico.text.indexOf(comment);
    assert.deepEqual(scopeExtent(calico, at, 'comment.block.iptables'), [at, at + comment.length]);

    const masq = lineContaining(lines, '!10.200.0.0/16        10.100.200.2         /* kube-system/kube-dns:dns-tcp cluster IP */');
    expectWordScope(masq, 'KUBE-MARK-MASQ', TARGET_CHAIN);
    assert.ok(hasScope(scopesAt(masq, masq.text.indexOf('!10.200')), NEGATION));
    expectWordScope(masq, '10.200.0.0/16', IPV4);
    expectWordScope(masq, '10.100.200.2', IPV4);
    expectWordScope(masq, 'dpt', 'variable.parameter.match.iptables');
    expectWordScope(masq, '53', 'constant.numeric.iptables');

    const mark = lineContaining(lines, 'MARK or 0x4000');
    expectWordScope(mark, 'MARK', BUILTIN_TARGET, 0);
    expectWordScope(mark, '0x4000', 'constant.numeric.hex.iptables');

    const dnat = lineContaining(lines, 'udp to:10.200.165.65:53');
    expectWordScope(dnat, 'DNAT', BUILTIN_TARGET);
    expectWordScope(dnat, '10.200.165.65', IPV4);
    expectWordScope(dnat, '53', 'constant.numeric.port.iptables');

    const random = lineContaining(lines, 'statistic mode random probability 0.50000000000');
    expectWordScope(random, '0.50000000000', 'constant.numeric.iptables');

    const header = lineContaining(lines, 'Chain KUBE-SVC-BEPXDJBUHFCSYIC3 (1 references)');
    expectWordScope(header, 'KUBE-SVC-BEPXDJBUHFCSYIC3', CHAIN);
  });

  it('scopes the line-number column, numeric protocols and interfaces (moby, --line-numbers)', () => {
    const lines = corpusLines('moby-new-daemon-nvL-line-numbers-filter+nat.txt');
    const user = lineContaining(lines, '1        0     0 DOCKER-USER  0    --');
    expectWordScope(user, '1', 'constant.numeric.rule-number.iptables');
    expectWordScope(user, 'DOCKER-USER', TARGET_CHAIN);
    expectWordScope(user, '0', 'constant.numeric.protocol.iptables', 2);
    assert.ok(hasScope(scopesAt(user, user.text.indexOf('*')), 'constant.language.interface.any'));

    const isolation = lineContaining(lines, 'DOCKER-ISOLATION-STAGE-2  0    --  docker0 !docker0');
    expectWordScope(isolation, 'docker0', 'variable.other.interface.iptables', 0);
    expectWordScope(isolation, 'docker0', 'variable.other.interface.iptables', 1);
    assert.ok(hasScope(scopesAt(isolation, isolation.text.indexOf('!docker0')), NEGATION));

    const ipset = lineContaining(lines, 'match-set docker-ext-bridges-v4 dst ctstate RELATED,ESTABLISHED');
    expectWordScope(ipset, 'ACCEPT', BUILTIN_TARGET);
    expectWordScope(ipset, 'ESTABLISHED', 'constant.language.conntrack-state.iptables');
  });

  it('scopes names and empty targets in iptables -L without -n and -v', () => {
    const lines = corpusLines('kube-proxy-TestOverallIPTablesRules.real-L.txt');
    const localnet = lineContaining(lines, 'DROP       all  -- !loopback/8           loopback/8');
    expectWordScope(localnet, 'DROP', BUILTIN_TARGET);
    expectWordScope(localnet, 'loopback', 'constant.other.hostname.iptables', 0);
    assert.ok(hasScope(scopesAt(localnet, localnet.text.indexOf('!loopback')), NEGATION));
    expectWordScope(localnet, 'RELATED', 'constant.language.conntrack-state.iptables');

    const noTarget = lineContaining(lines, '           all  --  anywhere             anywhere             /* other traffic to ns5/svc5:p80');
    expectWordScope(noTarget, 'all', 'support.type.protocol.iptables');
    expectWordScope(noTarget, 'anywhere', 'constant.language.address.anywhere.iptables', 0);
    expectWordScope(noTarget, 'anywhere', 'constant.language.address.anywhere.iptables', 1);

    const http = lineContaining(lines, 'DROP       tcp  --  anywhere             5.6.7.8');
    expectWordScope(http, '5.6.7.8', IPV4);
    expectWordScope(http, 'dpt', 'variable.parameter.match.iptables');
  });

  it('scopes K/M/G counters on rule lines', () => {
    const lines = corpusLines('docker-desktop-k8s-filter-nvL.txt');
    const nodePorts = lineContaining(lines, ' 167M  113G KUBE-NODEPORTS');
    expectWordScope(nodePorts, '167M', 'constant.numeric.counter.packets.iptables');
    expectWordScope(nodePorts, '113G', 'constant.numeric.counter.bytes.iptables');
    expectWordScope(nodePorts, 'KUBE-NODEPORTS', TARGET_CHAIN);
  });

  it('keeps quotes inside /* */ comments part of the comment (CNI comments)', () => {
    const lines = corpusLines('docker-desktop-k8s-nat-nvL-kube-proxy-XLB.txt');
    const cni = lineContaining(lines, 'CNI-0d314787d804206fd0db3f98  all');
    const start = cni.text.indexOf('/*');
    const end = cni.text.indexOf('*/') + 2;
    assert.deepEqual(scopeExtent(cni, start, 'comment.block.iptables'), [start, end]);
    expectNotScope(cni, cni.text.indexOf('"default"'), 'string');
    expectWordScope(cni, 'CNI-0d314787d804206fd0db3f98', TARGET_CHAIN);
    expectWordScope(cni, '10.1.0.214', IPV4);
  });
});

describe('grammar: whole corpus', () => {
  it('gives every line with content a scope from its own format', () => {
    const saveTop = new Set([
      'comment.line.number-sign.iptables',
      'meta.table-header.iptables',
      'keyword.control.commit.iptables',
      'meta.chain-declaration.iptables',
      'meta.rule.iptables',
    ]);
    const listTop = new Set(['meta.chain-header.iptables', 'comment.line.column-header.iptables', 'meta.rule.list.iptables']);
    for (const file of SAVE_FILES) {
      for (const line of corpusLines(file).filter((l) => l.text.trim() !== '')) {
        assert.ok(saveTop.has(topScope(line) ?? ''), `${file}:${line.lineNumber + 1} got ${topScope(line)}: ${line.text}`);
      }
    }
    for (const file of Object.keys(LIST_FILES)) {
      for (const line of corpusLines(file).filter((l) => l.text.trim() !== '')) {
        assert.ok(listTop.has(topScope(line) ?? ''), `${file}:${line.lineNumber + 1} got ${topScope(line)}: ${line.text}`);
      }
    }
  });

  it('colours the dump pasted in the seed walkthrough and leaves its prose alone', () => {
    const lines = tokenizeText(grammar, fs.readFileSync(SEED, 'utf8'));
    const kinds = { header: 0, rule: 0, prose: 0 };
    for (const line of lines.filter((l) => l.text.trim() !== '' && !l.text.startsWith('#'))) {
      if (line.text.startsWith('Chain ')) {
        kinds.header++;
        assert.equal(topScope(line), 'meta.chain-header.iptables', line.text);
      } else if (/^\s*\d+[KMG]?\s+\d+[KMG]?\s+\S+\s+\w+\s+--\s/.test(line.text)) {
        kinds.rule++;
        assert.equal(topScope(line), 'meta.rule.list.iptables', line.text);
      } else if (!/^\s*pkts bytes target/.test(line.text)) {
        kinds.prose++;
        assert.ok(line.tokens.every((t) => t.scopes.length === 1), `prose got scopes: ${line.text}`);
      }
    }
    assert.ok(kinds.header > 20 && kinds.rule > 50 && kinds.prose > 50, JSON.stringify(kinds));
  });

  it('tokenizes a 100,000-line document built from the corpus, with no state leaking between copies', function () {
    this.timeout(300_000);
    const text = [...SAVE_FILES, ...Object.keys(LIST_FILES)]
      .map((file) => fs.readFileSync(path.join(CORPUS, file), 'utf8'))
      .join('\n');
    const copy = text.split('\n').length;
    const copies = Math.ceil(100_000 / copy);
    const lines = tokenizeText(grammar, Array(copies).fill(text).join('\n'));
    assert.ok(lines.length >= 100_000);
    const last = lines.slice(-copy);
    const first = lines.slice(0, copy);
    assert.deepEqual(
      last.map((l) => l.tokens),
      first.map((l) => l.tokens),
    );
  });

  it('stays linear on long and hostile lines', function () {
    this.timeout(60_000);
    const hostile = [
      '-A X ' + ':'.repeat(20_000),
      '-A X ' + '1.2.3.'.repeat(5_000),
      '-A X -m comment --comment "' + 'a\\'.repeat(10_000),
      '    0 '.repeat(5_000),
      ' 0 0 ' + 'x '.repeat(10_000) + ' -- ',
      'Chain X (' + '1 '.repeat(10_000),
    ];
    for (const line of hostile) {
      const [tokenizedLine] = tokenizeText(grammar, line);
      assert.ok(tokenizedLine.tokens.length > 0);
    }
  });
});

describe('language configuration', () => {
  const configuration = JSON.parse(fs.readFileSync(LANGUAGE_CONFIGURATION, 'utf8'));

  /** The word VS Code would take at `column`: the match of wordPattern that contains it. */
  function wordAt(text: string, column: number): string | undefined {
    const pattern = new RegExp(configuration.wordPattern, 'g');
    for (const m of text.matchAll(pattern)) {
      const start = m.index ?? 0;
      if (start <= column && column < start + m[0].length) {
        return m[0];
      }
    }
    return undefined;
  }

  it('is the configuration package.json contributes', () => {
    const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8'));
    const language = manifest.contributes.languages.find((l: { id: string }) => l.id === 'iptables');
    assert.equal(path.resolve(__dirname, '../..', language.configuration), LANGUAGE_CONFIGURATION);
    assert.equal(configuration.comments.lineComment, '#');
  });

  it('keeps chain names, CIDRs and marks whole under the cursor', () => {
    const seed = fs.readFileSync(path.join(CORPUS, 'seed-calico-nat-L-n-v.txt'), 'utf8').split('\n');
    const save = fs.readFileSync(path.join(CORPUS, 'k3s-blog-iptables-save-c-v1.8.4.iptables-save'), 'utf8').split('\n');
    const cases: Array<[string[], string, string]> = [
      [seed, 'KUBE-SVC-BEPXDJBUHFCSYIC3', 'KUBE-SVC-BEPXDJBUHFCSYIC3'],
      [seed, 'cali-fip-dnat', 'cali-fip-dnat'],
      [seed, '10.200.0.0/16', '10.200.0.0/16'],
      [seed, '0x4000/0x4000', '0x4000/0x4000'],
      [save, ':KUBE-SEP-VD5CM36UTN4SSMVL', 'KUBE-SEP-VD5CM36UTN4SSMVL'],
      [save, '10.0.20.5/32', '10.0.20.5/32'],
      [save, 'DOCKER-ISOLATION-STAGE-2', 'DOCKER-ISOLATION-STAGE-2'],
    ];
    for (const [lines, fragment, word] of cases) {
      const text = lines.find((l) => l.includes(fragment));
      assert.ok(text, fragment);
      const start = text.indexOf(fragment) + fragment.indexOf(word);
      for (const column of [start, start + Math.floor(word.length / 2), start + word.length - 1]) {
        assert.equal(wordAt(text, column), word, `column ${column} of ${text}`);
      }
    }
    // A port after an address, and a sentence's full stop, are not part of the word.
    assert.equal(wordAt('--to-destination 10.0.20.5:6443', 20), '10.0.20.5');
    assert.equal(wordAt('see KUBE-SERVICES.', 6), 'KUBE-SERVICES');
  });

  it('folds a table from its header to COMMIT', () => {
    const start = new RegExp(configuration.folding.markers.start);
    const end = new RegExp(configuration.folding.markers.end);
    const lines = fs.readFileSync(path.join(CORPUS, 'k3s-blog-iptables-save-c-v1.8.4.iptables-save'), 'utf8').split('\n');
    assert.equal(lines.filter((l) => start.test(l)).length, 4);
    assert.equal(lines.filter((l) => end.test(l)).length, 4);
    assert.ok(!lines.some((l) => l.startsWith(':') && (start.test(l) || end.test(l))));
  });
});
