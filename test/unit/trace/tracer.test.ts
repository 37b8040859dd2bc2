// The packet tracer on real dumps: the seed's Calico + kube-proxy node (`iptables -L -n -v`) and kube-proxy's own
// TestOverallIPTablesRules ruleset as the real iptables 1.8.9 prints it in every format.
import * as assert from 'node:assert/strict';
import { parseDump } from '../../../server/src/parse/index';
import { scenarioTotal, tracePacket, traceScenarios } from '../../../server/src/trace/index';
import type { TracePacket, TraceResult } from '../../../server/src/trace/index';
import { readCorpus } from '../../support/corpus';

const SEED = 'seed-calico-nat-L-n-v.txt';
const KUBE_PROXY_FORMATS = [
  'kube-proxy-TestOverallIPTablesRules.real-iptables-save',
  'kube-proxy-TestOverallIPTablesRules.real-S.txt',
  'kube-proxy-TestOverallIPTablesRules.real-L-n-v.txt',
  'kube-proxy-TestOverallIPTablesRules.real-L-n-v-x-line-numbers.txt',
  'kube-proxy-TestOverallIPTablesRules.real-L.txt',
  'kubernetes-proxier_test-TestOverallIPTablesRules.iptables-restore',
];
/** A node address for the kube-proxy ruleset (none of its service, external or load-balancer IPs). */
const NODE = ['192.168.0.10'];

function trace(file: string, packet: TracePacket): TraceResult {
  return tracePacket(parseDump(readCorpus(file)), packet);
}

/** `label → probability` of the outcomes. */
function distribution(result: TraceResult): Map<string, number> {
  return new Map(result.outcomes.map((o) => [o.label, o.probability]));
}

function assertSumsToOne(result: TraceResult): void {
  const scenarios = traceScenarios(result.paths);
  assert.ok(scenarios.length >= 1);
  for (const scenario of scenarios) {
    const total = scenarioTotal(result.paths, scenario);
    assert.ok(Math.abs(total - 1) < 1e-9, `paths of scenario ${JSON.stringify([...scenario])} sum to ${total}`);
  }
  const baseline = result.outcomes.reduce((sum, o) => sum + o.probability, 0);
  assert.ok(Math.abs(baseline - 1) < 1e-9, `outcomes sum to ${baseline}`);
}

describe('trace: the seed (Calico + kube-proxy, iptables -t nat -L -n -v)', () => {
  const dnat70 = 'DNAT → 10.200.165.70:80';
  const dnat71 = 'DNAT → 10.200.165.71:80';

  it('sends 10.100.200.79:80/tcp to the two nginx pods, 50% each', () => {
    const result = trace(SEED, { dst: '10.100.200.79', dstPort: 80, protocol: 'tcp', src: '10.200.1.5', from: 'pod' });
    assert.deepEqual(
      distribution(result),
      new Map([
        [dnat70, 0.5],
        [dnat71, 0.5],
      ]),
    );
    for (const o of result.outcomes) {
      assert.equal(o.conditional, false, `${o.label} does not depend on any assumption`);
      assert.equal(o.verdict, 'ACCEPT');
      assert.equal(o.delivery, 'forward');
    }
    assert.deepEqual(result.hooks, ['PREROUTING', 'FORWARD', 'POSTROUTING']);
    assertSumsToOne(result);
  });

  it('locates every visited rule: the service rule, the statistic rule and the DNAT rule', () => {
    const text = readCorpus(SEED).split('\n');
    const result = trace(SEED, { dst: '10.100.200.79', dstPort: 80, src: '10.200.1.5' });
    const path = result.paths.find((p) => p.dnat?.ip === '10.200.165.70');
    assert.ok(path);
    const rules = path.steps.filter((s) => s.rule && s.kind === 'rule');
    for (const step of rules) {
      const line = text[step.rule!.location.line];
      assert.equal(line.slice(step.rule!.location.start, step.rule!.location.end), step.rule!.text);
    }
    const chains = rules.map((s) => s.chain);
    assert.deepEqual(chains.slice(0, 6), [
      'PREROUTING',
      'cali-PREROUTING',
      'PREROUTING',
      'KUBE-SERVICES',
      'KUBE-SVC-BEPXDJBUHFCSYIC3',
      'KUBE-SEP-AOFVCMQOP4BSPNKH',
    ]);
    const statistic = rules.find((s) => s.chain === 'KUBE-SVC-BEPXDJBUHFCSYIC3');
    assert.equal(statistic?.probability, 0.5);
    assert.match(text[statistic!.rule!.location.line], /statistic mode random probability 0\.5/);
    const dnat = rules.find((s) => s.action.startsWith('DNAT'));
    assert.match(text[dnat!.rule!.location.line], /to:10\.200\.165\.70:80/);
    const other = result.paths.find((p) => p.dnat?.ip === '10.200.165.71');
    assert.ok(
      other?.steps.some((s) => s.chain === 'KUBE-SVC-BEPXDJBUHFCSYIC3' && s.action.startsWith('not taken') && s.probability === 0.5),
    );
  });

  it('masquerades a client outside 10.200.0.0/16 (KUBE-MARK-MASQ, then KUBE-POSTROUTING), whatever the undecided Calico rules say', () => {
    const result = trace(SEED, { dst: '10.100.200.79', dstPort: 80, src: '192.168.1.5', from: 'external' });
    assert.deepEqual(
      distribution(result),
      new Map([
        [dnat70, 0.5],
        [dnat71, 0.5],
      ]),
    );
    for (const o of result.outcomes) {
      assert.equal(o.masquerade.decision, 'yes');
      assert.equal(o.masquerade.whenNoConditionHolds, true);
    }
    for (const path of result.paths) {
      assert.equal(path.mark & 0x4000, 0x4000, 'KUBE-MARK-MASQ set the masquerade bit');
      assert.equal(path.snat?.kind, 'MASQUERADE');
    }
    // With no undecided rule holding, it is kube-proxy's own MASQUERADE rule that rewrites the source.
    const baseline = result.paths.filter((p) => p.conditions.every((c) => !c.holds));
    assert.ok(baseline.length >= 2);
    for (const path of baseline) {
      assert.equal(path.snat?.rule?.chain, 'KUBE-POSTROUTING');
    }
    assertSumsToOne(result);
  });

  it('does not masquerade a pod client (10.200.1.5): only Calico rules with ipsets or tunl0 could, and those are flagged', () => {
    const result = trace(SEED, { dst: '10.100.200.79', dstPort: 80, src: '10.200.1.5', from: 'pod' });
    for (const o of result.outcomes) {
      assert.equal(o.masquerade.decision, 'depends');
      assert.equal(o.masquerade.whenNoConditionHolds, false);
      for (const alternative of o.masquerade.alternatives.filter((a) => a.masquerade)) {
        assert.ok(alternative.conditions.length > 0, 'every masquerading path rests on an assumption');
        assert.ok(alternative.conditions.some((c) => c.holds && (c.kind === 'unknown-match' || c.kind === 'interface')));
        assert.match(alternative.snat?.rule?.chain ?? '', /^cali-/);
      }
    }
    for (const path of result.paths) {
      assert.equal(path.mark & 0x4000, 0, 'KUBE-MARK-MASQ was not reached');
    }
    const ipset = result.paths.flatMap((p) => p.conditions).find((c) => c.description.includes('cali40masq-ipam-pools'));
    assert.equal(ipset?.kind, 'unknown-match');
    assertSumsToOne(result);
  });

  it("splits kube-dns UDP three ways with kube-proxy's probabilities 0.33333, then 0.5", () => {
    const result = trace(SEED, { dst: '10.100.200.2', dstPort: 53, protocol: 'udp', src: '10.200.1.5' });
    const shares = distribution(result);
    assert.deepEqual([...shares.keys()].sort(), ['DNAT → 10.200.165.65:53', 'DNAT → 10.200.165.66:53', 'DNAT → 10.200.165.67:53']);
    for (const share of shares.values()) {
      assert.ok(Math.abs(share - 1 / 3) < 1e-4, `share ${share}`);
    }
    // The last endpoint's path passes both statistic rules untaken: one step stands for the two.
    const last = result.paths.find((p) => p.dnat?.ip === '10.200.165.67');
    const missed = last?.steps.filter((s) => s.action.startsWith('not taken'));
    assert.equal(missed?.length, 1);
    assert.equal(missed?.[0].rules, 2);
    assert.match(missed?.[0].action ?? '', /^not taken: #1–#2 \(random, together p=0\.333/);
    assertSumsToOne(result);
  });

  it('leaves traffic to no service untouched (ACCEPT, forwarded)', () => {
    const result = trace(SEED, { dst: '10.200.165.70', dstPort: 80, src: '10.200.1.5', localAddresses: ['10.0.0.5'] });
    assert.equal(result.outcomes.length, 1);
    assert.equal(result.outcomes[0].label, 'ACCEPT → 10.200.165.70:80');
    assert.equal(result.outcomes[0].probability, 1);
  });

  it('walks nat OUTPUT for a packet the node sends', () => {
    const result = trace(SEED, { dst: '10.100.200.79', dstPort: 80, from: 'node' });
    assert.deepEqual(result.hooks.slice(0, 2), ['OUTPUT', 'POSTROUTING']);
    assert.deepEqual(
      distribution(result),
      new Map([
        [dnat70, 0.5],
        [dnat71, 0.5],
      ]),
    );
    assert.ok(result.paths.every((p) => p.steps[0].chain === 'OUTPUT'));
  });
});

describe('trace: kube-proxy TestOverallIPTablesRules, in every format the real iptables prints', () => {
  for (const file of KUBE_PROXY_FORMATS) {
    describe(file, () => {
      it('rejects the service without endpoints (ns6/svc6), saying why', () => {
        const result = trace(file, { dst: '172.30.0.46', dstPort: 80, src: '10.0.1.1', localAddresses: NODE });
        assert.equal(result.outcomes.length, 1);
        const [rejected] = result.outcomes;
        assert.equal(rejected.verdict, 'REJECT');
        assert.equal(rejected.probability, 1);
        assert.equal(rejected.conditional, false);
        assert.match(rejected.reason ?? '', /ns6\/svc6:p80 has no endpoints/);
        if (!file.endsWith('.iptables-restore')) {
          // kube-proxy's input leaves the default out; iptables prints it back.
          assert.match(rejected.reason ?? '', /icmp-port-unreachable/);
        }
        const path = result.paths[rejected.paths[0]];
        assert.equal(path.verdictRule?.table, 'filter');
        assert.equal(path.verdictRule?.chain, 'KUBE-SERVICES');
        assertSumsToOne(result);
      });

      it('balances ns4/svc4 50/50 and masquerades only clients outside 10.0.0.0/8', () => {
        const inside = trace(file, { dst: '172.30.0.44', dstPort: 80, src: '10.0.1.1', localAddresses: NODE });
        assert.deepEqual(
          distribution(inside),
          new Map([
            ['DNAT → 10.180.0.4:80', 0.5],
            ['DNAT → 10.180.0.5:80', 0.5],
          ]),
        );
        assert.ok(inside.outcomes.every((o) => o.masquerade.decision === 'no'));
        const outside = trace(file, { dst: '172.30.0.44', dstPort: 80, src: '192.168.5.5', from: 'external', localAddresses: NODE });
        assert.deepEqual(distribution(outside), distribution(inside));
        assert.ok(outside.outcomes.every((o) => o.masquerade.decision === 'yes'));
        assertSumsToOne(outside);
      });

      it("follows session affinity both ways (flagged) to ns5/svc5's single endpoint", () => {
        const result = trace(file, { dst: '172.30.0.45', dstPort: 80, src: '10.0.1.1', localAddresses: NODE });
        assert.deepEqual(distribution(result), new Map([['DNAT → 10.180.0.3:80', 1]]));
        const affinity = result.paths.flatMap((p) => p.conditions).filter((c) => c.kind === 'recent');
        assert.deepEqual(new Set(affinity.map((c) => c.holds)), new Set([true, false]));
        assertSumsToOne(result);
      });

      it("lets a load balancer's allowed source range in (ns5/svc5) and drops the others in KUBE-PROXY-FIREWALL", () => {
        const allowed = trace(file, { dst: '5.6.7.8', dstPort: 80, src: '203.0.113.5', from: 'external', localAddresses: NODE });
        assert.deepEqual(distribution(allowed), new Map([['DNAT → 10.180.0.3:80', 1]]));
        assert.equal(allowed.outcomes[0].masquerade.decision, 'yes');
        const other = trace(file, { dst: '5.6.7.8', dstPort: 80, src: '198.51.100.7', from: 'external', localAddresses: NODE });
        assert.equal(other.outcomes.length, 1);
        assert.equal(other.outcomes[0].verdict, 'DROP');
        assert.match(other.outcomes[0].reason ?? '', /traffic not accepted by KUBE-FW-NUKIZ6OKUXPJNT4C/);
      });

      it('reaches a node port through addrtype LOCAL when the node address is given', () => {
        const result = trace(file, { dst: NODE[0], dstPort: 3003, src: '192.168.5.5', from: 'external', localAddresses: NODE });
        assert.deepEqual(distribution(result), new Map([['DNAT → 10.180.0.3:80', 1]]));
        assert.equal(result.outcomes[0].masquerade.decision, 'yes');
        assert.ok(result.paths[0].steps.some((s) => s.chain === 'KUBE-NODEPORTS'));
      });

      it('drops external traffic to a Local-policy node port without local endpoints, but routes pod traffic (ns2/svc2)', () => {
        const external = trace(file, { dst: NODE[0], dstPort: 3001, src: '192.168.5.5', from: 'external', localAddresses: NODE });
        assert.equal(external.outcomes.length, 1);
        assert.equal(external.outcomes[0].verdict, 'DROP');
        assert.match(external.outcomes[0].reason ?? '', /ns2\/svc2:p80 has no local endpoints/);
        assert.equal(external.paths[0].verdictRule?.chain, 'KUBE-EXTERNAL-SERVICES');
        const pod = trace(file, { dst: NODE[0], dstPort: 3001, src: '10.0.1.1', localAddresses: NODE });
        assert.deepEqual(distribution(pod), new Map([['DNAT → 10.180.0.2:80', 1]]));
      });
    });
  }

  it("assumes kube-proxy's jumps from the empty built-in chains only when asked to, and says so", () => {
    const file = 'kube-proxy-TestOverallIPTablesRules.real-iptables-save';
    const withJumps = trace(file, { dst: '172.30.0.44', dstPort: 80, src: '10.0.1.1', localAddresses: NODE });
    assert.ok(withJumps.notes.some((n) => n.includes('nat PREROUTING has no rules') && n.includes('KUBE-SERVICES')));
    assert.ok(withJumps.paths[0].steps.some((s) => s.kind === 'implicit-jump'));
    const without = tracePacket(
      parseDump(readCorpus(file)),
      { dst: '172.30.0.44', dstPort: 80, src: '10.0.1.1', localAddresses: NODE },
      { implicitKubeJumps: false },
    );
    assert.deepEqual(distribution(without), new Map([['ACCEPT → 172.30.0.44:80', 1]]));
    assert.ok(!without.notes.some((n) => n.includes('kube-proxy')));
  });
});

describe('trace: the userspace-era and Docker dumps', () => {
  it('traces the moby dump (filter + nat, -L --line-numbers) without error', () => {
    const result = trace('moby-new-daemon-nvL-line-numbers-filter+nat.txt', {
      dst: '192.0.2.10',
      dstPort: 80,
      src: '198.51.100.1',
      from: 'external',
    });
    assert.ok(result.outcomes.length >= 1);
    assertSumsToOne(result);
  });

  it('traces the Docker Desktop XLB dump (nat -nvL) and its K/M counters', () => {
    const result = trace('docker-desktop-k8s-nat-nvL-kube-proxy-XLB.txt', {
      dst: '10.96.0.10',
      dstPort: 53,
      protocol: 'udp',
      src: '10.1.0.5',
    });
    assert.ok(result.outcomes.length >= 1);
    assertSumsToOne(result);
  });
});
