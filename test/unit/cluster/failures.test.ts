// How the cluster layer fails and recovers against the real kube-apiserver, for what liveCluster.test.ts does
// not already cover (a 403 on list and on watch, a wrong or expired token, a port nobody listens on):
//   - the connection to the API server dropped in the middle of a watch, then back (a TCP relay on loopback
//     in front of the real apiserver is stopped, its open connections cut, then started on the same port);
//   - a token that worked and stops working (a bound service-account token whose account is deleted: 401);
//   - a namespace deleted while it is being watched.
// Each failure must come back as a ClusterError value with a message in words (no stack trace, no token), and
// the same client must recover without being made anew.
import { strict as assert } from 'node:assert';

import * as net from 'node:net';
import * as path from 'node:path';
import { ClusterClient } from '../../../client/src/cluster/clusterClient';
import type { ClusterError } from '../../../client/src/cluster/result';
import { pollUntil, sharedApiServer, writeKubeconfig } from '../../support/apiserver';
import type { RunningApiServer } from '../../support/apiserver';

/** A TCP relay on 127.0.0.1 to the apiserver that can be taken down (every connection cut) and brought back. */
class Relay {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async up(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and resets every open connection, as a dying server's host would. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) {
      socket.resetAndDestroy();
    }
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

function assertPlainMessage(error: ClusterError, secret: string): void {
  const text = `${error.message} ${error.hint ?? ''}`;
  assert.ok(!/\n\s+at /.test(text), `no stack trace in: ${text}`);
  assert.ok(!text.includes(secret), 'the token is not in the message');
  assert.ok(error.message.length > 10);
}

describe('cluster failures against a real kube-apiserver', function () {
  this.timeout(120_000);
  let server: RunningApiServer;

  before(async () => {
    server = await sharedApiServer();
  });

  it('a connection dropped mid-watch is reported as unreachable, and the same watch recovers when it is back', async () => {
    const url = new URL(server.url);
    const relay = new Relay({ host: url.hostname, port: Number(url.port) });
    await relay.up();
    const file = path.join(server.dir, 'kubeconfig-relay');
    writeKubeconfig(file, `https://127.0.0.1:${relay.port}`, server.caPem, [{ name: 'admin', token: server.adminToken, groups: [] }]);
    const created = ClusterClient.create({ kubeconfigPath: file });
    assert.ok(created.ok);
    const client = created.value;
    await server.api.createNamespace('fail-relay');
    const errors: ClusterError[] = [];
    let changes = 0;
    const watch = client.watch('discovery.k8s.io/v1beta1', () => changes++, {
      namespace: 'fail-relay',
      restartMs: 200,
      debounceMs: 50,
      onError: (e) => errors.push(e),
    });
    try {
      await pollUntil('the watch to list', 30_000, () => changes > 0);
      await relay.down();
      await pollUntil('an error from the dropped watch', 30_000, () => errors.length > 0);
      for (const error of errors) {
        assertPlainMessage(error, server.adminToken);
      }
      assert.ok(
        errors.some((e) => e.kind === 'unreachable'),
        JSON.stringify(errors.map((e) => `${e.kind}: ${e.message}`)),
      );
      assert.match(
        errors.find((e) => e.kind === 'unreachable')!.message,
        new RegExp(`Cannot reach the cluster at https://127\\.0\\.0\\.1:${relay.port}`),
      );
      const whileDown = await client.listServices('fail-relay');
      assert.ok(!whileDown.ok && whileDown.error.kind === 'unreachable');

      // Made while the client could not see it: the recovered watch must report it.
      await server.api.createService('fail-relay', 'made-during-outage', { ports: [{ name: 'p80', port: 80, protocol: 'TCP' }] });
      const changesBefore = changes;
      await relay.up();
      await pollUntil('a change after the connection is back', 60_000, () => changes > changesBefore);
      const after = await client.listServices('fail-relay');
      assert.ok(after.ok, after.ok ? '' : after.error.message);
      assert.deepEqual(
        after.value.map((s) => s.metadata?.name),
        ['made-during-outage'],
      );
    } finally {
      watch.dispose();
      await relay.down();
    }
  });

  it('a token that stops working (its service account deleted) gives 401 in words, and a new token works', async () => {
    const api = server.api;
    await api.createNamespace('fail-token');
    const account = (name: string) =>
      api.must('POST', '/api/v1/namespaces/fail-token/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } });
    const tokenOf = async (name: string): Promise<string> => {
      const answer = await api.must('POST', `/api/v1/namespaces/fail-token/serviceaccounts/${name}/token`, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { audiences: ['https://kubernetes.default.svc'], expirationSeconds: 3600 },
      });
      return answer.status.token as string;
    };
    await account('viewer');
    await api.grantClusterRole('system:serviceaccount:fail-token:viewer', 'fail-token-viewer', [
      { apiGroups: [''], resources: ['services'], verbs: ['list', 'watch'] },
    ]);
    const token = await tokenOf('viewer');
    const file = path.join(server.dir, 'kubeconfig-sa');
    writeKubeconfig(file, server.url, server.caPem, [{ name: 'viewer', token, groups: [] }]);
    const created = ClusterClient.create({ kubeconfigPath: file });
    assert.ok(created.ok);
    await pollUntil('the service account to list services', 20_000, async () => (await created.value.listServices('fail-token')).ok);

    await api.must('DELETE', '/api/v1/namespaces/fail-token/serviceaccounts/viewer');
    let failure: ClusterError | undefined;
    await pollUntil('a 401 once the account is gone', 60_000, async () => {
      const r = await created.value.listServices('fail-token');
      failure = r.ok ? undefined : r.error;
      return failure !== undefined;
    });
    assert.equal(failure!.kind, 'unauthorized');
    assert.equal(failure!.status, 401);
    assert.match(failure!.message, /did not accept your credentials \(401\)/);
    assert.match(failure!.hint ?? '', /log in again/);
    assertPlainMessage(failure!, token);

    // Logging in again: a new account and token in the kubeconfig; a new read works.
    await account('viewer');
    const fresh = await tokenOf('viewer');
    writeKubeconfig(file, server.url, server.caPem, [{ name: 'viewer', token: fresh, groups: [] }]);
    const again = ClusterClient.create({ kubeconfigPath: file });
    assert.ok(again.ok);
    await pollUntil('the new token to list services', 20_000, async () => (await again.value.listServices('fail-token')).ok);
  });

  it('a namespace deleted while watched: the watch reports the change, and its services are gone without an error', async () => {
    const api = server.api;
    await api.createNamespace('fail-gone');
    await api.createService('fail-gone', 'web', { ports: [{ name: 'p80', port: 80, protocol: 'TCP' }] });
    const created = ClusterClient.create({ kubeconfigPath: server.kubeconfigPath });
    assert.ok(created.ok);
    const client = created.value;
    const errors: ClusterError[] = [];
    let changes = 0;
    const watch = client.watch('discovery.k8s.io/v1beta1', () => changes++, {
      namespace: 'fail-gone',
      restartMs: 200,
      debounceMs: 50,
      onError: (e) => errors.push(e),
    });
    try {
      await pollUntil('the watch to list', 30_000, () => changes > 0);
      const listed = await client.listServices('fail-gone');
      assert.ok(listed.ok && listed.value.length === 1);
      const changesBefore = changes;
      // What `kubectl delete namespace` sets off: the namespace is marked for deletion, then the namespace
      // controller (kube-controller-manager, which this test cluster does not run) deletes its objects and
      // clears the finalizer. The test does the controller's two steps through the same API.
      await api.must('DELETE', '/api/v1/namespaces/fail-gone');
      await api.must('DELETE', '/api/v1/namespaces/fail-gone/services/web');
      await pollUntil('the deletion reported', 60_000, () => changes > changesBefore);
      const terminating = await api.must('GET', '/api/v1/namespaces/fail-gone');
      await api.must('PUT', '/api/v1/namespaces/fail-gone/finalize', { ...terminating, spec: { finalizers: [] } });
      await pollUntil('the namespace gone', 30_000, async () => (await api.request('GET', '/api/v1/namespaces/fail-gone')).status === 404);
      const after = await client.listServices('fail-gone');
      assert.ok(after.ok, after.ok ? '' : after.error.message);
      assert.deepEqual(after.value, []);
      const snapshot = await client.snapshot();
      assert.ok(snapshot.ok, snapshot.ok ? '' : snapshot.error.message);
      assert.ok(!snapshot.value.namespaces.includes('fail-gone'));
      assert.deepEqual(
        errors.map((e) => e.message),
        [],
      );
    } finally {
      watch.dispose();
    }
  });
});
