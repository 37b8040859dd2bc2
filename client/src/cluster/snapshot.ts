// What the services model is built from: services, pods and endpoints of a cluster, read live or from a
// `kubectl get svc,endpointslices,pods -A -o json|yaml` file. Endpoints from any of the three APIs
// (discovery.k8s.io/v1 and v1beta1 EndpointSlices, core v1 Endpoints) are brought to one shape here.
import { loadAllYaml } from '@kubernetes/client-node';
import type { V1Endpoints, V1Pod, V1Service } from '@kubernetes/client-node';
import { fail, ok } from './result';
import type { ClusterError, Result } from './result';

export type EndpointSource = 'discovery.k8s.io/v1' | 'discovery.k8s.io/v1beta1' | 'v1/endpoints';

export interface EndpointAddress {
  ip: string;
  ready: boolean;
  nodeName?: string;
  podName?: string;
}

/** One EndpointSlice, or one subset of a core Endpoints object: ports × addresses of a service. */
export interface EndpointGroup {
  namespace: string;
  service: string;
  ports: Array<{ name: string; port: number; protocol: string }>;
  addresses: EndpointAddress[];
}

export interface ClusterSnapshot {
  namespaces: string[];
  services: V1Service[];
  pods: V1Pod[];
  endpoints: EndpointGroup[];
  /** Which API the endpoints came from; undefined when none could be read. */
  endpointSource?: EndpointSource;
  /** Calls that failed without making the whole view fail (pods forbidden, endpoints unreadable …). */
  warnings: ClusterError[];
}

interface SliceLike {
  apiVersion?: string;
  metadata?: { namespace?: string; name?: string; labels?: Record<string, string> };
  ports?: Array<{ name?: string; port?: number; protocol?: string }> | null;
  endpoints?: Array<{
    addresses?: string[];
    conditions?: { ready?: boolean | null };
    nodeName?: string;
    topology?: Record<string, string>;
    targetRef?: { kind?: string; name?: string };
  }> | null;
}

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** An EndpointSlice (v1 or v1beta1) as an EndpointGroup; undefined when no service owns it. */
export function groupFromEndpointSlice(slice: SliceLike): EndpointGroup | undefined {
  const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  if (!service) {
    return undefined;
  }
  const addresses: EndpointAddress[] = [];
  for (const endpoint of slice.endpoints ?? []) {
    // A nil `ready` means "unknown", which consumers (kube-proxy included) treat as ready.
    const ready = endpoint.conditions?.ready ?? true;
    const nodeName = endpoint.nodeName ?? endpoint.topology?.['kubernetes.io/hostname'];
    const podName = endpoint.targetRef?.kind === 'Pod' ? endpoint.targetRef.name : undefined;
    // kube-proxy only uses an endpoint's first address.
    const ip = endpoint.addresses?.[0];
    if (ip) {
      addresses.push({ ip, ready, nodeName, podName });
    }
  }
  return {
    namespace: slice.metadata?.namespace ?? 'default',
    service,
    ports: (slice.ports ?? [])
      .filter((p) => typeof p.port === 'number')
      .map((p) => ({ name: p.name ?? '', port: p.port as number, protocol: p.protocol ?? 'TCP' })),
    addresses,
  };
}

/** A core v1 Endpoints object as one EndpointGroup per subset. */
export function groupsFromEndpoints(endpoints: V1Endpoints): EndpointGroup[] {
  const namespace = endpoints.metadata?.namespace ?? 'default';
  const service = endpoints.metadata?.name ?? '';
  return (endpoints.subsets ?? []).map((subset) => {
    const toAddress =
      (ready: boolean) =>
      (a: { ip: string; nodeName?: string; targetRef?: { kind?: string; name?: string } }): EndpointAddress => ({
        ip: a.ip,
        ready,
        nodeName: a.nodeName,
        podName: a.targetRef?.kind === 'Pod' ? a.targetRef.name : undefined,
      });
    return {
      namespace,
      service,
      ports: (subset.ports ?? []).map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' })),
      addresses: [...(subset.addresses ?? []).map(toAddress(true)), ...(subset.notReadyAddresses ?? []).map(toAddress(false))],
    };
  });
}

/** Builds a snapshot from a flat list of Kubernetes objects (Lists are unpacked). */
export function snapshotFromObjects(objects: unknown[]): ClusterSnapshot {
  const services: V1Service[] = [];
  const pods: V1Pod[] = [];
  const slices: SliceLike[] = [];
  const coreEndpoints: V1Endpoints[] = [];
  const namespaces = new Set<string>();
  const visit = (object: unknown): void => {
    if (!object || typeof object !== 'object') {
      return;
    }
    const o = object as { kind?: string; apiVersion?: string; items?: unknown[]; metadata?: { namespace?: string; name?: string } };
    if (Array.isArray(o.items)) {
      o.items.forEach(visit);
      return;
    }
    if (o.metadata?.namespace) {
      namespaces.add(o.metadata.namespace);
    }
    switch (o.kind) {
      case 'Service':
        services.push(o as V1Service);
        break;
      case 'Pod':
        pods.push(o as V1Pod);
        break;
      case 'EndpointSlice':
        slices.push(o as SliceLike);
        break;
      case 'Endpoints':
        coreEndpoints.push(o as V1Endpoints);
        break;
      case 'Namespace':
        if (o.metadata?.name) {
          namespaces.add(o.metadata.name);
        }
        break;
    }
  };
  objects.forEach(visit);
  // Slices win over core Endpoints when a file has both, as they do for kube-proxy.
  let endpoints: EndpointGroup[];
  let endpointSource: EndpointSource | undefined;
  if (slices.length > 0) {
    endpoints = slices.map(groupFromEndpointSlice).filter((g): g is EndpointGroup => g !== undefined);
    endpointSource = slices.some((s) => s.apiVersion === 'discovery.k8s.io/v1beta1') ? 'discovery.k8s.io/v1beta1' : 'discovery.k8s.io/v1';
  } else {
    endpoints = coreEndpoints.flatMap(groupsFromEndpoints);
    endpointSource = coreEndpoints.length > 0 ? 'v1/endpoints' : undefined;
  }
  return { namespaces: [...namespaces].sort(), services, pods, endpoints, endpointSource, warnings: [] };
}

/** Reads `kubectl get … -o json` or `-o yaml` output (one document, a List, or several YAML documents). */
export function parseSnapshotText(text: string, fileName = 'snapshot'): Result<ClusterSnapshot> {
  let documents: unknown[];
  try {
    // client-node's own YAML loader; JSON is YAML, so `-o json` goes through it too.
    documents = loadAllYaml(text).filter((d) => d !== null && d !== undefined);
  } catch (err) {
    return fail({
      kind: 'bad-snapshot',
      message: `${fileName} is not kubectl JSON or YAML: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
    });
  }
  const snapshot = snapshotFromObjects(documents);
  if (snapshot.services.length === 0) {
    return fail({
      kind: 'bad-snapshot',
      message: `${fileName} holds no Service objects.`,
      hint: 'Save one with `kubectl get svc,endpointslices,pods -A -o yaml > snapshot.yaml`.',
    });
  }
  return ok(snapshot);
}
