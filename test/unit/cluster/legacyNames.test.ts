import { strict as assert } from 'node:assert';
import { buildServicesModel, chainIndexFromDump } from '../../../client/src/cluster/servicesModel';
import { parseSnapshotText } from '../../../client/src/cluster/snapshot';
import { parseDump } from '../../../server/src/parse/index';
import { readCorpus } from '../../support/corpus';

// The seed walkthrough's cluster, as `kubectl get svc,endpointslices -o json` prints it: service my-nginx has
// one unnamed port, which kube-proxy before 1.19 hashed as `default/my-nginx:` (the seed's node did).
const SNAPSHOT = JSON.stringify({
  apiVersion: 'v1',
  kind: 'List',
  items: [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'my-nginx', namespace: 'default' },
      spec: { type: 'ClusterIP', clusterIP: '10.100.200.79', ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] },
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'my-nginx-x1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'my-nginx' } },
      addressType: 'IPv4',
      ports: [{ port: 80, protocol: 'TCP' }],
      endpoints: [
        { addresses: ['10.200.165.70'], conditions: { ready: true } },
        { addresses: ['10.200.165.71'], conditions: { ready: true } },
      ],
    },
  ],
});

describe('services model: chain names of kube-proxy before 1.19', () => {
  it('links an unnamed port to the pre-1.19 chains the seed dump has', () => {
    const snapshot = parseSnapshotText(SNAPSHOT, 'snapshot.json');
    assert.ok(snapshot.ok);
    const index = chainIndexFromDump('file:///seed.txt', parseDump(readCorpus('seed-calico-nat-L-n-v.txt')));
    const model = buildServicesModel(snapshot.value, { kind: 'snapshot', file: 'snapshot.json' }, index);
    const port = model.namespaces.find((n) => n.name === 'default')!.services.find((s) => s.name === 'my-nginx')!.ports[0];
    assert.equal(port.link.chain, 'KUBE-SVC-BEPXDJBUHFCSYIC3');
    assert.equal(port.link.state, 'in-dump');
    assert.deepEqual(
      port.endpoints.map((e) => [e.address, e.link.chain, e.link.state]),
      [
        ['10.200.165.70:80', 'KUBE-SEP-AOFVCMQOP4BSPNKH', 'in-dump'],
        ['10.200.165.71:80', 'KUBE-SEP-VAZHZYTNC3JEIHVH', 'in-dump'],
      ],
    );
  });

  it('keeps the current names when the dump has neither', () => {
    const snapshot = parseSnapshotText(SNAPSHOT, 'snapshot.json');
    assert.ok(snapshot.ok);
    const index = chainIndexFromDump('file:///other.txt', parseDump(readCorpus('kube-proxy-TestOverallIPTablesRules.real-iptables-save')));
    const model = buildServicesModel(snapshot.value, { kind: 'snapshot', file: 'snapshot.json' }, index);
    const port = model.namespaces[0].services[0].ports[0];
    assert.equal(port.portName, 'default/my-nginx');
    assert.equal(port.link.state, 'missing');
  });
});
