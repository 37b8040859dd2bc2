// The services model and tree against a real kube-apiserver (v1.20.2) and etcd started by the suite.
//
// The cluster is built to match kube-proxy's own TestOverallIPTablesRules (ns1/svc1, ns3/svc3, ns4/svc4,
// ns6/svc6, all port `p80`), whose nat table, printed by the real iptables-nft-save, is in the shared
// corpus. So "the chain is in the dump" is checked against chains kube-proxy itself named, not against
// names this project computed.
import * as assert from 'node:assert/strict';
import { createSign } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dumpYaml } from '@kubernetes/client-node';
import { ClusterClient } from '../../../client/src/cluster/clusterClient';
import { mergeKubeconfigFiles } from '../../../client/src/cluster/kubeconfig';
import { runServicesCommand } from '../../../client/src/cluster/servicesCommand';
import { buildServicesModel, chainIndexFromDump } from '../../../client/src/cluster/servicesModel';
import type { DumpChainIndex, PortModel, ServicesModel } from '../../../client/src/cluster/servicesModel';
import { ContextNode } from '../../../client/src/tree/contextNode';
import { MessageNode } from '../../../client/src/tree/messageNode';
import { ServicesController } from '../../../client/src/tree/servicesController';
import type { ServicesTreeNode } from '../../../client/src/tree/treeNode';
import { parseDump } from '../../../server/src/parse';
import { freePort, pollUntil, sharedApiServer, writeKubeconfig } from '../../support/apiserver';
import type { RunningApiServer } from '../../support/apiserver';

const CORPUS = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'corpus');
const DUMP_FILE = path.join(CORPUS, 'kube-proxy-TestOverallIPTablesRules.real-iptables-save');

function dumpIndex(): { index: DumpChainIndex; lines: string[] } {
  const text = fs.readFileSync(DUMP_FILE, 'utf8');
  return { index: chainIndexFromDump(`file://${DUMP_FILE}`, parseDump(text)), lines: text.split('\n') };
}

function port(model: ServicesModel, ns: string, svc: string, name = 'p80'): PortModel {
  const service = model.namespaces.find((n) => n.name === ns)?.services.find((s) => s.name === svc);
  assert.ok(service, `service ${ns}/${svc} in the model`);
  const p = service.ports.find((x) => x.name === name);
  assert.ok(p, `port ${name} of ${ns}/${svc}`);
  return p;
}

/** The whole tree as indented `label — description` lines, the way a person reads it. */
function render(nodes: ServicesTreeNode[], depth = 0): string[] {
  return nodes.flatMap((n) => {
    const item = n.getTreeItem();
    return [`${'  '.repeat(depth)}${item.label}${item.description ? ` — ${item.description}` : ''}`, ...render(n.getChildren(), depth + 1)];
  });
}

function kubeconfigFor(server: RunningApiServer, name: string, token: string): string {
  const file = path.join(server.dir, `kubeconfig-${name}`);
  writeKubeconfig(file, server.url, server.caPem, [{ name, token, groups: [] }]);
  return file;
}

/** A service-account-style JWT signed with the apiserver's own key, already expired. */
function expiredJwt(server: RunningApiServer): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: 'RS256', kid: '' })}.${b64({
    iss: 'https://kubernetes.default.svc',
    aud: ['https://kubernetes.default.svc'],
    sub: 'system:serviceaccount:default:tester',
    iat: now - 7200,
    nbf: now - 7200,
    exp: now - 3600,
  })}`;
  const signature = createSign('RSA-SHA256')
    .update(body)
    .sign(fs.readFileSync(path.join(server.dir, 'sa.key')));
  return `${body}.${signature.toString('base64url')}`;
}

describe('services against a real kube-apiserver', function () {
  this.timeout(120_000);
  let server: RunningApiServer;
  let admin: ClusterClient;

  before(async () => {
    server = await sharedApiServer();
    const api = server.api;
    for (const ns of ['ns1', 'ns3', 'ns4', 'ns6', 'extra']) {
      await api.createNamespace(ns);
    }
    const p80 = { ports: [{ name: 'p80', port: 80, targetPort: 80, protocol: 'TCP' }], selector: { app: 'x' } };
    for (const [ns, name] of [
      ['ns1', 'svc1'],
      ['ns3', 'svc3'],
      ['ns4', 'svc4'],
      ['ns6', 'svc6'],
      ['extra', 'web'],
    ]) {
      await api.createService(ns, name, p80);
    }
    await api.createService('extra', 'headless', { ...p80, clusterIP: 'None' });
    const pods: Array<[string, string, string, string, boolean]> = [
      ['ns1', 'svc1-a', '10.180.0.1', 'node-a', true],
      ['ns3', 'svc3-a', '10.180.0.3', 'node-b', true],
      ['ns4', 'svc4-a', '10.180.0.4', 'node-a', true],
      ['ns4', 'svc4-b', '10.180.0.5', 'node-b', true],
      ['ns4', 'svc4-new', '10.180.0.6', 'node-b', true],
      ['ns4', 'svc4-starting', '10.180.0.7', 'node-a', false],
      ['extra', 'web-a', '10.180.1.1', 'node-a', true],
    ];
    for (const [ns, pod, ip, node, ready] of pods) {
      await api.createRunningPod(ns, pod, { nodeName: node, podIP: ip, ready, labels: { app: 'x' } });
    }
    const slice = (ns: string, svc: string, eps: Array<[string, string, string, boolean]>) =>
      api.createEndpointSliceV1beta1(
        ns,
        svc,
        [{ name: 'p80', port: 80 }],
        eps.map(([ip, pod, nodeName, ready]) => ({ ip, pod, nodeName, ready })),
      );
    await slice('ns1', 'svc1', [['10.180.0.1', 'svc1-a', 'node-a', true]]);
    await slice('ns3', 'svc3', [['10.180.0.3', 'svc3-a', 'node-b', true]]);
    await slice('ns4', 'svc4', [
      ['10.180.0.4', 'svc4-a', 'node-a', true],
      ['10.180.0.5', 'svc4-b', 'node-b', true],
      ['10.180.0.6', 'svc4-new', 'node-b', true],
      ['10.180.0.7', 'svc4-starting', 'node-a', false],
    ]);
    await slice('extra', 'web', [['10.180.1.1', 'web-a', 'node-a', true]]);
    const created = ClusterClient.create({ kubeconfigPath: server.kubeconfigPath });
    assert.ok(created.ok);
    admin = created.value;
  });

  it('started etcd and the apiserver on 127.0.0.1 and answered /readyz', () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(server.readyAfterMs > 0 && server.readyAfterMs < 90_000, `ready after ${server.readyAfterMs} ms`);
  });

  it('names default/kubernetes:https KUBE-SVC-NPX46M4PTMTKRN6Y, as kube-proxy does on real clusters', async () => {
    const snapshot = await admin.snapshot();
    assert.ok(snapshot.ok, JSON.stringify(!snapshot.ok && snapshot.error));
    const model = buildServicesModel(snapshot.value, { kind: 'cluster', context: admin.context });
    const kubernetes = port(model, 'default', 'kubernetes', 'https');
    // The same chain appears in real dumps of k3s and Docker Desktop clusters in the corpus.
    const realDump = fs.readFileSync(path.join(CORPUS, 'k3s-blog-iptables-save-c-v1.8.4.iptables-save'), 'utf8');
    assert.ok(realDump.includes(`:${kubernetes.serviceChain} `), `${kubernetes.serviceChain} is declared in the k3s dump`);
    assert.equal(kubernetes.label, `https 443/tcp → ${new URL(server.url).port}`);
  });

  it('reads v1beta1 EndpointSlices on 1.20 (discovery.k8s.io/v1 answers 404) and links ports and endpoints to the dump', async () => {
    const snapshot = await admin.snapshot();
    assert.ok(snapshot.ok);
    assert.equal(snapshot.value.endpointSource, 'discovery.k8s.io/v1beta1');
    const { index, lines } = dumpIndex();
    const model = buildServicesModel(snapshot.value, { kind: 'cluster', context: admin.context }, index);

    const svc1 = port(model, 'ns1', 'svc1');
    assert.equal(svc1.label, 'p80 80/tcp → 80');
    assert.equal(svc1.link.state, 'in-dump');
    assert.equal(svc1.serviceChain, 'KUBE-SVC-XPGD46QRK7WJZT7O');
    assert.ok(lines[svc1.link.location!.ref.span!.line].startsWith(':KUBE-SVC-XPGD46QRK7WJZT7O '));
    assert.deepEqual(
      svc1.endpoints.map((e) => [e.address, e.ready, e.node, e.pod, e.link.state]),
      [['10.180.0.1:80', true, 'node-a', 'svc1-a', 'in-dump']],
    );
    const sep = svc1.endpoints[0].link;
    assert.match(lines[sep.location!.dnatRule!.line], new RegExp(`^-A ${sep.chain} .*-j DNAT --to-destination 10\\.180\\.0\\.1:80$`));

    const svc4 = port(model, 'ns4', 'svc4');
    assert.equal(svc4.link.state, 'in-dump');
    const byAddress = new Map(svc4.endpoints.map((e) => [e.address, e]));
    assert.equal(byAddress.get('10.180.0.4:80')!.link.state, 'in-dump');
    assert.equal(byAddress.get('10.180.0.5:80')!.link.state, 'in-dump');
    assert.equal(byAddress.get('10.180.0.6:80')!.link.state, 'missing');
    assert.match(byAddress.get('10.180.0.6:80')!.link.reason!, /stale dump/);
    assert.equal(byAddress.get('10.180.0.7:80')!.ready, false);
    assert.match(byAddress.get('10.180.0.7:80')!.link.reason!, /not ready/);

    // No endpoints: kube-proxy wrote "ns6/svc6:p80 has no endpoints" (REJECT) instead of a chain.
    const svc6 = port(model, 'ns6', 'svc6');
    assert.equal(svc6.link.state, 'missing');
    assert.match(svc6.link.reason!, /no ready endpoints/);
    assert.ok(lines.some((l) => l.includes('"ns6/svc6:p80 has no endpoints"') && l.includes('REJECT')));

    assert.match(port(model, 'extra', 'web').link.reason!, /older than this service|another cluster/);
    const headless = model.namespaces.find((n) => n.name === 'extra')!.services.find((s) => s.name === 'headless')!;
    assert.match(headless.note!, /headless/);
    assert.match(headless.ports[0].link.reason!, /headless/);
  });

  it('shows context → namespaces → services → ports → endpoints in the tree, and clicking reveals the DNAT rule', async () => {
    const snapshot = await admin.snapshot();
    assert.ok(snapshot.ok);
    const { index } = dumpIndex();
    const model = buildServicesModel(
      snapshot.value,
      { kind: 'cluster', context: admin.context, server: admin.server, endpointSource: snapshot.value.endpointSource },
      index,
    );
    const root = new ContextNode(model);
    const text = render([root]).join('\n');
    assert.match(
      text,
      /^admin — https:\/\/127\.0\.0\.1:\d+ · endpoints: discovery\.k8s\.io\/v1beta1 · linked to kube-proxy-TestOverallIPTablesRules\.real-iptables-save$/m,
    );
    assert.match(text, /^ {4}svc4 — ClusterIP · 10\.96\.\d+\.\d+$/m);
    assert.match(text, /^ {6}p80 80\/tcp → 80 — KUBE-SVC-4SW47YFZTEDKD3PK$/m);
    assert.match(text, /^ {8}10\.180\.0\.4:80 — pod svc4-a on node-a · KUBE-SEP-UKSFD7AGPMPPLUHC$/m);
    assert.match(text, /^ {8}10\.180\.0\.7:80 — not ready · pod svc4-starting on node-a · KUBE-SEP-\w{16}$/m);
    assert.match(text, /^ {6}p80 80\/tcp → 80 — KUBE-SVC-\w{16} · not in dump: no ready endpoints/m);

    const ns4 = root.getChildren().find((n) => n.getTreeItem().label === 'ns4')!;
    const svc4Port = ns4.getChildren()[0].getChildren()[0];
    const endpoint = svc4Port.getChildren().find((n) => n.getTreeItem().label === '10.180.0.4:80')!;
    const item = endpoint.getTreeItem();
    assert.equal(item.icon?.id, 'pass-filled');
    assert.equal(item.command?.command, 'iptablesLens.services.revealChain');
    const target = item.command!.arguments[0] as { uri: string; chain: string; span: { line: number } };
    assert.equal(target.chain, 'KUBE-SEP-UKSFD7AGPMPPLUHC');
    assert.match(fs.readFileSync(DUMP_FILE, 'utf8').split('\n')[target.span.line], /DNAT --to-destination 10\.180\.0\.4:80/);
    const stale = svc4Port
      .getChildren()
      .find((n) => n.getTreeItem().label === '10.180.0.6:80')!
      .getTreeItem();
    assert.equal(stale.icon?.id, 'circle-slash');
    assert.equal(stale.command, undefined);
    assert.match(stale.tooltip!, /stale dump/);
  });

  it('delivers a new endpoint through the watch, debounced into one refresh', async () => {
    const { index } = dumpIndex();
    const controller = new ServicesController({
      createClient: (context) => ClusterClient.create({ kubeconfigPath: server.kubeconfigPath, context }),
      listContexts: () => {
        const m = mergeKubeconfigFiles({ kubeconfigPath: server.kubeconfigPath });
        return m.ok ? { ok: true, value: { contexts: m.value.contexts, current: m.value.currentContext } } : m;
      },
      openDump: async () => ({ uri: index.uri, index }),
      readFile: (f) => fs.promises.readFile(f, 'utf8'),
      debounceMs: 100,
    });
    try {
      await controller.setNamespaceFilter('ns3');
      const before = render(controller.getRoots()).join('\n');
      assert.match(before, /10\.180\.0\.3:80/);
      assert.doesNotMatch(before, /10\.180\.0\.8:80/);
      let refreshes = 0;
      controller.onDidChange(() => refreshes++);

      const started = Date.now();
      await server.api.createRunningPod('ns3', 'svc3-b', { nodeName: 'node-c', podIP: '10.180.0.8', labels: { app: 'x' } });
      const slice = await server.api.must('GET', '/apis/discovery.k8s.io/v1beta1/namespaces/ns3/endpointslices/svc3-abcde');
      slice.endpoints.push({
        addresses: ['10.180.0.8'],
        conditions: { ready: true },
        topology: { 'kubernetes.io/hostname': 'node-c' },
        targetRef: { kind: 'Pod', namespace: 'ns3', name: 'svc3-b' },
      });
      await server.api.must('PUT', '/apis/discovery.k8s.io/v1beta1/namespaces/ns3/endpointslices/svc3-abcde', slice);

      await pollUntil('the new endpoint in the tree', 20_000, () =>
        /10\.180\.0\.8:80 — pod svc3-b on node-c · KUBE-SEP-\w{16}$/m.test(render(controller.getRoots()).join('\n')),
      );
      const latency = Date.now() - started;
      // A pod update and a slice update 'in one burst' are one refresh, or two when the burst is slower than the debounce.
      assert.ok(refreshes >= 1 && refreshes <= 3, `${refreshes} refreshes`);
      assert.ok(latency < 20_000, `update arrived after ${latency} ms`);
      const text = render(controller.getRoots()).join('\n');
      assert.match(text, /^admin — .* · namespace ns3/m);
      assert.doesNotMatch(text, /^ {2}ns4/m);
    } finally {
      controller.dispose();
    }
  });

  it('turns a 403 into a message naming the verb and resource, then falls back to core Endpoints when only slices are denied', async () => {
    const limitedConfig = kubeconfigFor(server, 'limited', server.limitedToken);
    const deps = {
      createClient: (context: string | undefined) => ClusterClient.create({ kubeconfigPath: limitedConfig, context }),
      listContexts: () => ({ ok: true as const, value: { contexts: ['limited'], current: 'limited' } }),
      openDump: async () => undefined,
      readFile: (f: string) => fs.promises.readFile(f, 'utf8'),
    };
    const controller = new ServicesController(deps);
    try {
      await controller.refresh();
      const [first, second] = controller.getRoots();
      assert.ok(first instanceof MessageNode);
      const item = first.getTreeItem();
      assert.equal(item.label, 'Not allowed to list services (all namespaces).');
      assert.match(item.description!, /grants "list" and "watch" on services/);
      assert.match(item.description!, /User "limited" cannot list resource "services"/);
      assert.equal(item.icon?.id, 'error');
      assert.ok(second instanceof MessageNode);
      assert.match(second.getTreeItem().label, /Open an iptables dump or load a snapshot file/);

      // Grant services, pods and core endpoints but not endpointslices: the client falls back to v1 Endpoints.
      await server.api.grantClusterRole('limited', 'lens-reader', [
        { apiGroups: [''], resources: ['services', 'pods', 'endpoints'], verbs: ['list', 'watch'] },
      ]);
      await server.api.createEndpoints(
        'ns1',
        'svc1',
        [{ name: 'p80', port: 80 }],
        [{ ip: '10.180.0.1', ready: true, nodeName: 'node-a', pod: 'svc1-a' }],
      );
      await pollUntil(
        'RBAC to allow the limited user',
        10_000,
        async () => (await server.api.as(server.limitedToken).request('GET', '/api/v1/services')).status === 200,
      );
      await controller.refresh();
      const model = controller.model!;
      assert.equal(model.origin.kind === 'cluster' && model.origin.endpointSource, 'v1/endpoints');
      const svc1 = port(model, 'ns1', 'svc1');
      assert.deepEqual(
        svc1.endpoints.map((e) => [e.address, e.node, e.pod]),
        [['10.180.0.1:80', 'node-a', 'svc1-a']],
      );
      assert.equal(svc1.endpoints[0].link.chain, 'KUBE-SEP-SXIVWICOYRO3J4NJ');
      // Listing namespaces is still denied: a warning above the tree, not a failure.
      const text = render(controller.getRoots()).join('\n');
      assert.match(text, /^ {2}Not allowed to list namespaces \(all namespaces\)\./m);
    } finally {
      controller.dispose();
    }
  });

  it('shows the same services from a `kubectl get svc,endpointslices,pods -A` snapshot, in JSON and in YAML', async () => {
    // What kubectl prints: one List whose items carry their kind and apiVersion.
    const items: unknown[] = [];
    for (const [url, apiVersion, kind] of [
      ['/api/v1/services', 'v1', 'Service'],
      ['/apis/discovery.k8s.io/v1beta1/endpointslices', 'discovery.k8s.io/v1beta1', 'EndpointSlice'],
      ['/api/v1/pods', 'v1', 'Pod'],
    ]) {
      const list = await server.api.must('GET', url);
      items.push(...list.items.map((item: object) => ({ apiVersion, kind, ...item })));
    }
    const list = { apiVersion: 'v1', kind: 'List', items, metadata: { resourceVersion: '' } };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lens-snapshot-'));
    const jsonFile = path.join(dir, 'cluster.json');
    const yamlFile = path.join(dir, 'cluster.yaml');
    fs.writeFileSync(jsonFile, JSON.stringify(list, null, 2));
    fs.writeFileSync(yamlFile, dumpYaml(list));

    const live = await admin.snapshot();
    assert.ok(live.ok);
    const { index } = dumpIndex();
    const services = (m: ServicesModel) => m.namespaces.filter((n) => n.services.length > 0);
    const liveModel = buildServicesModel(live.value, { kind: 'cluster', context: admin.context }, index);
    for (const file of [jsonFile, yamlFile]) {
      const controller = new ServicesController({
        createClient: () => ({ ok: false, error: { kind: 'no-kubeconfig', message: 'unused' } }),
        listContexts: () => ({ ok: false, error: { kind: 'no-kubeconfig', message: 'unused' } }),
        openDump: async () => ({ uri: index.uri, index }),
        readFile: (f) => fs.promises.readFile(f, 'utf8'),
      });
      await controller.loadSnapshot(file);
      const model = controller.model!;
      assert.deepEqual(model.origin, { kind: 'snapshot', file, endpointSource: 'discovery.k8s.io/v1beta1' });
      assert.deepEqual(services(model), services(liveModel), file);
      assert.match(
        render(controller.getRoots())[0],
        new RegExp(`^snapshot cluster\\.(json|yaml) — offline · endpoints: discovery\\.k8s\\.io/v1beta1`),
      );
      controller.dispose();
    }

    fs.writeFileSync(path.join(dir, 'empty.yaml'), 'apiVersion: v1\nkind: List\nitems: []\n');
    const parsed = new ServicesController({
      createClient: () => ({ ok: false, error: { kind: 'no-kubeconfig', message: 'unused' } }),
      listContexts: () => ({ ok: false, error: { kind: 'no-kubeconfig', message: 'unused' } }),
      openDump: async () => undefined,
      readFile: (f) => fs.promises.readFile(f, 'utf8'),
    });
    await parsed.loadSnapshot(path.join(dir, 'empty.yaml'));
    const [message] = parsed.getRoots();
    assert.ok(message instanceof MessageNode);
    assert.equal(message.getTreeItem().label, 'empty.yaml holds no Service objects.');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reports a watch RBAC denies, retries it, and reports the re-listed state once the watch is allowed', async () => {
    const watcherConfig = kubeconfigFor(server, 'watcher', server.watcherToken);
    const created = ClusterClient.create({ kubeconfigPath: watcherConfig });
    assert.ok(created.ok);
    const listOnly = { apiGroups: ['', 'discovery.k8s.io'], resources: ['services', 'pods', 'endpointslices'], verbs: ['list'] };
    await server.api.grantClusterRole('watcher', 'lens-list-only', [listOnly]);
    await pollUntil(
      'RBAC to let the watcher list',
      10_000,
      async () => (await server.api.as(server.watcherToken).request('GET', '/api/v1/services')).status === 200,
    );
    const errors: string[] = [];
    let changes = 0;
    const watch = created.value.watch('discovery.k8s.io/v1beta1', () => changes++, {
      restartMs: 100,
      debounceMs: 50,
      onError: (e) => errors.push(`${e.kind}: ${e.message}`),
    });
    try {
      const expected = ['services', 'pods', 'endpointslices.discovery.k8s.io'].map(
        (r) => `forbidden: Not allowed to watch ${r} (all namespaces).`,
      );
      await pollUntil('a forbidden error from each watch', 20_000, () => expected.every((e) => errors.includes(e)));
      assert.equal(changes, 0);
      await server.api.must('PUT', '/apis/rbac.authorization.k8s.io/v1/clusterroles/lens-list-only', {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'lens-list-only' },
        rules: [{ ...listOnly, verbs: ['list', 'watch'] }],
      });
      await pollUntil('a change after the watch is allowed', 30_000, () => changes > 0);
    } finally {
      watch.dispose();
    }
  });

  it('says a wrong token is not accepted (401) and an expired one expired', async () => {
    const wrong = ClusterClient.create({ kubeconfigPath: kubeconfigFor(server, 'wrong', 'not-a-known-token') });
    assert.ok(wrong.ok);
    const r = await wrong.value.listServices();
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'unauthorized');
    assert.equal(r.error.status, 401);

    const expired = ClusterClient.create({ kubeconfigPath: kubeconfigFor(server, 'expired', expiredJwt(server)) });
    assert.ok(expired.ok);
    const e = await expired.value.listServices();
    assert.ok(!e.ok);
    assert.equal(e.error.kind, 'expired');
    assert.match(e.error.message, /expired at \d{4}-\d\d-\d\dT/);
    assert.match(e.error.hint!, /Log in again/);
  });

  it('says a server that does not answer is unreachable', async () => {
    const closedPort = await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lens-kc-'));
    const file = path.join(dir, 'config');
    writeKubeconfig(file, `https://127.0.0.1:${closedPort}`, server.caPem, [{ name: 'gone', token: 'x', groups: [] }]);
    const client = ClusterClient.create({ kubeconfigPath: file });
    assert.ok(client.ok);
    const r = await client.value.snapshot().finally(() => fs.rmSync(dir, { recursive: true, force: true }));
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'unreachable');
    assert.match(r.error.message, new RegExp(`Cannot reach the cluster at https://127\\.0\\.0\\.1:${closedPort} \\(ECONNREFUSED\\)`));
  });

  it('prints the same model from the CLI command: text, JSON, and a calm error without a kubeconfig', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { readFile: (f: string) => fs.readFileSync(f, 'utf8'), out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
    assert.equal(await runServicesCommand([DUMP_FILE, '--kubeconfig', server.kubeconfigPath, '--namespace', 'ns4'], io), 0, err.join('\n'));
    assert.match(out[0], /^context admin \(https:\/\/127\.0\.0\.1:\d+\), endpoints from discovery\.k8s\.io\/v1beta1$/);
    const lines = out.slice(1);
    assert.equal(lines[0], 'ns4');
    assert.match(lines[1], /^ {2}svc4 {2}ClusterIP 10\.96\.\d+\.\d+$/);
    const dumpLines = fs.readFileSync(DUMP_FILE, 'utf8').split('\n');
    const declared = dumpLines.findIndex((l) => l.startsWith(':KUBE-SVC-4SW47YFZTEDKD3PK ')) + 1;
    const dnat = dumpLines.findIndex((l) => /^-A KUBE-SEP-UKSFD7AGPMPPLUHC .*DNAT --to-destination 10\.180\.0\.4:80$/.test(l)) + 1;
    assert.ok(declared > 0 && dnat > 0);
    assert.equal(lines[2], `    p80 80/tcp → 80  KUBE-SVC-4SW47YFZTEDKD3PK  in dump (line ${declared})`);
    assert.equal(lines[3], `      10.180.0.4:80  ready node=node-a pod=svc4-a  KUBE-SEP-UKSFD7AGPMPPLUHC  in dump (line ${dnat})`);
    assert.match(lines[5], /^ {6}10\.180\.0\.6:80 {2}ready node=node-b pod=svc4-new {2}KUBE-SEP-\w{16} {2}not in dump: stale dump/);

    out.length = 0;
    assert.equal(await runServicesCommand([DUMP_FILE, '--kubeconfig', server.kubeconfigPath, '--json'], io), 0);
    const model = JSON.parse(out.join('\n')) as ServicesModel;
    assert.equal(port(model, 'ns1', 'svc1').endpoints[0].link.chain, 'KUBE-SEP-SXIVWICOYRO3J4NJ');

    out.length = 0;
    err.length = 0;
    assert.equal(await runServicesCommand([DUMP_FILE, '--kubeconfig', path.join(server.dir, 'no-such-file')], io), 1);
    assert.deepEqual(out, []);
    assert.match(err[0], /^iptables-lens: The kubeconfig file .*no-such-file does not exist\.$/);
  });
});
