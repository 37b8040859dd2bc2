import { strict as assert } from 'node:assert';
import { parseDump } from '../../../server/src/parse/index';
import { chainKind, chainKindLabel } from '../../../server/src/kube/chainKinds';
import type { ChainKind } from '../../../server/src/kube/types';
import { readCorpus } from '../../support/corpus';

describe('chain kinds', () => {
  it('names every chain of the seed, kube-proxy and Calico alike', () => {
    const dump = parseDump(readCorpus('seed-calico-nat-L-n-v.txt'));
    const kinds = new Map<string, ChainKind>();
    for (const table of dump.tables) {
      for (const name of table.chains.keys()) {
        kinds.set(name, chainKind(name));
      }
    }
    assert.equal(kinds.get('KUBE-SERVICES'), 'services');
    assert.equal(kinds.get('KUBE-SVC-BEPXDJBUHFCSYIC3'), 'service');
    assert.equal(kinds.get('KUBE-SEP-AOFVCMQOP4BSPNKH'), 'endpoint');
    assert.equal(kinds.get('KUBE-NODEPORTS'), 'nodeports');
    assert.equal(kinds.get('KUBE-MARK-MASQ'), 'mark-masq');
    assert.equal(kinds.get('KUBE-MARK-DROP'), 'mark-drop');
    assert.equal(kinds.get('KUBE-POSTROUTING'), 'postrouting');
    assert.equal(kinds.get('PREROUTING'), 'builtin');
    assert.equal(kinds.get('cali-PREROUTING'), 'cni');
    assert.equal(chainKindLabel('cni', 'cali-PREROUTING'), 'Calico (CNI) chain');
    assert.equal(chainKindLabel(kinds.get('KUBE-SVC-BEPXDJBUHFCSYIC3')!), 'kube-proxy service chain (cluster traffic policy)');
    assert.ok(
      [...kinds.values()].every((kind) => kind !== 'user'),
      'every chain of this node is known',
    );
  });

  it('knows the per-service-port chains of every kube-proxy era, and the userspace proxy', () => {
    const expected: [string, ChainKind][] = [
      ['KUBE-SVL-GNZBNJ2PO5MGZ6GT', 'service-local'],
      ['KUBE-EXT-GNZBNJ2PO5MGZ6GT', 'external'],
      ['KUBE-FW-NUKIZ6OKUXPJNT4C', 'firewall'],
      ['KUBE-XLB-D7TXZ2ONB4DT7BQA', 'external-local'],
      ['KUBE-EXTERNAL-SERVICES', 'external-services'],
      ['KUBE-PROXY-FIREWALL', 'proxy-firewall'],
      ['KUBE-FORWARD', 'forward'],
      ['KUBE-FIREWALL', 'kube-firewall'],
      ['KUBE-PROXY-CANARY', 'canary'],
      ['KUBE-KUBELET-CANARY', 'canary'],
      ['KUBE-PORTALS-CONTAINER', 'userspace'],
      ['KUBE-NODEPORT-HOST', 'userspace'],
      ['KUBE-IPVS-FILTER', 'kube-other'],
      ['KUBE-ROUTER-INPUT', 'cni'],
      ['CNI-0d314787d804206fd0db3f98', 'cni'],
      ['CNI-HOSTPORT-DNAT', 'cni'],
      ['FLANNEL-FWD', 'cni'],
      ['CILIUM_POST_nat', 'cni'],
      ['WEAVE-NPC', 'cni'],
      ['DOCKER', 'runtime'],
      ['DOCKER-ISOLATION-STAGE-1', 'runtime'],
      ['my-chain', 'user'],
    ];
    assert.deepEqual(
      expected.map(([name]) => [name, chainKind(name)]),
      expected,
    );
    assert.equal(chainKindLabel('runtime', 'DOCKER-USER'), 'Docker (container runtime) chain');
    assert.equal(chainKindLabel('cni', 'FLANNEL-POSTRTG'), 'Flannel (CNI) chain');
    assert.equal(chainKindLabel('external-local'), 'kube-proxy external-local chain (externalTrafficPolicy: Local, before 1.25)');
  });
});
