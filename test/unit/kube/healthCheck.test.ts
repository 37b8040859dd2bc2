import { strict as assert } from 'node:assert';
import { analyzeKube } from '../../../server/src/kube/analysis';
import { endpointChainName, serviceChainName } from '../../../server/src/kube/chainNames';
import { parseDump } from '../../../server/src/parse/index';

describe('kube analysis: health check node ports', () => {
  it('attaches kube-proxy\'s tcp health check rule to a UDP service port by name, without a phantom tcp port', () => {
    const svc = serviceChainName('shop/orders:web', 'udp');
    const sep = endpointChainName('shop/orders:web', 'udp', '10.1.0.5:53');
    const text = [
      '*nat',
      ':KUBE-SERVICES - [0:0]',
      `:${svc} - [0:0]`,
      `:${sep} - [0:0]`,
      `-A KUBE-SERVICES -d 10.96.0.9/32 -p udp -m comment --comment "shop/orders:web cluster IP" -m udp --dport 53 -j ${svc}`,
      `-A ${svc} -m comment --comment "shop/orders:web -> 10.1.0.5:53" -j ${sep}`,
      `-A ${sep} -p udp -m comment --comment "shop/orders:web" -m udp -j DNAT --to-destination 10.1.0.5:53`,
      'COMMIT',
      '*filter',
      ':KUBE-NODEPORTS - [0:0]',
      '-A KUBE-NODEPORTS -p tcp -m comment --comment "shop/orders:web health check node port" -m tcp --dport 30066 -j ACCEPT',
      'COMMIT',
    ].join('\n');
    const analysis = analyzeKube(parseDump(text));
    assert.deepEqual(
      analysis.services.map((s) => [s.portName, s.protocol, s.healthCheckNodePort]),
      [['shop/orders:web', 'udp', 30066]],
    );
  });
});
