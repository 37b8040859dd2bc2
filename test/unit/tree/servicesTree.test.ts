// The Services tree without a cluster: messages instead of errors, a snapshot file linked to a real dump,
// the namespace filter, and finding the tree item of a chain (what "reveal chain under cursor" does).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClusterClient } from '../../../client/src/cluster/clusterClient';
import { chainIndexFromDump, dumpChainIndex } from '../../../client/src/cluster/servicesModel';
import { EndpointNode } from '../../../client/src/tree/endpointNode';
import { MessageNode } from '../../../client/src/tree/messageNode';
import { PortNode } from '../../../client/src/tree/portNode';
import { ServicesController } from '../../../client/src/tree/servicesController';
import type { ServicesControllerDeps } from '../../../client/src/tree/servicesController';
import type { ServicesTreeNode } from '../../../client/src/tree/treeNode';
import { analyzeKube } from '../../../server/src/kube/analysis';
import { parseDump } from '../../../server/src/parse';

const DUMP_FILE = path.resolve(
  __dirname,
  '..',
  '..',
  '..',
  '..',
  'shared',
  'corpus',
  'kube-proxy-TestOverallIPTablesRules.real-iptables-save',
);

// A `kubectl get svc,endpointslices -A -o yaml` of the cluster kube-proxy's TestOverallIPTablesRules describes (ns4/svc4).
const SNAPSHOT = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: svc4, namespace: ns4}
  spec:
    type: LoadBalancer
    clusterIP: 172.30.0.44
    ports: [{name: p80, port: 80, protocol: TCP, targetPort: 80, nodePort: 3004}]
- apiVersion: discovery.k8s.io/v1
  kind: EndpointSlice
  metadata: {name: svc4-x1, namespace: ns4, labels: {kubernetes.io/service-name: svc4}}
  addressType: IPv4
  ports: [{name: p80, port: 80, protocol: TCP}]
  endpoints:
  - addresses: [10.180.0.4]
    conditions: {ready: true}
    nodeName: node-a
    targetRef: {kind: Pod, name: svc4-a, namespace: ns4}
  - addresses: [10.180.0.5]
    conditions: {ready: true}
    nodeName: node-b
    targetRef: {kind: Pod, name: svc4-b, namespace: ns4}
- apiVersion: v1
  kind: Service
  metadata: {name: dns, namespace: kube-system}
  spec: {clusterIP: None, ports: [{name: dns, port: 53, protocol: UDP}]}
`;

function ancestry(node: ServicesTreeNode | undefined): string[] {
  const labels: string[] = [];
  for (let n = node; n; n = n.parent) {
    labels.unshift(n.getTreeItem().label);
  }
  return labels;
}

describe('services tree', () => {
  let dir: string;
  let deps: ServicesControllerDeps;
  const index = chainIndexFromDump(`file://${DUMP_FILE}`, parseDump(fs.readFileSync(DUMP_FILE, 'utf8')));

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lens-tree-'));
    fs.writeFileSync(path.join(dir, 'snapshot.yaml'), SNAPSHOT);
    deps = {
      createClient: (context) => ClusterClient.create({ env: {}, homeDir: dir, context }),
      listContexts: () => ({ ok: false, error: { kind: 'no-kubeconfig', message: 'No kubeconfig found.' } }),
      openDump: async () => ({ uri: index.uri, index }),
      readFile: (f) => fs.promises.readFile(f, 'utf8'),
    };
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('shows a message, not an error, without a kubeconfig and without a dump', async () => {
    const controller = new ServicesController({ ...deps, openDump: async () => undefined });
    await controller.refresh();
    const roots = controller.getRoots();
    assert.equal(roots.length, 2);
    assert.ok(roots.every((r) => r instanceof MessageNode));
    const [error, help] = roots.map((r) => r.getTreeItem());
    assert.match(error.label, /^No kubeconfig found: there is no .*\.kube\/config and KUBECONFIG is not set\.$/);
    assert.equal(error.icon?.id, 'error');
    assert.equal(error.command?.command, 'iptablesLens.services.refresh');
    assert.equal(help.command?.command, 'iptablesLens.services.loadSnapshot');
    assert.equal(controller.model, undefined);
  });

  it('links a snapshot to the open dump, filters by namespace, and finds the item of a chain', async () => {
    const controller = new ServicesController(deps);
    await controller.loadSnapshot(path.join(dir, 'snapshot.yaml'));
    const [root] = controller.getRoots();
    assert.deepEqual(
      root.getChildren().map((n) => n.getTreeItem().label),
      ['kube-system', 'ns4'],
    );

    const sep = controller.findNodeForChain('KUBE-SEP-C6EBXVWJJZMIWKLZ');
    assert.ok(sep instanceof EndpointNode);
    assert.deepEqual(ancestry(sep), ['snapshot snapshot.yaml', 'ns4', 'svc4', 'p80 80/tcp → 80', '10.180.0.5:80']);
    const svc = controller.findNodeForChain('KUBE-SVC-4SW47YFZTEDKD3PK');
    assert.ok(svc instanceof PortNode);
    assert.equal(svc.getTreeItem().description, 'KUBE-SVC-4SW47YFZTEDKD3PK');
    // The KUBE-EXT chain of the same port leads to the same item.
    assert.equal(controller.findNodeForChain('KUBE-EXT-4SW47YFZTEDKD3PK')?.getTreeItem().id, svc.getTreeItem().id);
    assert.equal(controller.findNodeForChain('KUBE-SVC-XPGD46QRK7WJZT7O'), undefined);

    const dns = root.getChildren()[0].getChildren()[0];
    assert.deepEqual(
      dns.getChildren().map((n) => n.getTreeItem().label),
      ['headless (clusterIP: None): DNS only, kube-proxy makes no chains', 'dns 53/udp → 53'],
    );

    await controller.setNamespaceFilter('kube-system');
    assert.deepEqual(
      controller
        .getRoots()[0]
        .getChildren()
        .map((n) => n.getTreeItem().label),
      ['kube-system'],
    );
    assert.equal(controller.findNodeForChain('KUBE-SEP-C6EBXVWJJZMIWKLZ'), undefined);
    await controller.setNamespaceFilter('nothing-here');
    assert.deepEqual(
      controller
        .getRoots()[0]
        .getChildren()
        .map((n) => n.getTreeItem().label),
      ['No services in namespace nothing-here'],
    );
    controller.dispose();
  });

  it('says why a snapshot cannot be read', async () => {
    const controller = new ServicesController(deps);
    fs.writeFileSync(path.join(dir, 'bad.yaml'), 'items: [\n');
    await controller.loadSnapshot(path.join(dir, 'bad.yaml'));
    assert.match(controller.getRoots()[0].getTreeItem().label, /^bad\.yaml is not kubectl JSON or YAML: /);
    await controller.loadSnapshot(path.join(dir, 'missing.yaml'));
    assert.match(controller.getRoots()[0].getTreeItem().label, /^Cannot read .*missing\.yaml: ENOENT/);
    controller.dispose();
  });

  it('works offline from the open dump alone: the services the analysis reconstructed, each chain in the dump', async () => {
    const services = analyzeKube(parseDump(fs.readFileSync(DUMP_FILE, 'utf8'))).services;
    const controller = new ServicesController({
      ...deps,
      openDump: async () => ({ uri: index.uri, index: dumpChainIndex(index.uri, services), ports: services }),
    });
    await controller.refresh();
    const [error, root] = controller.getRoots();
    assert.ok(error instanceof MessageNode);
    assert.match(error.getTreeItem().label, /^No kubeconfig found/);
    const rootItem = root.getTreeItem();
    assert.equal(rootItem.label, 'dump kube-proxy-TestOverallIPTablesRules.real-iptables-save');
    assert.equal(rootItem.description, 'offline, from the dump');
    assert.deepEqual(
      root.getChildren().map((n) => n.getTreeItem().label),
      ['ns1', 'ns2', 'ns3', 'ns4', 'ns5', 'ns6'],
    );
    const sep = controller.findNodeForChain('KUBE-SEP-UKSFD7AGPMPPLUHC');
    assert.ok(sep instanceof EndpointNode);
    assert.deepEqual(ancestry(sep), [
      'dump kube-proxy-TestOverallIPTablesRules.real-iptables-save',
      'ns4',
      'svc4',
      'p80 80/tcp',
      '10.180.0.4:80',
    ]);
    const item = sep.getTreeItem();
    assert.equal(item.icon?.id, 'pass-filled');
    const target = item.command!.arguments[0] as { chain: string; span: { line: number } };
    assert.match(
      fs.readFileSync(DUMP_FILE, 'utf8').split('\n')[target.span.line],
      /^-A KUBE-SEP-UKSFD7AGPMPPLUHC .*-j DNAT --to-destination 10\.180\.0\.4:80$/,
    );
    // ns6/svc6 has no endpoints: kube-proxy wrote a REJECT rule instead of a service chain.
    const ns6Port = root.getChildren()[5].getChildren()[0].getChildren()[0];
    assert.equal(ns6Port.getTreeItem().icon?.id, 'circle-slash');
    controller.dispose();
  });
});
