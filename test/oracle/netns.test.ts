// The namespace helper itself: rules stay inside the namespace, and no namespace outlives its test, even a crashed one.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { NetworkNamespace, liveNamespaceNames, requireNetnsIptables, withNetworkNamespace } from '../support/netns';

function namespaceExists(name: string): boolean {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  return list.split('\n').some((line) => line.split(' ')[0] === name);
}

const RULESET = '*filter\n:LENS-TEST - [0:0]\n-A INPUT -j LENS-TEST\n-A LENS-TEST -p tcp -m tcp --dport 80 -j ACCEPT\nCOMMIT\n';

describe('oracle: network namespaces for real iptables', function () {
  this.timeout(30_000);

  before(() => requireNetnsIptables({ family: 4 }));

  it('loads rules into its own namespace only, and deletes it', async () => {
    let name = '';
    await withNetworkNamespace((ns) => {
      name = ns.name;
      assert.ok(namespaceExists(name));
      ns.restore(RULESET);
      assert.match(ns.save(), /^-A LENS-TEST -p tcp -m tcp --dport 80 -j ACCEPT$/m);
      assert.match(ns.list('filter'), /^Chain LENS-TEST \(1 references\)$/m);
    });
    assert.equal(namespaceExists(name), false);
    assert.ok(!liveNamespaceNames().includes(name));
    // The host's own rules never saw the chain.
    const host = spawnSync('iptables-nft-save', ['-t', 'filter'], { encoding: 'utf8' }).stdout;
    assert.ok(!host.includes('LENS-TEST'));
  });

  it('deletes the namespace when the test body throws', async () => {
    let name = '';
    await assert.rejects(
      withNetworkNamespace((ns) => {
        name = ns.name;
        ns.restore('*filter\n-A NO-SUCH-CHAIN -j ACCEPT\nCOMMIT\n');
      }),
      /iptables-nft-restore .*exited with/,
    );
    assert.ok(name !== '');
    assert.equal(namespaceExists(name), false);
  });

  it('deletes what a crashed process left behind when it exits', () => {
    // A child process makes a namespace and dies of an uncaught exception without deleting it.
    const helper = path.resolve(__dirname, '../support/netns.ts');
    const script = `
      const { NetworkNamespace } = require(${JSON.stringify(helper)});
      const ns = NetworkNamespace.create('iplens-crash');
      process.stdout.write(ns.name + '\\n');
      throw new Error('crash on purpose');
    `;
    const child = spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), '-e', script], { encoding: 'utf8' });
    const name = child.stdout.trim();
    assert.notEqual(child.status, 0, 'the child crashed');
    assert.match(name, /^iplens-crash-\d+-1-[0-9a-f]{6}$/);
    assert.equal(namespaceExists(name), false, `${name} is left behind`);
  });

  it('gives every namespace a name of its own', () => {
    const a = NetworkNamespace.create();
    const b = NetworkNamespace.create();
    try {
      assert.notEqual(a.name, b.name);
      assert.ok(liveNamespaceNames().includes(a.name) && liveNamespaceNames().includes(b.name));
    } finally {
      a.delete();
      b.delete();
    }
    a.delete(); // a second delete is harmless
  });
});
