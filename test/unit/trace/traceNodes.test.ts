// The Packet Trace view without an editor: its nodes (outcomes → paths → rules, where a click goes) and the
// default packet the input box proposes from the line under the cursor.
import * as assert from 'node:assert/strict';
import { packetAtCursor } from '../../../client/src/trace/packetAtCursor';
import { OutcomeNode, TRACE_COMMANDS, traceRoots, visitedRules } from '../../../client/src/trace/traceNodes';
import type { RuleRevealTarget } from '../../../client/src/trace/traceNodes';
import { parseDump } from '../../../server/src/parse/index';
import { tracePacket } from '../../../server/src/trace/index';
import { readCorpus } from '../../support/corpus';

const SEED = 'seed-calico-nat-L-n-v.txt';
const URI = 'file:///tmp/seed.txt';

describe('Packet Trace view nodes', () => {
  const text = readCorpus(SEED);
  const lines = text.split('\n');
  const result = tracePacket(parseDump(text), { dst: '10.100.200.79', dstPort: 80, src: '192.168.1.5', from: 'external' });

  it('shows the packet, then each outcome with its probability and masquerade decision', () => {
    const roots = traceRoots(result, URI, '10.100.200.79:80/tcp from 192.168.1.5');
    const items = roots.map((r) => r.getTreeItem());
    assert.match(items[0].label, /^10\.100\.200\.79:80\/tcp from 192\.168\.1\.5 — PREROUTING → FORWARD → POSTROUTING$/);
    const outcomes = items.filter((i) => i.contextValue === 'iptablesLens.trace.outcome');
    assert.deepEqual(outcomes.map((o) => o.label).sort(), ['DNAT → 10.200.165.70:80', 'DNAT → 10.200.165.71:80']);
    for (const o of outcomes) {
      assert.match(o.description ?? '', /^50% · masqueraded \(MASQUERADE\)$/);
    }
    assert.ok(
      items.some((i) => i.contextValue === 'iptablesLens.trace.message' && i.label.includes('filter table')),
      'notes follow',
    );
  });

  it('goes from outcome to paths to rules, and a rule click reveals the exact rule text', () => {
    const outcome = traceRoots(result, URI, '').find((r) => r instanceof OutcomeNode)!;
    const paths = outcome.getChildren();
    assert.ok(paths.length >= 1);
    const steps = paths[0].getChildren().map((s) => s.getTreeItem());
    const dnat = steps.find((s) => s.label.includes('DNAT →'));
    assert.ok(dnat?.command);
    assert.equal(dnat.command.command, TRACE_COMMANDS.reveal);
    const target = dnat.command.arguments[0] as RuleRevealTarget;
    assert.equal(target.uri, URI);
    assert.match(lines[target.line].slice(target.start, target.end), /^0\s+0 DNAT\s+tcp .* to:10\.200\.165\.7[01]:80$/);
    assert.equal(outcome.highlightedPaths().length, outcome.getChildren().length);
  });

  it('highlights each visited rule once, with the share of traffic through it', () => {
    const visited = visitedRules(result.paths);
    const lineOf = (pattern: RegExp): number => lines.findIndex((l) => pattern.test(l));
    const serviceRule = visited.find((v) => v.line === lineOf(/KUBE-SVC-BEPXDJBUHFCSYIC3 .*10\.100\.200\.79/));
    assert.equal(serviceRule?.probability, 1);
    const dnat70 = visited.find((v) => v.line === lineOf(/to:10\.200\.165\.70:80/));
    assert.equal(dnat70?.probability, 0.5);
    assert.equal(new Set(visited.map((v) => v.line)).size, visited.length);
  });

  it('says how to start when there is no trace', () => {
    const [only] = traceRoots(undefined, undefined, '');
    assert.match(only.getTreeItem().label, /Trace a Packet/);
  });
});

describe('packetAtCursor', () => {
  it('proposes the cluster IP, port and protocol of a KUBE-SERVICES rule in -L output', () => {
    const text = readCorpus(SEED);
    const dump = parseDump(text);
    const lines = text.split('\n');
    const line = lines.findIndex((l) => /KUBE-SVC-BEPXDJBUHFCSYIC3 .*10\.100\.200\.79/.test(l));
    assert.equal(packetAtCursor(dump, lines[line], line, 0), '10.100.200.79:80/tcp');
    const dns = lines.findIndex((l) => /KUBE-SVC-TCOU7JCQXEZGVUNU .*10\.100\.200\.2 /.test(l));
    assert.equal(packetAtCursor(dump, lines[dns], dns, 0), '10.100.200.2:53/udp');
  });

  it('proposes the -d address of a save rule, or the address under the cursor', () => {
    const text = readCorpus('kube-proxy-TestOverallIPTablesRules.real-iptables-save');
    const dump = parseDump(text);
    const lines = text.split('\n');
    const line = lines.findIndex((l) => l.includes('-d 172.30.0.46/32'));
    assert.equal(packetAtCursor(dump, lines[line], line, 0), '172.30.0.46:80/tcp');
    const dnat = lines.findIndex((l) => l.includes('--to-destination 10.180.0.5:80'));
    const at = lines[dnat].indexOf('10.180.0.5') + 2;
    assert.equal(packetAtCursor(dump, lines[dnat], dnat, at), '10.180.0.5/tcp');
    assert.equal(packetAtCursor(dump, 'COMMIT', lines.indexOf('COMMIT'), 0), undefined);
  });
});
