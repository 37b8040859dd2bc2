import { strict as assert } from 'node:assert';
import { parseDump } from '../../../server/src/parse/index';
import { analyzeKube } from '../../../server/src/kube/analysis';
import { endpointChainName, serviceChainName } from '../../../server/src/kube/chainNames';
import { readCorpus } from '../../support/corpus';

// Small hand-written rulesets for the broken splits kube-proxy itself never writes; chain names are real
// kube-proxy hashes so that only the fault under test is reported.
const PORT = 'default/web:http';
const SVC = serviceChainName(PORT, 'tcp');
const sep = (ip: string): string => endpointChainName(PORT, 'tcp', `${ip}:8080`);

function saveDump(serviceRules: string[], endpoints: string[], extra: string[] = []): string {
  return [
    '*nat',
    ':KUBE-SERVICES - [0:0]',
    ':KUBE-MARK-MASQ - [0:0]',
    `:${SVC} - [0:0]`,
    ...endpoints.map((ip) => `:${sep(ip)} - [0:0]`),
    `-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment "${PORT} cluster IP" -m tcp --dport 80 -j ${SVC}`,
    ...serviceRules,
    ...endpoints.map((ip) => `-A ${sep(ip)} -p tcp -m comment --comment "${PORT}" -m tcp -j DNAT --to-destination ${ip}:8080`),
    ...extra,
    'COMMIT',
    '',
  ].join('\n');
}

describe('kube diagnostics', () => {
  it('warns when the last endpoint rule keeps a statistic match, leaving traffic unassigned', () => {
    const text = saveDump(
      [
        `-A ${SVC} -m statistic --mode random --probability 0.50000000000 -j ${sep('10.1.0.1')}`,
        `-A ${SVC} -m statistic --mode random --probability 0.50000000000 -j ${sep('10.1.0.2')}`,
      ],
      ['10.1.0.1', '10.1.0.2'],
    );
    const analysis = analyzeKube(parseDump(text));
    const [service] = analysis.services;
    assert.deepEqual(
      service.endpoints.map((e) => e.share),
      [0.5, 0.25],
    );
    assert.equal(service.unassignedShare, 0.25);
    const warning = analysis.diagnostics.find((d) => d.code === 'kube-unassigned-traffic');
    assert.ok(warning);
    assert.equal(warning.severity, 'warning');
    assert.match(warning.message, /25%/);
    const line = text.split('\n')[warning.span.line];
    assert.equal(line.slice(warning.span.start, warning.span.end), '-m statistic --mode random --probability 0.50000000000');
  });

  it('warns about an endpoint that can never be chosen', () => {
    const analysis = analyzeKube(
      parseDump(saveDump([`-A ${SVC} -j ${sep('10.1.0.1')}`, `-A ${SVC} -j ${sep('10.1.0.2')}`], ['10.1.0.1', '10.1.0.2'])),
    );
    const never = analysis.diagnostics.filter((d) => d.code === 'kube-endpoint-never-chosen');
    assert.equal(never.length, 1);
    assert.match(never[0].message, /10\.1\.0\.2:8080/);
    assert.deepEqual(
      analysis.services[0].endpoints.map((e) => e.share),
      [1, 0],
    );
  });

  it('warns about an endpoint chain without DNAT, and a chain name that is not the hash', () => {
    const bogus = 'KUBE-SEP-AAAAAAAAAAAAAAAA';
    const text = saveDump(
      [`-A ${SVC} -m statistic --mode random --probability 0.50000000000 -j ${sep('10.1.0.1')}`, `-A ${SVC} -j ${bogus}`],
      ['10.1.0.1'],
      [`-A ${bogus} -s 10.1.0.9/32 -j KUBE-MARK-MASQ`].concat([]),
    ).replace(':KUBE-MARK-MASQ - [0:0]', `:KUBE-MARK-MASQ - [0:0]\n:${bogus} - [0:0]`);
    const analysis = analyzeKube(parseDump(text));
    const codes = analysis.diagnostics.map((d) => d.code).sort();
    assert.deepEqual(codes, ['kube-endpoint-without-dnat']);
    const renamed = saveDump(
      [`-A ${SVC} -j KUBE-SEP-BBBBBBBBBBBBBBBB`],
      [],
      ['-A KUBE-SEP-BBBBBBBBBBBBBBBB -p tcp -m tcp -j DNAT --to-destination 10.1.0.3:8080'],
    ).replace(':KUBE-MARK-MASQ - [0:0]', ':KUBE-MARK-MASQ - [0:0]\n:KUBE-SEP-BBBBBBBBBBBBBBBB - [0:0]');
    const mismatch = analyzeKube(parseDump(renamed)).diagnostics;
    assert.deepEqual(
      mismatch.map((d) => [d.code, d.severity]),
      [['kube-hash-mismatch', 'warning']],
    );
    assert.match(mismatch[0].message, /KUBE-SEP-BBBBBBBBBBBBBBBB/);
  });

  it('notes an endpoint that got no packets while the others got many (observed skew)', () => {
    const a = endpointChainName(PORT, 'tcp', '10.1.0.1:8080');
    const b = endpointChainName(PORT, 'tcp', '10.1.0.2:8080');
    const text = [
      `Chain KUBE-SERVICES (2 references)`,
      ` pkts bytes target     prot opt in     out     source               destination`,
      `  200 12000 ${SVC}  tcp  --  *      *       0.0.0.0/0            10.96.0.20           /* ${PORT} cluster IP */ tcp dpt:80`,
      ``,
      `Chain ${SVC} (1 references)`,
      ` pkts bytes target     prot opt in     out     source               destination`,
      `  200 12000 ${a}  all  --  *      *       0.0.0.0/0            0.0.0.0/0            /* ${PORT} -> 10.1.0.1:8080 */ statistic mode random probability 0.50000000000`,
      `    0     0 ${b}  all  --  *      *       0.0.0.0/0            0.0.0.0/0            /* ${PORT} -> 10.1.0.2:8080 */`,
      ``,
      `Chain ${a} (1 references)`,
      ` pkts bytes target     prot opt in     out     source               destination`,
      `  200 12000 DNAT       tcp  --  *      *       0.0.0.0/0            0.0.0.0/0            /* ${PORT} */ tcp to:10.1.0.1:8080`,
      ``,
      `Chain ${b} (1 references)`,
      ` pkts bytes target     prot opt in     out     source               destination`,
      `    0     0 DNAT       tcp  --  *      *       0.0.0.0/0            0.0.0.0/0            /* ${PORT} */ tcp to:10.1.0.2:8080`,
      ``,
    ].join('\n');
    const analysis = analyzeKube(parseDump(text));
    const [service] = analysis.services;
    assert.equal(service.label, 'default/web:http (80/tcp)');
    assert.deepEqual(
      service.endpoints.map((e) => [e.observedPackets, e.observedShare]),
      [
        [200, 1],
        [0, 0],
      ],
    );
    const skew = analysis.diagnostics.filter((d) => d.code === 'kube-traffic-skew');
    assert.equal(skew.length, 1);
    assert.equal(skew[0].severity, 'information');
    assert.equal(skew[0].span.line, 7);
    assert.match(skew[0].message, /no packets of the 200/);
    assert.equal(service.observedApproximate, undefined);

    // The same split with counters printed as `1K` (iptables -L -v without -x): shares are said to be approximate.
    const rounded = analyzeKube(
      parseDump(
        text
          .split('\n')
          .map((l) => l.replace(/^ {2}200 12000 /, '   1K   60K '))
          .join('\n'),
      ),
    );
    assert.equal(rounded.services[0].observedApproximate, true);
    assert.deepEqual(
      rounded.services[0].endpoints.map((e) => e.observedPackets),
      [1000, 0],
    );
    const approximate = rounded.diagnostics.find((d) => d.code === 'kube-traffic-skew');
    assert.match(approximate?.message ?? '', /no packets of the 1000 .*counters are approximate/);
  });

  it('reads the structure when comments are missing (kube-proxy drops them above 1,000 endpoints)', () => {
    const text = saveDump(
      [`-A ${SVC} -m statistic --mode random --probability 0.50000000000 -j ${sep('10.1.0.1')}`, `-A ${SVC} -j ${sep('10.1.0.2')}`],
      ['10.1.0.1', '10.1.0.2'],
    ).replace(/ -m comment --comment "[^"]*"/g, '');
    const analysis = analyzeKube(parseDump(text));
    const [service] = analysis.services;
    assert.equal(service.portName, undefined);
    assert.equal(service.label, `${SVC} (10.96.0.20:80/tcp)`);
    assert.deepEqual(service.clusterIPs, ['10.96.0.20']);
    assert.deepEqual(
      service.endpoints.map((e) => [e.address, e.share]),
      [
        ['10.1.0.1:8080', 0.5],
        ['10.1.0.2:8080', 0.5],
      ],
    );
    assert.equal(service.hashMatches, null);
    assert.deepEqual(analysis.diagnostics, []);
  });
});

describe('kube analysis of a single listed chain', () => {
  it('knows the cluster IP and endpoints of `iptables -t nat -L KUBE-SVC-… -n` from that chain alone', () => {
    const text = readCorpus('kube-proxy-TestOverallIPTablesRules.real-L-n-v.txt');
    const lines = text.split('\n');
    const start = lines.findIndex((l) => l.startsWith('Chain KUBE-SVC-4SW47YFZTEDKD3PK '));
    const end = lines.findIndex((l, i) => i > start && l.trim() === '');
    const analysis = analyzeKube(parseDump(lines.slice(start, end).join('\n')));
    const [service] = analysis.services;
    assert.equal(service.label, 'ns4/svc4:p80 (80/tcp)');
    assert.deepEqual(service.clusterIPs, ['172.30.0.44'], "from the chain's own masquerade rule");
    assert.deepEqual(
      service.endpoints.map((e) => [e.chain.name, e.address, e.share, e.hashMatches, e.dnatRule]),
      [
        ['KUBE-SEP-UKSFD7AGPMPPLUHC', '10.180.0.4:80', 0.5, true, undefined],
        ['KUBE-SEP-C6EBXVWJJZMIWKLZ', '10.180.0.5:80', 0.5, true, undefined],
      ],
    );
  });
});
