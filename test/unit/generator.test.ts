// The kube-proxy ruleset generator: deterministic, kube-proxy's real chain names, probabilities whose shares add up to 1.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { generateKubeDump, kubeProxyProbability, renderRestore, renderSave, type GeneratedKubeDump } from '../support/generateKubeDump';

/** kube-proxy's name hash written out again here (RFC 4648 base32 of sha256), so the check does not reuse the code it checks. */
function kubeProxyHash(input: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = createHash('sha256').update(input).digest();
  let bits = '';
  for (const byte of bytes) {
    bits += byte.toString(2).padStart(8, '0');
  }
  let out = '';
  for (let i = 0; i + 5 <= bits.length && out.length < 16; i += 5) {
    out += alphabet[parseInt(bits.slice(i, i + 5), 2)];
  }
  return out;
}

/** The rules of one chain in the restore text, as the words after `-A CHAIN`. */
function chainRules(text: string, chain: string): string[] {
  const prefix = `-A ${chain} `;
  return text
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.slice(prefix.length));
}

/** The share of new connections each rule of a KUBE-SVC/SVL chain gets, from the probabilities as written. */
function effectiveShares(rules: string[]): number[] {
  let remaining = 1;
  return rules.map((rule) => {
    const match = /--probability (\S+)/.exec(rule);
    const p = match ? Number(match[1]) : 1;
    const share = remaining * p;
    remaining -= share;
    return share;
  });
}

const SMALL = { services: 40, maxEndpoints: 5, seed: 3, mix: { affinity: 0.3, loadBalancer: 0.3, externalIP: 0.2 } };

describe('generateKubeDump', () => {
  let dump: GeneratedKubeDump;
  let text: string;

  before(() => {
    dump = generateKubeDump(SMALL);
    text = renderRestore(dump);
  });

  it('gives the same ruleset and ground truth for the same options', () => {
    const again = generateKubeDump(SMALL);
    assert.equal(renderRestore(again), text);
    assert.deepEqual(again.servicePorts, dump.servicePorts);
    assert.equal(renderSave(again), renderSave(dump));
  });

  it('gives a different ruleset for another seed', () => {
    assert.notEqual(renderRestore(generateKubeDump({ ...SMALL, seed: 4 })), text);
  });

  it('names the well-known services as real clusters do', () => {
    const byName = new Map(dump.servicePorts.map((p) => [p.portName, p]));
    // Names as they appear in real dumps (corpus: k3s node, kube-proxy docs and test data).
    assert.equal(byName.get('default/kubernetes:https')?.chains.svc, 'KUBE-SVC-NPX46M4PTMTKRN6Y');
    assert.equal(byName.get('kube-system/kube-dns:dns')?.chains.svc, 'KUBE-SVC-TCOU7JCQXEZGVUNU');
    assert.equal(byName.get('kube-system/kube-dns:dns-tcp')?.chains.svc, 'KUBE-SVC-ERIFXISQEP7F7OF4');
  });

  it("names every chain with kube-proxy's hash of the port name, protocol and endpoint", () => {
    let checked = 0;
    for (const port of dump.servicePorts) {
      const hash = kubeProxyHash(port.portName + port.protocol);
      for (const [prefix, name] of [
        ['KUBE-SVC-', port.chains.svc],
        ['KUBE-SVL-', port.chains.svl],
        ['KUBE-EXT-', port.chains.ext],
        ['KUBE-FW-', port.chains.fw],
      ] as const) {
        if (name !== undefined) {
          assert.equal(name, prefix + hash, `${prefix} chain of ${port.portName}`);
          assert.ok(text.includes(`:${name} - [0:0]`), `${name} is declared`);
          checked++;
        }
      }
      for (const endpoint of port.endpoints) {
        assert.equal(endpoint.chain, 'KUBE-SEP-' + kubeProxyHash(port.portName + port.protocol + endpoint.address));
        assert.equal(chainRules(text, endpoint.chain).at(-1)?.endsWith(`-j DNAT --to-destination ${endpoint.address}`), true);
        checked++;
      }
    }
    assert.ok(checked > 100, `only ${checked} names checked`);
  });

  it('names unnamed ports `ns/name` (kube-proxy 1.19 and later)', () => {
    const unnamed = dump.servicePorts.filter((p) => p.port === '');
    assert.ok(unnamed.length > 0, 'the sample has an unnamed port');
    for (const port of unnamed) {
      assert.equal(port.portName, `${port.namespace}/${port.name}`);
    }
  });

  it('writes probabilities 1/(n-i) as %0.10f, and their shares add up to 1 with 1/n each', () => {
    assert.equal(kubeProxyProbability(3), '0.3333333333');
    assert.equal(kubeProxyProbability(7), '0.1428571429');
    let checked = 0;
    for (const port of dump.servicePorts) {
      for (const [chain, endpoints, local] of [
        [port.chains.svc, port.endpoints, false],
        [port.chains.svl, port.endpoints.filter((e) => e.local), true],
      ] as const) {
        if (chain === undefined) {
          continue;
        }
        const rules = chainRules(text, chain).filter((r) => !r.includes('--rcheck') && r.includes('-j KUBE-SEP-'));
        assert.equal(rules.length, endpoints.length, `${chain}: one load-balancing rule per endpoint`);
        const shares = effectiveShares(rules);
        const sum = shares.reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(sum - 1) < 1e-12, `${chain}: shares sum to ${sum}`);
        endpoints.forEach((endpoint, i) => {
          const expected = local ? endpoint.localShare : endpoint.share;
          assert.equal(expected, 1 / endpoints.length);
          assert.ok(Math.abs(shares[i] - (expected ?? NaN)) < 1e-9, `${chain} rule ${i + 1}: share ${shares[i]}`);
          assert.ok(rules[i].endsWith(`-j ${endpoint.chain}`), `${chain} rule ${i + 1} jumps to ${endpoint.chain}`);
          const written = local ? endpoint.localProbability : endpoint.probability;
          assert.equal(/--probability (\S+)/.exec(rules[i])?.[1], written);
        });
        checked++;
      }
    }
    assert.ok(checked > 20, `only ${checked} chains checked`);
  });

  it('writes REJECT rules, and no nat chains, for ports without endpoints', () => {
    const empty = dump.servicePorts.filter((p) => p.noEndpoints);
    assert.ok(empty.length > 0, 'the sample has a port without endpoints');
    for (const port of empty) {
      assert.deepEqual(port.chains, { svc: undefined, svl: undefined, ext: undefined, fw: undefined });
      const reject = chainRules(text, 'KUBE-SERVICES').filter((r) => r.includes(`"${port.portName} has no endpoints"`));
      assert.ok(reject.some((r) => r.includes(`-d ${port.clusterIP} --dport ${port.servicePort} -j REJECT`)));
    }
  });

  it('drops endpoint comments above 1,000 endpoints, as kube-proxy does, unless told otherwise', () => {
    const large = generateKubeDump({ services: 250, minEndpoints: 4, maxEndpoints: 6, seed: 5 });
    assert.ok(large.totalEndpoints > 1000);
    assert.equal(large.largeClusterMode, true);
    const largeText = renderRestore(large);
    const endpoint = large.servicePorts[5].endpoints[0];
    assert.deepEqual(chainRules(largeText, endpoint.chain)[0], `-s ${endpoint.ip} -j KUBE-MARK-MASQ`);
    // Cluster IP comments stay: kube-proxy drops only the per-endpoint ones.
    assert.ok(chainRules(largeText, 'KUBE-SERVICES').every((r) => r.startsWith('-m comment --comment ')));
    const commented = renderRestore(generateKubeDump({ services: 250, minEndpoints: 4, maxEndpoints: 6, seed: 5, comments: true }));
    assert.ok(chainRules(commented, endpoint.chain)[0].startsWith('-m comment --comment '));
  });

  it('writes IPv6 rulesets with bracketed endpoints and no localhost node ports, as kube-proxy does', () => {
    const v6 = generateKubeDump({ services: 10, maxEndpoints: 3, minEndpoints: 1, seed: 6, family: 6 });
    const v6Text = renderRestore(v6);
    const port = v6.servicePorts[2];
    assert.match(port.clusterIP, /^fd00:10:96::/);
    assert.match(port.endpoints[0].address, /^\[fd00:10:244::[0-9a-f:]+\]:\d+$/);
    assert.ok(v6Text.includes(`--to-destination ${port.endpoints[0].address}`));
    assert.ok(v6Text.includes('! -d ::1/128 -j KUBE-NODEPORTS'));
    assert.ok(!v6Text.includes('127.0.0.0/8'));
  });
});
