import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { corpusPath, readCorpus } from '../support/corpus';

// The built command line (`npm run build` first), run as scripts and CI jobs run it.
const CLI = path.resolve(__dirname, '../../server/out/cli.js');

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('command line (server/out/cli.js)', function () {
  this.timeout(30000);
  const seed = corpusPath('seed-calico-nat-L-n-v.txt');
  const lines = readCorpus('seed-calico-nat-L-n-v.txt').split('\n');
  let dir = '';
  before(() => (dir = mkdtempSync(path.join(tmpdir(), 'iptables-lens-cli-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('symbols --json gives the outline with service names', () => {
    const { status, stdout } = cli('symbols', seed, '--json');
    assert.equal(status, 0);
    const [nat] = JSON.parse(stdout) as { name: string; children: { name: string; detail: string }[] }[];
    assert.equal(nat.children.length, lines.filter((l) => l.startsWith('Chain ')).length);
    assert.match(nat.children.find((c) => c.name === 'KUBE-SVC-BEPXDJBUHFCSYIC3')!.detail, /default\/my-nginx:80\/tcp/);
  });

  it('check exits 0 on a clean dump and 1 with file:line:col errors on a broken one', () => {
    assert.equal(cli('check', seed).status, 0);
    const broken = path.join(dir, 'broken.rules');
    writeFileSync(broken, '*nat\n:A - [0:0]\n-A A -j NOWHERE-CHAIN\nCOMMIT\nnot a dump line\n');
    const { status, stdout } = cli('check', broken);
    assert.equal(status, 1);
    assert.match(stdout, new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:9: error: Jump to chain NOWHERE-CHAIN`, 'm'));
    assert.match(stdout, /:5:1: error: Unrecognised line/);
  });

  it('services answers from the dump alone, and links a cluster snapshot to it', () => {
    const own = cli('services', seed, '--json');
    assert.equal(own.status, 0);
    const { services } = JSON.parse(own.stdout) as { services: { label: string; endpoints: { address: string; share: number }[] }[] };
    assert.deepEqual(services.find((s) => s.label === 'default/my-nginx:80/tcp')!.endpoints.map((e) => [e.address, e.share]), [
      ['10.200.165.70:80', 0.5],
      ['10.200.165.71:80', 0.5],
    ]);
    const snapshot = path.join(dir, 'snapshot.yaml');
    writeFileSync(
      snapshot,
      [
        'apiVersion: v1',
        'kind: List',
        'items:',
        '- apiVersion: v1',
        '  kind: Service',
        '  metadata: {name: my-nginx, namespace: default}',
        '  spec: {type: ClusterIP, clusterIP: 10.100.200.79, ports: [{port: 80, protocol: TCP, targetPort: 80}]}',
        '- apiVersion: discovery.k8s.io/v1',
        '  kind: EndpointSlice',
        '  metadata: {name: my-nginx-1, namespace: default, labels: {kubernetes.io/service-name: my-nginx}}',
        '  addressType: IPv4',
        '  ports: [{port: 80, protocol: TCP}]',
        '  endpoints: [{addresses: [10.200.165.70], conditions: {ready: true}}]',
      ].join('\n'),
    );
    const linked = cli('services', seed, '--snapshot', snapshot);
    assert.equal(linked.status, 0, linked.stderr);
    assert.match(linked.stdout, /KUBE-SVC-BEPXDJBUHFCSYIC3 {2}in dump \(line 107\)/);
    assert.match(linked.stdout, /10\.200\.165\.70:80 {2}ready {2}KUBE-SEP-AOFVCMQOP4BSPNKH {2}in dump \(line 49\)/);
  });

  it('says calmly what is wrong with its arguments', () => {
    const missing = cli('symbols', '/nonexistent/dump.txt');
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /cannot read \/nonexistent\/dump\.txt: ENOENT/);
    const kubeconfig = cli('services', seed, '--kubeconfig', '/nonexistent/kubeconfig');
    assert.equal(kubeconfig.status, 1);
    assert.match(kubeconfig.stderr, /kubeconfig file \/nonexistent\/kubeconfig does not exist/);
    assert.equal(cli('frobnicate').status, 2);
  });
});
