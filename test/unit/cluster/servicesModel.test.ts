// The services model over a whole generated cluster: every chain of the dump is linked to its port or endpoint,
// and each service's endpoints are found without searching every service's endpoints (once that made the model
// quadratic in the number of services: seconds of CPU for 20k services).
import { strict as assert } from 'node:assert';
import { buildServicesModel, chainIndexFromDump } from '../../../client/src/cluster/servicesModel';
import { parseSnapshotText } from '../../../client/src/cluster/snapshot';
import type { EndpointGroup } from '../../../client/src/cluster/snapshot';
import { parseDump } from '../../../server/src/parse/index';
import { generateKubeDump, renderSave } from '../../support/generateKubeDump';
import { kubectlSnapshot } from '../../support/kubectlSnapshot';

/** `items` behind a proxy that counts how many of its elements are read. */
function countingReads<T>(items: T[]): { items: T[]; reads: () => number } {
  let reads = 0;
  const proxy = new Proxy(items, {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) {
        reads++;
      }
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  return { items: proxy, reads: () => reads };
}

describe('services model of a generated cluster', () => {
  const generated = generateKubeDump({ services: 300, maxEndpoints: 4, seed: 7 });
  const index = chainIndexFromDump('file:///generated.txt', parseDump(renderSave(generated)));
  const parsed = parseSnapshotText(JSON.stringify(kubectlSnapshot(generated.servicePorts)), 'snapshot.json');

  it('links every port and endpoint to the chains kube-proxy wrote for them', () => {
    assert.ok(parsed.ok);
    const model = buildServicesModel(parsed.value, { kind: 'snapshot', file: 'snapshot.json' }, index);
    const ports = model.namespaces.flatMap((n) => n.services.flatMap((s) => s.ports));
    assert.equal(ports.length, generated.servicePorts.length);
    // The cluster has ports without endpoints and Local-policy ports (KUBE-SVL chains) among the rest.
    assert.ok(generated.servicePorts.some((p) => p.noEndpoints) && generated.servicePorts.some((p) => p.chains.svl));
    const truth = new Map(generated.servicePorts.map((p) => [`${p.portName}/${p.protocol}`, p]));
    for (const port of ports) {
      const expected = truth.get(`${port.portName}/${port.protocol}`);
      assert.ok(expected, port.portName);
      // kube-proxy writes no service chain for a port without endpoints (a REJECT rule instead).
      assert.equal(port.link.state, expected.noEndpoints ? 'missing' : 'in-dump', port.portName);
      if (!expected.noEndpoints) {
        assert.ok([expected.chains.svc, expected.chains.svl].includes(port.link.chain), port.portName);
      }
      assert.deepEqual(
        port.endpoints.map((e) => [e.address, e.link.chain, e.link.state]),
        expected.endpoints
          .map((e) => [e.address, e.chain, 'in-dump'])
          .sort((a, b) => a[0].localeCompare(b[0], undefined, { numeric: true })),
        port.portName,
      );
    }
  });

  it('reads each endpoint group a bounded number of times, not once per service', () => {
    assert.ok(parsed.ok);
    const groups: EndpointGroup[] = parsed.value.endpoints;
    assert.ok(parsed.value.services.length >= 300 && groups.length >= 300);
    const counted = countingReads(groups);
    buildServicesModel({ ...parsed.value, endpoints: counted.items }, { kind: 'snapshot', file: 'snapshot.json' }, index);
    // One pass over the groups; searching them per service read 300 × 300.
    assert.ok(counted.reads() <= 2 * groups.length, `${counted.reads()} reads of ${groups.length} endpoint groups`);
  });
});
