// `trace` from the command line, and the one-line packet syntax the editor and the CLI share.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parsePacketSpec, runTraceCommand } from '../../../server/src/trace/index';
import type { TraceResult } from '../../../server/src/trace/index';
import { corpusPath } from '../../support/corpus';

function cli(argv: string[]): { code: number; out: string } {
  let out = '';
  const code = runTraceCommand(
    argv,
    (p) => readFileSync(p, 'utf8'),
    (text) => (out += text),
  );
  return { code, out };
}

describe('trace command', () => {
  const seed = corpusPath('seed-calico-nat-L-n-v.txt');

  it("prints the seed's two endpoints at 50% and the paths with 1-based line numbers", () => {
    const { code, out } = cli([seed, '--dst', '10.100.200.79:80', '--proto', 'tcp', '--src', '10.200.1.5', '--from', 'pod']);
    assert.equal(code, 0);
    assert.match(out, /^\s+50%\s+DNAT → 10\.200\.165\.70:80/m);
    assert.match(out, /^\s+50%\s+DNAT → 10\.200\.165\.71:80/m);
    assert.match(out, /not masquerade|masquerade depends/);
    // KUBE-SERVICES' rule for my-nginx is line 102 of the file.
    assert.match(out, /line 102 .*KUBE-SERVICES #10: jump KUBE-SVC-BEPXDJBUHFCSYIC3/);
  });

  it('says a client outside the pod network is masqueraded', () => {
    const { out } = cli([seed, '--dst', '10.100.200.79:80', '--src', '192.168.1.5', '--from', 'external', '--brief']);
    assert.match(out, /DNAT → 10\.200\.165\.70:80 +— masqueraded \(MASQUERADE\)/);
    assert.doesNotMatch(out, /Paths/);
  });

  it('writes the whole result as JSON', () => {
    const { code, out } = cli([seed, '--dst=10.100.200.79:80/tcp', '--src=10.200.1.5', '--json']);
    assert.equal(code, 0);
    const result = JSON.parse(out) as TraceResult;
    assert.deepEqual(result.outcomes.map((o) => [o.dnat?.ip, o.dnat?.port, o.probability]).sort(), [
      ['10.200.165.70', 80, 0.5],
      ['10.200.165.71', 80, 0.5],
    ]);
    assert.equal(result.packet.protocol, 'tcp');
  });

  it('takes the node addresses and rejects a service without endpoints', () => {
    const file = corpusPath('kube-proxy-TestOverallIPTablesRules.real-iptables-save');
    const { code, out } = cli([file, '--dst', '172.30.0.46:80', '--local', '192.168.0.10', '--brief']);
    assert.equal(code, 0);
    assert.match(out, /100% +REJECT: ns6\/svc6:p80 has no endpoints/);
    assert.match(out, /kube-proxy's jump/);
  });

  it('fails with usage (exit 2) on bad arguments and with 1 on an unreadable file', () => {
    assert.equal(cli([seed]).code, 2);
    assert.equal(cli(['--dst', '10.0.0.1:80']).code, 2);
    assert.equal(cli([seed, '--dst', 'not-an-ip:80']).code, 2);
    assert.equal(cli([seed, '--dst', '10.0.0.1:80', '--from', 'moon']).code, 2);
    assert.equal(cli([seed, '--dst', '10.0.0.1:80', '--bogus']).code, 2);
    const missing = cli(['/nonexistent/dump.txt', '--dst', '10.0.0.1:80']);
    assert.equal(missing.code, 1);
    assert.match(missing.out, /cannot read \/nonexistent\/dump\.txt/);
    assert.match(cli(['--help']).out, /Usage: trace DUMP --dst/);
  });
});

describe('packet spec', () => {
  it('reads IP:PORT/PROTO from SRC and an origin', () => {
    assert.deepEqual(parsePacketSpec('10.100.200.79:80/tcp from 10.200.1.5'), {
      dst: '10.100.200.79',
      dstPort: 80,
      protocol: 'tcp',
      src: '10.200.1.5',
      srcPort: undefined,
    });
    assert.deepEqual(parsePacketSpec('[fd00::10]:53/udp from node'), { dst: 'fd00::10', dstPort: 53, protocol: 'udp', from: 'node' });
    const external = parsePacketSpec('10.96.0.1:443 from 203.0.113.7:40000 external out eth0');
    assert.ok(typeof external !== 'string');
    assert.equal(external.from, 'external');
    assert.equal(external.srcPort, 40000);
    assert.equal(external.outInterface, 'eth0');
  });

  it('explains what it cannot read', () => {
    assert.match(String(parsePacketSpec('')), /destination/);
    assert.match(String(parsePacketSpec('nginx:80')), /not an address/);
    assert.match(String(parsePacketSpec('10.0.0.1:99999')), /not a port/);
    assert.match(String(parsePacketSpec('10.0.0.1:80 to 10.0.0.2')), /Did not understand "to"/);
  });
});
