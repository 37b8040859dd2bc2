// kubeconfig discovery and merging as kubectl does it, and the two client-node behaviours it replaces.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ClusterClient } from '../../../client/src/cluster/clusterClient';
import { jwtExpiry, loadKubeconfig, mergeKubeconfigFiles } from '../../../client/src/cluster/kubeconfig';
import { writeKubeconfig } from '../../support/apiserver';

const CA = '-----BEGIN CERTIFICATE-----\nnot-used-offline\n-----END CERTIFICATE-----\n';

describe('kubeconfig loading', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lens-kubeconfig-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function config(name: string, server: string, users: string[]): string {
    const file = path.join(dir, name);
    writeKubeconfig(
      file,
      server,
      CA,
      users.map((u) => ({ name: u, token: `${u}-token`, groups: [] })),
    );
    return file;
  }

  it('merges every existing file of KUBECONFIG in order and skips missing ones, as kubectl does', () => {
    const a = config('a', 'https://a.example:6443', ['alice', 'shared']);
    const b = config('b', 'https://b.example:6443', ['bob', 'shared']);
    const missing1 = path.join(dir, 'missing-1');
    const missing2 = path.join(dir, 'missing-2');
    const env = { KUBECONFIG: [missing1, a, missing2, b].join(path.delimiter) };
    const r = loadKubeconfig({ env, homeDir: dir });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.error));
    assert.deepEqual(r.value.files, [a, b]);
    assert.deepEqual(r.value.skipped, [missing1, missing2]);
    assert.deepEqual(r.value.contexts, ['alice', 'shared', 'bob']);
    // The first file's current-context and the first definition of a name win.
    assert.equal(r.value.currentContext, 'alice');
    assert.equal(r.value.server, 'https://a.example:6443');

    // client-node's own loader gives up on the same KUBECONFIG.
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = env.KUBECONFIG;
    try {
      assert.throws(() => new KubeConfig().loadFromDefault(), /ENOENT/);
    } finally {
      if (saved === undefined) {
        delete process.env.KUBECONFIG;
      } else {
        process.env.KUBECONFIG = saved;
      }
    }
  });

  it('selects another context on request, and names the ones there are when it does not exist', () => {
    const a = config('a', 'https://a.example:6443', ['alice', 'admin']);
    const r = loadKubeconfig({ kubeconfigPath: a, context: 'admin' });
    assert.ok(r.ok);
    assert.equal(r.value.kubeConfig.getCurrentContext(), 'admin');
    const missing = loadKubeconfig({ kubeconfigPath: a, context: 'prod' });
    assert.ok(!missing.ok);
    assert.equal(missing.error.kind, 'no-context');
    assert.equal(missing.error.message, 'The kubeconfig has no context "prod".');
    assert.equal(missing.error.hint, 'Pick one of: alice, admin.');
  });

  it('says there is no kubeconfig instead of falling back to localhost:8080', async () => {
    const none = loadKubeconfig({ env: {}, homeDir: dir });
    assert.ok(!none.ok);
    assert.equal(none.error.kind, 'no-kubeconfig');
    assert.equal(none.error.message, `No kubeconfig found: there is no ${path.join(dir, '.kube', 'config')} and KUBECONFIG is not set.`);
    assert.match(none.error.hint!, /offline from an open dump or a snapshot file/);
    assert.ok(!ClusterClient.create({ env: {}, homeDir: dir }).ok);

    const allMissing = loadKubeconfig({
      env: { KUBECONFIG: `${path.join(dir, 'x')}${path.delimiter}${path.join(dir, 'y')}` },
      homeDir: dir,
    });
    assert.ok(!allMissing.ok);
    assert.match(allMissing.error.message, /^No kubeconfig found: KUBECONFIG names no existing file/);

    // What client-node does alone in the same place: a client for http://localhost:8080.
    const saved = { KUBECONFIG: process.env.KUBECONFIG, HOME: process.env.HOME };
    delete process.env.KUBECONFIG;
    process.env.HOME = dir;
    try {
      const kc = new KubeConfig();
      kc.loadFromDefault();
      assert.equal(kc.getCurrentCluster()?.server, 'http://localhost:8080');
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) {
          delete process.env[k];
        } else {
          process.env[k] = v;
        }
      }
    }
  });

  it('reads ~/.kube/config when KUBECONFIG is unset or empty', () => {
    fs.mkdirSync(path.join(dir, '.kube'));
    fs.copyFileSync(config('home', 'https://home.example:6443', ['me']), path.join(dir, '.kube', 'config'));
    for (const env of [{}, { KUBECONFIG: '' }]) {
      const r = mergeKubeconfigFiles({ env, homeDir: dir });
      assert.ok(r.ok);
      assert.deepEqual(r.value.files, [path.join(dir, '.kube', 'config')]);
      assert.equal(r.value.currentContext, 'me');
    }
  });

  it('reports a file that is not a kubeconfig, and one that sets no current context', () => {
    const broken = path.join(dir, 'broken');
    fs.writeFileSync(broken, 'clusters: [\n');
    const r = loadKubeconfig({ kubeconfigPath: broken });
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'bad-kubeconfig');
    assert.match(r.error.message, new RegExp(`^Cannot read kubeconfig ${broken.replace(/[/.]/g, '\\$&')}: `));

    const noCurrent = path.join(dir, 'no-current');
    fs.writeFileSync(
      noCurrent,
      fs.readFileSync(config('c', 'https://c.example', ['one', 'two']), 'utf8').replace(/^current-context:.*$/m, ''),
    );
    const n = loadKubeconfig({ kubeconfigPath: noCurrent });
    assert.ok(!n.ok);
    assert.equal(n.error.kind, 'no-context');
    assert.equal(n.error.hint, 'Pick one of: one, two.');
    // The context list is still there for the picker.
    const merged = mergeKubeconfigFiles({ kubeconfigPath: noCurrent });
    assert.ok(merged.ok);
    assert.deepEqual(merged.value.contexts, ['one', 'two']);
  });

  it('reads the expiry of a JWT bearer token, and none from an opaque token', () => {
    const exp = Math.floor(Date.UTC(2030, 0, 2, 3, 4, 5) / 1000);
    const jwt = ['{"alg":"none"}', JSON.stringify({ exp }), ''].map((p) => Buffer.from(p).toString('base64url')).join('.');
    assert.equal(jwtExpiry(jwt)?.toISOString(), '2030-01-02T03:04:05.000Z');
    assert.equal(jwtExpiry('0123456789abcdef'), undefined);
  });
});
