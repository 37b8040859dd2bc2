// The tracer's rule semantics on small inline rulesets: each test is one netfilter behaviour (goto, RETURN,
// policies, marks, DNAT seen by later rules, undecided matches explored both ways, cycles).
import * as assert from 'node:assert/strict';
import { parseDump } from '../../../server/src/parse/index';
import { scenarioTotal, tracePacket, traceScenarios } from '../../../server/src/trace/index';
import type { TracePacket, TraceResult } from '../../../server/src/trace/index';

function save(tables: Record<string, string[]>): string {
  const builtins: Record<string, string[]> = {
    filter: ['INPUT', 'FORWARD', 'OUTPUT'],
    nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
    mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
    raw: ['PREROUTING', 'OUTPUT'],
  };
  const out: string[] = [];
  for (const [table, lines] of Object.entries(tables)) {
    out.push(`*${table}`);
    const policies = lines.filter((l) => l.startsWith(':'));
    const declared = new Set(policies.map((l) => l.slice(1).split(' ')[0]));
    for (const chain of builtins[table]) {
      if (!declared.has(chain)) {
        out.push(`:${chain} ACCEPT [0:0]`);
      }
    }
    out.push(...lines, 'COMMIT');
  }
  return out.join('\n') + '\n';
}

function run(tables: Record<string, string[]>, packet: Partial<TracePacket> = {}): TraceResult {
  return tracePacket(parseDump(save(tables)), {
    dst: '10.96.0.10',
    dstPort: 80,
    src: '10.244.0.5',
    localAddresses: ['192.168.0.10'],
    ...packet,
  });
}

function labels(result: TraceResult): Record<string, number> {
  return Object.fromEntries(result.outcomes.map((o) => [o.label, o.probability]));
}

function assertSumsToOne(result: TraceResult): void {
  for (const scenario of traceScenarios(result.paths)) {
    assert.ok(Math.abs(scenarioTotal(result.paths, scenario) - 1) < 1e-9);
  }
}

describe('trace: rule semantics', () => {
  it('rewrites the destination with DNAT so that filter FORWARD sees the new address', () => {
    const result = run({
      nat: ['-A PREROUTING -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.244.1.7:8080'],
      filter: ['-A FORWARD -d 10.244.1.7/32 -p tcp -m tcp --dport 8080 -m comment --comment "pod isolated" -j DROP'],
    });
    assert.deepEqual(labels(result), { 'DROP: pod isolated': 1 });
    assert.equal(result.paths[0].destination.ip, '10.244.1.7');
    assert.equal(result.paths[0].destination.port, 8080);
    assert.equal(result.paths[0].verdictRule?.chain, 'FORWARD');
  });

  it('returns from a goto target to the caller of the chain that went there', () => {
    const result = run({
      nat: [
        ':A - [0:0]',
        ':B - [0:0]',
        '-A PREROUTING -j A',
        '-A PREROUTING -j DNAT --to-destination 10.0.0.2:80',
        '-A A -g B',
        '-A A -j DNAT --to-destination 10.0.0.1:80',
        '-A B -j RETURN',
      ],
    });
    assert.deepEqual(labels(result), { 'DNAT → 10.0.0.2:80': 1 });
    const actions = result.paths[0].steps.map((s) => s.action);
    assert.deepEqual(actions.slice(0, 4), ['jump A', 'goto B', 'RETURN', 'DNAT → 10.0.0.2:80']);
  });

  it("applies a built-in chain's DROP policy", () => {
    const result = run({ filter: [':FORWARD DROP [0:0]', '-A FORWARD -s 10.0.0.0/8 -p udp -j ACCEPT'] });
    assert.deepEqual(labels(result), { 'DROP: policy DROP of filter FORWARD': 1 });
    assert.equal(result.paths[0].steps.at(-1)?.kind, 'policy');
  });

  it('tracks marks through MARK --set-xmark / --or-mark / --xor-mark and matches them with -m mark', () => {
    const result = run({
      nat: [
        ':MARK-IT - [0:0]',
        '-A PREROUTING -j MARK-IT',
        '-A MARK-IT -j MARK --set-xmark 0x4000/0x4000',
        '-A MARK-IT -j MARK --or-mark 0x10',
        '-A POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
        '-A POSTROUTING -j MARK --xor-mark 0x4000',
        '-A POSTROUTING -m mark --mark 0x10/0x10 -j MASQUERADE',
      ],
    });
    assert.equal(result.outcomes[0].masquerade.decision, 'yes');
    assert.equal(result.paths[0].mark, 0x10);
    const unmarked = run({ nat: ['-A POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN', '-A POSTROUTING -j MASQUERADE'] });
    assert.equal(unmarked.outcomes[0].masquerade.decision, 'no');
  });

  it('evaluates CIDRs, negation, multiport lists and ranges', () => {
    const tables = {
      nat: [
        '-A PREROUTING ! -s 10.244.0.0/16 -j DNAT --to-destination 10.0.0.1',
        '-A PREROUTING -p tcp -m multiport --dports 22,8000:8100 -j DNAT --to-destination 10.0.0.2',
        '-A PREROUTING -p tcp -m multiport ! --dports 80,443 -j DNAT --to-destination 10.0.0.3',
        '-A PREROUTING -s 10.244.0.0/255.255.255.0 -p udp -j DNAT --to-destination 10.0.0.4',
        '-A PREROUTING -s 10.244.0.0/255.255.255.0 -p tcp -j DNAT --to-destination 10.0.0.5',
      ],
    };
    assert.deepEqual(labels(run(tables, { src: '192.168.1.1' })), { 'DNAT → 10.0.0.1:80': 1 });
    assert.deepEqual(labels(run(tables, { dstPort: 8080 })), { 'DNAT → 10.0.0.2:8080': 1 });
    assert.deepEqual(labels(run(tables, { dstPort: 9000 })), { 'DNAT → 10.0.0.3:9000': 1 });
    assert.deepEqual(labels(run(tables, { dstPort: 443, protocol: 'udp' })), { 'DNAT → 10.0.0.4:443': 1 });
    assert.deepEqual(labels(run(tables, { dstPort: 443 })), { 'DNAT → 10.0.0.5:443': 1 });
  });

  it('handles IPv6 prefixes and DNAT to [address]:port', () => {
    const text = [
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':POSTROUTING ACCEPT [0:0]',
      '-A PREROUTING -d fd00:10:96::a/128 -p udp -m udp --dport 53 -j DNAT --to-destination [fd00:10:244::5]:53',
      'COMMIT',
    ].join('\n');
    const result = tracePacket(parseDump(text), { dst: 'fd00:10:96:0::a', dstPort: 53, protocol: 'udp', src: 'fd00:10:244::9' });
    assert.deepEqual(labels(result), { 'DNAT → [fd00:10:244::5]:53': 1 });
  });

  it('decides -i/-o from the given interfaces and explores them both ways when not given', () => {
    const tables = {
      nat: ['-A POSTROUTING -o tunl0 -j MASQUERADE'],
      filter: ['-A FORWARD -i eth+ -m comment --comment "from outside" -j DROP'],
    };
    const given = run(tables, { inInterface: 'cali0', outInterface: 'tunl0' });
    assert.deepEqual(labels(given), { 'ACCEPT → 10.96.0.10:80': 1 });
    assert.equal(given.outcomes[0].masquerade.decision, 'yes');
    assert.equal(run(tables, { inInterface: 'eth1' }).outcomes[0].verdict, 'DROP');
    const unknown = run(tables);
    assert.equal(unknown.outcomes.length, 2);
    const accepted = unknown.outcomes.find((o) => o.verdict === 'ACCEPT');
    assert.equal(accepted?.conditional, true);
    assert.equal(accepted?.probability, 1, 'when the interface is not eth+, the packet is accepted');
    assert.deepEqual(accepted?.probabilityRange, { min: 0, max: 1 });
    assert.equal(accepted?.masquerade.decision, 'depends');
    assert.equal(accepted?.masquerade.whenNoConditionHolds, false);
    assertSumsToOne(unknown);
  });

  it('explores a match it does not model both ways, and flags it', () => {
    const result = run({ filter: ['-A FORWARD -m physdev --physdev-in veth0 -j DROP'] });
    assert.equal(result.outcomes.length, 2);
    const conditions = result.paths.flatMap((p) => p.conditions);
    assert.ok(conditions.every((c) => c.kind === 'unknown-match' && c.description.includes('physdev')));
    assert.deepEqual(new Set(conditions.map((c) => c.holds)), new Set([true, false]));
    assertSumsToOne(result);
  });

  it('assumes conntrack state NEW and says so', () => {
    const result = run({
      filter: [
        '-A FORWARD -m conntrack --ctstate INVALID -j DROP',
        '-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
        '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "new connections refused" -j REJECT',
      ],
    });
    assert.deepEqual(labels(result), { 'REJECT: new connections refused': 1 });
    assert.ok(result.notes.some((n) => n.includes('NEW')));
  });

  it('sees the conntrack DNAT state after a DNAT', () => {
    const result = run({
      nat: ['-A PREROUTING -j DNAT --to-destination 10.0.0.9:80'],
      filter: ['-A FORWARD -m conntrack ! --ctstate DNAT -j DROP'],
    });
    assert.equal(result.outcomes[0].verdict, 'ACCEPT');
  });

  it('reports a cycle of jumps and stops there', () => {
    const result = run({ nat: [':A - [0:0]', ':B - [0:0]', '-A PREROUTING -j A', '-A A -j B', '-A B -p tcp -j A'] });
    assert.deepEqual(result.cycles, [['A', 'B', 'A']]);
    assert.equal(result.outcomes.length, 1);
    assert.equal(result.outcomes[0].verdict, 'LOOP');
    assert.match(result.outcomes[0].reason ?? '', /A → B → A/);
  });

  it('reports a cycle made of gotos (X -g Y, Y -g X) instead of following it forever', () => {
    const result = run({ nat: [':X - [0:0]', ':Y - [0:0]', '-A PREROUTING -j X', '-A X -g Y', '-A Y -g X'] });
    assert.deepEqual(result.cycles, [['X', 'Y', 'X']]);
    assert.equal(result.outcomes[0].verdict, 'LOOP');
  });

  it('stops after maxPaths and says the result is incomplete, with probabilities still summing to 1', () => {
    const lines = [':S - [0:0]', '-A PREROUTING -j S'];
    for (let i = 0; i < 20; i++) {
      lines.push(
        `-A S -m statistic --mode random --probability 0.5 -j MARK --set-xmark 0x${(1 << i).toString(16)}/0x${(1 << i).toString(16)}`,
      );
    }
    const result = tracePacket(parseDump(save({ nat: lines })), { dst: '10.0.0.1', dstPort: 80 }, { maxPaths: 100 });
    assert.equal(result.truncated, true);
    assert.ok(result.outcomes.some((o) => o.verdict === 'INCOMPLETE'));
    assertSumsToOne(result);
  });

  it('delivers to the node when the destination is one of its addresses (INPUT, not FORWARD)', () => {
    const result = run(
      { filter: ['-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT', '-A INPUT -m comment --comment "closed" -j DROP'] },
      { dst: '192.168.0.10', dstPort: 22 },
    );
    assert.deepEqual(result.hooks, ['PREROUTING', 'INPUT']);
    assert.equal(result.outcomes[0].delivery, 'local');
    assert.equal(result.outcomes[0].probability, 1);
  });

  it('explores addrtype LOCAL both ways when the node addresses are not given', () => {
    const result = tracePacket(
      parseDump(
        save({
          nat: [
            ':NP - [0:0]',
            '-A PREROUTING -m addrtype --dst-type LOCAL -j NP',
            '-A NP -p tcp -m tcp --dport 30080 -j DNAT --to-destination 10.244.3.3:80',
          ],
        }),
      ),
      { dst: '192.168.0.10', dstPort: 30080, src: '203.0.113.9', from: 'external' },
    );
    const conditions = result.paths.flatMap((p) => p.conditions);
    assert.ok(conditions.every((c) => c.kind === 'addrtype'));
    assert.equal(result.outcomes.length, 2);
    const dnat = result.outcomes.find((o) => o.dnat);
    assert.equal(dnat?.probabilityRange.max, 1);
    assert.equal(dnat?.probability, 0, "not reached when the address is not the node's");
    assertSumsToOne(result);
  });
});
