import { strict as assert } from 'node:assert';
import { parseDump } from '../../../server/src/parse/index';
import { analyzeKube, endpointOfChain, serviceOfChain } from '../../../server/src/kube/analysis';
import { endpointChainName, serviceChainName } from '../../../server/src/kube/chainNames';
import { endpointAddress } from '../../../server/src/kube/values';

// Endpoints as the analysis merges and checks them: repeated jumps to one endpoint chain (found in the endpoint
// list, or in an index past 16 endpoints), and the hash check of an endpoint chain several service ports reach.

/** The two rules of a kube-proxy endpoint chain. */
function endpointChainRules(chain: string, portName: string, address: string): string[] {
  const ip = address.slice(0, address.lastIndexOf(':'));
  return [
    `-A ${chain} -s ${ip}/32 -m comment --comment "${portName}" -j KUBE-MARK-MASQ`,
    `-A ${chain} -p tcp -m comment --comment "${portName}" -m tcp -j DNAT --to-destination ${address}`,
  ];
}

/** A service chain's jump rules to `targets` in order: a random split with a share of 1/n for each rule. */
function splitRules(chain: string, portName: string, targets: string[]): string[] {
  return targets.map((target, i) => {
    const left = targets.length - i;
    const statistic = left > 1 ? `-m statistic --mode random --probability ${(1 / left).toFixed(11)} ` : '';
    return `-A ${chain} -m comment --comment "${portName}" ${statistic}-j ${target}`;
  });
}

describe('kube endpoints', () => {
  it('merges repeated jumps to one endpoint chain, before and after the service port has 16 endpoints', () => {
    const portName = 'default/big';
    const svc = serviceChainName(portName, 'tcp');
    const addresses = Array.from({ length: 20 }, (_, i) => `10.0.0.${i + 1}:8080`);
    const seps = addresses.map((address) => endpointChainName(portName, 'tcp', address));
    // e1 again after five endpoints (searched in the list), e2 again after eighteen (searched in the index).
    const targets = [...seps.slice(0, 5), seps[1], ...seps.slice(5, 18), seps[2], ...seps.slice(18)];
    const text = [
      '*nat',
      ':KUBE-SERVICES - [0:0]',
      `:${svc} - [0:0]`,
      ...seps.map((sep) => `:${sep} - [0:0]`),
      `-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "${portName} cluster IP" -m tcp --dport 80 -j ${svc}`,
      ...splitRules(svc, portName, targets),
      ...seps.flatMap((sep, i) => endpointChainRules(sep, portName, addresses[i])),
      'COMMIT',
      '',
    ].join('\n');
    const analysis = analyzeKube(parseDump(text));
    const service = serviceOfChain(analysis, svc);
    assert.ok(service);
    assert.equal(service.label, 'default/big:80/tcp');
    assert.deepEqual(
      service.endpoints.map((e) => e.chain.name),
      seps,
    );
    const shares = service.endpoints.map((e) => Math.round(e.share * targets.length * 1e6) / 1e6);
    assert.deepEqual(
      shares,
      seps.map((_, i) => (i === 1 || i === 2 ? 2 : 1)),
    );
    // Each rule line of a repeated endpoint leads to that one endpoint.
    const lines = text.split('\n');
    for (const repeated of [1, 2]) {
      const jumps = lines.flatMap((line, at) => (line.startsWith(`-A ${svc} `) && line.endsWith(` -j ${seps[repeated]}`) ? [at] : []));
      assert.equal(jumps.length, 2);
      for (const line of jumps) {
        assert.equal(analysis.endpointRuleByLine.get(line)?.endpoint, service.endpoints[repeated]);
      }
      assert.equal(endpointOfChain(analysis, seps[repeated])?.reachedBy.length, 1);
    }
    assert.ok(service.endpoints.every((e) => e.hashMatches === true));
    assert.deepEqual(analysis.diagnostics, []);
  });

  it('checks an endpoint chain against every service port that reaches it', () => {
    const [a, b] = ['default/a', 'default/b'];
    const [svcA, svcB] = [serviceChainName(a, 'tcp'), serviceChainName(b, 'tcp')];
    // Named after a: b reaches it too (a hand-made dump), and b comes first in the dump.
    const shared = endpointChainName(a, 'tcp', '10.0.0.9:80');
    // Reached by b alone, named after another port.
    const stray = endpointChainName('default/zzz', 'tcp', '10.0.0.7:80');
    const own = endpointChainName(a, 'tcp', '10.0.0.8:80');
    const text = [
      '*nat',
      ':KUBE-SERVICES - [0:0]',
      `:${svcB} - [0:0]`,
      `:${svcA} - [0:0]`,
      `:${shared} - [0:0]`,
      `:${stray} - [0:0]`,
      `:${own} - [0:0]`,
      `-A KUBE-SERVICES -d 10.96.0.2/32 -p tcp -m comment --comment "${b} cluster IP" -m tcp --dport 80 -j ${svcB}`,
      `-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "${a} cluster IP" -m tcp --dport 80 -j ${svcA}`,
      ...splitRules(svcB, b, [shared, stray]),
      ...splitRules(svcA, a, [own, shared]),
      ...endpointChainRules(shared, a, '10.0.0.9:80'),
      ...endpointChainRules(stray, b, '10.0.0.7:80'),
      ...endpointChainRules(own, a, '10.0.0.8:80'),
      'COMMIT',
      '',
    ].join('\n');
    const analysis = analyzeKube(parseDump(text));
    const sharedFacts = endpointOfChain(analysis, shared);
    assert.ok(sharedFacts);
    assert.deepEqual(
      sharedFacts.reachedBy.map((reach) => reach.service.portName),
      [b, a],
    );
    assert.equal(sharedFacts.hashMatches, true);
    assert.deepEqual(
      sharedFacts.reachedBy.map((reach) => reach.endpoint.hashMatches),
      [true, true],
    );
    assert.equal(endpointOfChain(analysis, stray)?.hashMatches, false);
    assert.equal(endpointOfChain(analysis, own)?.hashMatches, true);
    assert.deepEqual(
      serviceOfChain(analysis, svcB)?.endpoints.map((e) => [e.chain.name, e.hashMatches]),
      [
        [shared, true],
        [stray, false],
      ],
    );
    const mismatches = analysis.diagnostics.filter((d) => d.code === 'kube-hash-mismatch');
    assert.deepEqual(
      mismatches.map((d) => d.span.line),
      [text.split('\n').indexOf(`:${stray} - [0:0]`)],
    );
    assert.match(mismatches[0].message, /10\.0\.0\.7:80 of default\/b:80\/tcp/);
  });

  it('reads endpoint addresses as kube-proxy writes them', () => {
    assert.deepEqual(endpointAddress('10.244.1.5:8080'), { ip: '10.244.1.5', port: 8080, address: '10.244.1.5:8080' });
    assert.deepEqual(endpointAddress('10.0.0.1:0'), { ip: '10.0.0.1', port: 0, address: '10.0.0.1:0' });
    // A leading zero is not how kube-proxy would write the port: the address is written again.
    assert.deepEqual(endpointAddress('10.0.0.1:080'), { ip: '10.0.0.1', port: 80, address: '10.0.0.1:80' });
    assert.deepEqual(endpointAddress('[fd00::1]:53'), { ip: 'fd00::1', port: 53, address: '[fd00::1]:53' });
    assert.deepEqual(endpointAddress('10.0.0.1'), { ip: '10.0.0.1', port: undefined, address: '10.0.0.1' });
    assert.deepEqual(endpointAddress('10.0.0.1:http'), { ip: '10.0.0.1', port: undefined, address: '10.0.0.1' });
    assert.deepEqual(endpointAddress('10.0.0.1:'), { ip: '10.0.0.1', port: undefined, address: '10.0.0.1' });
    const long = '1'.repeat(20);
    assert.deepEqual(endpointAddress(`10.0.0.1:${long}`), { ip: '10.0.0.1', port: Number(long), address: `10.0.0.1:${Number(long)}` });
  });
});
