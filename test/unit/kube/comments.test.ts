import { strict as assert } from 'node:assert';
import { parseKubeComment } from '../../../server/src/kube/comments';

describe('kube-proxy comments', () => {
  it('reads the service port and the role from the comments of every release', () => {
    const cases: [string, string, string, boolean, string, string?][] = [
      // comment, namespace/name, port, legacy unnamed, role, extra
      ['ns1/svc1:p80 cluster IP', 'ns1/svc1', 'p80', false, 'cluster-ip'],
      ['kube-system/kube-dns:dns-tcp cluster IP*', 'kube-system/kube-dns', 'dns-tcp', false, 'cluster-ip'],
      ['ns2/svc2:p80 external IP', 'ns2/svc2', 'p80', false, 'external-ip'],
      ['ns2/svc2:p80 loadbalancer IP', 'ns2/svc2', 'p80', false, 'loadbalancer-ip'],
      ['ns4/svc4:p80 -> 10.180.0.4:80', 'ns4/svc4', 'p80', false, 'endpoint', '10.180.0.4:80'],
      ['ns2/svc2:p80', 'ns2/svc2', 'p80', false, 'bare'],
      ['default/apple-service', 'default/apple-service', '', false, 'bare'],
      ['default/my-nginx: cluster IP', 'default/my-nginx', '', true, 'cluster-ip'],
      ['default/hostnames:', 'default/hostnames', '', true, 'bare'],
      ['ns6/svc6:p80 has no endpoints', 'ns6/svc6', 'p80', false, 'no-endpoints'],
      ['ns2/svc2:p80 has no local endpoints', 'ns2/svc2', 'p80', false, 'no-local-endpoints'],
      ['ns2/svc2:p80 health check node port', 'ns2/svc2', 'p80', false, 'health-check-node-port'],
      [
        'ns5/svc5:p80 traffic not accepted by KUBE-FW-NUKIZ6OKUXPJNT4C',
        'ns5/svc5',
        'p80',
        false,
        'firewall-drop',
        'KUBE-FW-NUKIZ6OKUXPJNT4C',
      ],
      ['masquerade traffic for ns4/svc4:p80 external destinations', 'ns4/svc4', 'p80', false, 'other'],
      ['Balancing rule 0 for default/ingress-nginx-controller:http', 'default/ingress-nginx-controller', 'http', false, 'other'],
      ['portal for default/kubernetes:', 'default/kubernetes', '', true, 'other'],
    ];
    for (const [comment, service, port, legacy, role, extra] of cases) {
      const identity = parseKubeComment(comment);
      assert.ok(identity, comment);
      assert.deepEqual(
        [
          `${identity.namespace}/${identity.name}`,
          identity.port,
          identity.legacyUnnamed,
          identity.role,
          identity.endpoint ?? identity.firewallChain,
        ],
        [service, port, legacy, role, extra],
        comment,
      );
    }
  });

  it('finds no service in comments that name none', () => {
    for (const comment of [
      'kubernetes service portals',
      'cali:6gwbT8clXdHdC1b1',
      'kubernetes service nodeports; NOTE: this must be the last rule in this chain',
      'block incoming localnet connections',
    ]) {
      assert.equal(parseKubeComment(comment), undefined, comment);
    }
  });
});
