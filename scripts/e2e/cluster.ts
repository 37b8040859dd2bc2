// A real Kubernetes API server (test/support/apiserver.ts: etcd + kube-apiserver) for the e2e `dev` pass,
// holding the seed dump's default/my-nginx with its two endpoints, and one service that only the cluster
// has. Prints one JSON line ({ kubeconfigPath, context }) when ready; stops everything on SIGTERM or
// when its standard input closes. Run by scripts/e2e/run.mjs through tsx.
import { startApiServer } from '../../test/support/apiserver';

async function main(): Promise<void> {
  const server = await startApiServer();
  let stopping = false;
  const stop = (): void => {
    if (stopping) {
      return;
    }
    stopping = true;
    void server.stop().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();

  const { api } = server;
  await api.createService('default', 'my-nginx', { selector: { app: 'my-nginx' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] });
  const endpoints = [
    { ip: '10.200.165.70', ready: true, nodeName: 'node-a', pod: 'my-nginx-a' },
    { ip: '10.200.165.71', ready: true, nodeName: 'node-b', pod: 'my-nginx-b' },
  ];
  for (const endpoint of endpoints) {
    await api.createRunningPod('default', endpoint.pod, { nodeName: endpoint.nodeName, podIP: endpoint.ip, labels: { app: 'my-nginx' } });
  }
  await api.createEndpointSliceV1beta1('default', 'my-nginx', [{ port: 80 }], endpoints);
  await api.createEndpoints('default', 'my-nginx', [{ port: 80 }], endpoints);
  await api.createNamespace('e2e-cluster-only');
  await api.createService('e2e-cluster-only', 'only-in-cluster', { ports: [{ port: 8080, protocol: 'TCP' }] });

  process.stdout.write(
    `${JSON.stringify({ kubeconfigPath: server.kubeconfigPath, context: 'admin', readyAfterMs: server.readyAfterMs })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
