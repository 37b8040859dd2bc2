// A cluster snapshot for a generated kube-proxy dump, from the generator's ground truth: the same services,
// ports and endpoints the dump's chains were written for, so the Services model links every chain.
import type { GeneratedServicePort } from './generateKubeDump';

/**
 * What `kubectl get svc,endpointslices,pods -A -o json` prints for the cluster behind a generated dump: one Service
 * per service (its ports from the ground truth's service ports), one EndpointSlice per service with every pod
 * (ready, spread over three nodes), and the pods.
 */
export function kubectlSnapshot(ports: readonly GeneratedServicePort[]): { apiVersion: 'v1'; kind: 'List'; items: unknown[] } {
  const services = new Map<string, GeneratedServicePort[]>();
  for (const port of ports) {
    const key = `${port.namespace}/${port.name}`;
    const servicePorts = services.get(key);
    if (servicePorts) {
      servicePorts.push(port);
    } else {
      services.set(key, [port]);
    }
  }
  const items: unknown[] = [];
  const nodes = ['node-a', 'node-b', 'node-c'];
  for (const servicePorts of services.values()) {
    const { namespace, name, type, clusterIP, externalIPs, externalTrafficPolicy, healthCheckNodePort } = servicePorts[0];
    items.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace },
      spec: {
        type,
        clusterIP,
        clusterIPs: [clusterIP],
        ...(externalIPs.length ? { externalIPs } : {}),
        ...(type === 'ClusterIP' ? {} : { externalTrafficPolicy }),
        ...(healthCheckNodePort ? { healthCheckNodePort } : {}),
        ports: servicePorts.map((p) => ({
          ...(p.port ? { name: p.port } : {}),
          port: p.servicePort,
          protocol: p.protocol.toUpperCase(),
          targetPort: p.targetPort,
          ...(p.nodePort ? { nodePort: p.nodePort } : {}),
        })),
      },
    });
    // Every port of a service has the same pods (the generator's endpoints are its pods).
    const pods = servicePorts[0].endpoints.map((e, i) => ({ ip: e.ip, pod: `${name}-${i}`, node: nodes[i % nodes.length] }));
    items.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-x1`, namespace, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      ports: servicePorts.map((p) => ({ ...(p.port ? { name: p.port } : {}), port: p.targetPort, protocol: p.protocol.toUpperCase() })),
      endpoints: pods.map((p) => ({
        addresses: [p.ip],
        conditions: { ready: true },
        nodeName: p.node,
        targetRef: { kind: 'Pod', name: p.pod, namespace },
      })),
    });
    for (const p of pods) {
      items.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: p.pod, namespace },
        spec: { nodeName: p.node },
        status: { podIP: p.ip, podIPs: [{ ip: p.ip }] },
      });
    }
  }
  return { apiVersion: 'v1', kind: 'List', items };
}
