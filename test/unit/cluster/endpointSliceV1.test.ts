// The discovery.k8s.io/v1 EndpointSlice path, against a small recorded-response HTTP server.
//
// Why not the real apiserver here: the only apiserver this machine can run is v1.20.2, and
// discovery.k8s.io/v1 arrived in 1.21, so no real server here can answer it. Every other path (v1beta1
// slices, core Endpoints, RBAC, watch) is tested against the real one in liveCluster.test.ts. The
// responses below have the shape a current apiserver answers with (v1 slices carry `nodeName` and
// `conditions.serving/terminating` instead of v1beta1's `topology`), and the server speaks the watch
// protocol (chunked JSON lines, headers flushed before the first event) so the informer path is real too.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClusterClient } from '../../../client/src/cluster/clusterClient';
import { buildServicesModel } from '../../../client/src/cluster/servicesModel';
import { endpointChainName, serviceChainNames } from '../../../server/src/kube/chainNames';
import { makeCertificates, pollUntil, writeKubeconfig } from '../../support/apiserver';

const service = {
  metadata: { name: 'web', namespace: 'shop', resourceVersion: '501', uid: '6f1d3c52-3b7e-4c55-9a43-1f0e8f6f8a10' },
  spec: {
    type: 'ClusterIP',
    clusterIP: '10.96.12.7',
    clusterIPs: ['10.96.12.7'],
    ports: [
      { name: 'http', protocol: 'TCP', port: 80, targetPort: 'http' },
      { name: 'dns', protocol: 'UDP', port: 53, targetPort: 5353 },
    ],
    selector: { app: 'web' },
    internalTrafficPolicy: 'Cluster',
  },
};

function slice(resourceVersion: string, endpoints: object[]): object {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: 'web-7xk2p',
      namespace: 'shop',
      resourceVersion,
      labels: { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
    },
    addressType: 'IPv4',
    ports: [
      { name: 'http', protocol: 'TCP', port: 8080 },
      { name: 'dns', protocol: 'UDP', port: 5353 },
    ],
    endpoints,
  };
}

const readyEndpoint = {
  addresses: ['10.244.1.17'],
  conditions: { ready: true, serving: true, terminating: false },
  nodeName: 'worker-1',
  zone: 'zone-a',
  targetRef: { kind: 'Pod', namespace: 'shop', name: 'web-5d8f7-abcde', uid: 'a1' },
};
const terminatingEndpoint = {
  addresses: ['10.244.2.9'],
  conditions: { ready: false, serving: true, terminating: true },
  nodeName: 'worker-2',
  targetRef: { kind: 'Pod', namespace: 'shop', name: 'web-5d8f7-fghij', uid: 'a2' },
};

interface RecordedServer {
  url: string;
  requests: string[];
  /** Sends one watch event to every open watch of `resource` (a path suffix such as `endpointslices`). */
  push(resource: string, type: string, object: object): void;
  close(): Promise<void>;
}

async function startRecordedServer(certDir: string): Promise<RecordedServer> {
  const requests: string[] = [];
  const watchers: Array<{ resource: string; res: http.ServerResponse }> = [];
  const lists: Record<string, object> = {
    '/api/v1/namespaces': {
      kind: 'NamespaceList',
      apiVersion: 'v1',
      metadata: { resourceVersion: '600' },
      items: [{ metadata: { name: 'default' } }, { metadata: { name: 'shop' } }],
    },
    '/api/v1/services': { kind: 'ServiceList', apiVersion: 'v1', metadata: { resourceVersion: '600' }, items: [service] },
    '/api/v1/pods': { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '600' }, items: [] },
    '/apis/discovery.k8s.io/v1/endpointslices': {
      kind: 'EndpointSliceList',
      apiVersion: 'discovery.k8s.io/v1',
      metadata: { resourceVersion: '600' },
      items: [slice('590', [readyEndpoint, terminatingEndpoint])],
    },
  };
  // client-node 1.x refuses plain http unless TLS checks are off, so the recorded server speaks TLS like a real one.
  const tls = { key: fs.readFileSync(path.join(certDir, 'server.key')), cert: fs.readFileSync(path.join(certDir, 'server.crt')) };
  const server = https.createServer(tls, (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${req.method} ${url.pathname}${url.searchParams.get('watch') ? ' (watch)' : ''}`);
    const body = lists[url.pathname];
    if (!body) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message: 'the server could not find the requested resource',
          reason: 'NotFound',
          code: 404,
        }),
      );
      return;
    }
    if (url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      // An informer waits for the response headers before it counts as connected.
      res.flushHeaders();
      watchers.push({ resource: url.pathname.split('/').pop()!, res });
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    requests,
    push: (resource, type, object) => {
      for (const w of watchers.filter((x) => x.resource === resource)) {
        w.res.write(JSON.stringify({ type, object }) + '\n');
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        watchers.forEach((w) => w.res.end());
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('discovery.k8s.io/v1 EndpointSlices (recorded-response server)', () => {
  let recorded: RecordedServer;
  let client: ClusterClient;
  let dir: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lens-v1-'));
    await makeCertificates(dir);
    recorded = await startRecordedServer(dir);
    const kubeconfig = path.join(dir, 'config');
    writeKubeconfig(kubeconfig, recorded.url, fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8'), [
      { name: 'recorded', token: 'recorded-token', groups: [] },
    ]);
    const created = ClusterClient.create({ kubeconfigPath: kubeconfig });
    assert.ok(created.ok);
    client = created.value;
  });

  after(async () => {
    await recorded.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('prefers v1 slices: nodeName, terminating endpoints not ready, ports matched by name and protocol', async () => {
    const snapshot = await client.snapshot();
    assert.ok(snapshot.ok, JSON.stringify(!snapshot.ok && snapshot.error));
    assert.equal(snapshot.value.endpointSource, 'discovery.k8s.io/v1');
    assert.ok(!recorded.requests.some((r) => r.includes('v1beta1') || r.endsWith('/endpoints')), recorded.requests.join('\n'));

    const model = buildServicesModel(snapshot.value, { kind: 'cluster', context: client.context });
    const web = model.namespaces.find((n) => n.name === 'shop')!.services[0];
    assert.equal(web.clusterIP, '10.96.12.7');
    const [httpPort, dnsPort] = web.ports;
    assert.equal(httpPort.label, 'http 80/tcp → http');
    assert.equal(dnsPort.label, 'dns 53/udp → 5353');
    assert.equal(httpPort.serviceChain, serviceChainNames('shop', 'web', 'http', 'tcp').svc);
    assert.deepEqual(
      httpPort.endpoints.map((e) => [e.address, e.ready, e.node, e.pod, e.link.chain]),
      [
        ['10.244.1.17:8080', true, 'worker-1', 'web-5d8f7-abcde', endpointChainName('shop/web:http', 'tcp', '10.244.1.17:8080')],
        ['10.244.2.9:8080', false, 'worker-2', 'web-5d8f7-fghij', endpointChainName('shop/web:http', 'tcp', '10.244.2.9:8080')],
      ],
    );
    assert.deepEqual(
      dnsPort.endpoints.map((e) => e.address),
      ['10.244.1.17:5353', '10.244.2.9:5353'],
    );
    // The two ports of one endpoint hash to different chains.
    assert.notEqual(httpPort.endpoints[0].link.chain, dnsPort.endpoints[0].link.chain);
  });

  it('watches v1 slices and reports two quick changes once, after the debounce', async () => {
    let changes = 0;
    const watch = client.watch('discovery.k8s.io/v1', () => changes++, { debounceMs: 200 });
    try {
      await pollUntil('the three watches to connect', 10_000, () => recorded.requests.filter((r) => r.endsWith('(watch)')).length === 3);
      // Once up, the watch reports once, to cover what changed before its own listing.
      await pollUntil('the watch-is-up report', 10_000, () => changes === 1);
      const moved = { ...readyEndpoint, addresses: ['10.244.3.3'], nodeName: 'worker-3' };
      recorded.push('endpointslices', 'MODIFIED', slice('610', [moved]));
      recorded.push('endpointslices', 'MODIFIED', slice('611', [moved, terminatingEndpoint]));
      await pollUntil('the change callback', 10_000, () => changes > 1);
      assert.equal(changes, 2);
    } finally {
      watch.dispose();
    }
  });
});
