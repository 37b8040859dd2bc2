// The one door to a live cluster: reads namespaces, services, pods and endpoints and watches them, with
// every failure returned as a ClusterError value. It only ever reads (list, watch) and, on request,
// execs `iptables-save` in a kube-proxy pod; it never writes to the cluster.
import { Writable } from 'node:stream';
import { CoreV1Api, CustomObjectsApi, DiscoveryV1Api, Exec, makeInformer } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesObject, V1Pod, V1Service, V1Status } from '@kubernetes/client-node';
import { toClusterError } from './errors';
import type { ClusterAction, CredentialFacts } from './errors';
import { credentialFacts, loadKubeconfig } from './kubeconfig';
import type { KubeconfigOptions, LoadedKubeconfig } from './kubeconfig';
import { fail, ok } from './result';
import type { ClusterError, Result } from './result';
import { groupFromEndpointSlice, groupsFromEndpoints } from './snapshot';
import type { ClusterSnapshot, EndpointGroup, EndpointSource } from './snapshot';

export interface ClusterClientOptions {
  /** A call that takes longer fails with a `timeout` error (default 15 s). */
  timeoutMs?: number;
}

export interface WatchOptions {
  /** Only this namespace; all namespaces when undefined. */
  namespace?: string;
  /** Changes closer together than this become one callback (default 300 ms). */
  debounceMs?: number;
  /** A broken watch is restarted after this long (default 5 s). */
  restartMs?: number;
  onError?: (error: ClusterError) => void;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** 0 on success; the command's exit code, or -1 when the status gave none. */
  exitCode: number;
}

export interface Disposable {
  dispose(): void;
}

/** Endpoint read paths, newest first: a 404 (API not served) moves on to the next. */
const ENDPOINT_SOURCES: EndpointSource[] = ['discovery.k8s.io/v1', 'discovery.k8s.io/v1beta1', 'v1/endpoints'];

export class ClusterClient {
  private readonly kc: KubeConfig;
  private readonly core: CoreV1Api;
  private readonly discovery: DiscoveryV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly credentials: CredentialFacts;
  private readonly timeoutMs: number;

  constructor(
    readonly kubeconfig: LoadedKubeconfig,
    options: ClusterClientOptions = {},
  ) {
    this.kc = kubeconfig.kubeConfig;
    this.core = this.kc.makeApiClient(CoreV1Api);
    this.discovery = this.kc.makeApiClient(DiscoveryV1Api);
    this.custom = this.kc.makeApiClient(CustomObjectsApi);
    this.credentials = credentialFacts(this.kc);
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** Loads the kubeconfig (kubectl's rules) and makes a client for its current or given context. */
  static create(options: KubeconfigOptions & ClusterClientOptions = {}): Result<ClusterClient> {
    const loaded = loadKubeconfig(options);
    return loaded.ok ? ok(new ClusterClient(loaded.value, options)) : loaded;
  }

  get context(): string {
    return this.kubeconfig.currentContext;
  }

  get server(): string | undefined {
    return this.kubeconfig.server;
  }

  get kubeConfig(): KubeConfig {
    return this.kc;
  }

  /** Runs one API call with a deadline; its failure becomes a ClusterError. */
  async call<T>(action: ClusterAction, fn: () => Promise<T>): Promise<Result<T>> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })), this.timeoutMs);
    });
    try {
      return ok(await Promise.race([fn(), deadline]));
    } catch (err) {
      return fail(toClusterError(err, action, this.credentials));
    } finally {
      clearTimeout(timer);
    }
  }

  async listNamespaces(): Promise<Result<string[]>> {
    const r = await this.call({ verb: 'list', resource: 'namespaces' }, () => this.core.listNamespace());
    return r.ok
      ? ok(
          r.value.items
            .map((n) => n.metadata?.name ?? '')
            .filter((n) => n !== '')
            .sort(),
        )
      : r;
  }

  async listServices(namespace?: string): Promise<Result<V1Service[]>> {
    const r = await this.call({ verb: 'list', resource: 'services', namespace }, () =>
      namespace ? this.core.listNamespacedService({ namespace }) : this.core.listServiceForAllNamespaces(),
    );
    return r.ok ? ok(r.value.items) : r;
  }

  async listPods(namespace?: string): Promise<Result<V1Pod[]>> {
    const r = await this.call({ verb: 'list', resource: 'pods', namespace }, () =>
      namespace ? this.core.listNamespacedPod({ namespace }) : this.core.listPodForAllNamespaces(),
    );
    return r.ok ? ok(r.value.items) : r;
  }

  /** Endpoints from one API; a `not-served` error means the cluster is too old (or new) for it. */
  async listEndpointsFrom(source: EndpointSource, namespace?: string): Promise<Result<EndpointGroup[]>> {
    switch (source) {
      case 'discovery.k8s.io/v1': {
        const r = await this.call({ verb: 'list', resource: 'endpointslices.discovery.k8s.io', namespace }, () =>
          namespace ? this.discovery.listNamespacedEndpointSlice({ namespace }) : this.discovery.listEndpointSliceForAllNamespaces(),
        );
        return r.ok ? ok(r.value.items.map(groupFromEndpointSlice).filter(isGroup)) : r;
      }
      case 'discovery.k8s.io/v1beta1': {
        const request = { group: 'discovery.k8s.io', version: 'v1beta1', plural: 'endpointslices' };
        const r = await this.call({ verb: 'list', resource: 'endpointslices.discovery.k8s.io', namespace }, () =>
          namespace ? this.custom.listNamespacedCustomObject({ ...request, namespace }) : this.custom.listClusterCustomObject(request),
        );
        return r.ok
          ? ok(((r.value as { items?: unknown[] }).items ?? []).map((s) => groupFromEndpointSlice(s as never)).filter(isGroup))
          : r;
      }
      case 'v1/endpoints': {
        const r = await this.call({ verb: 'list', resource: 'endpoints', namespace }, () =>
          namespace ? this.core.listNamespacedEndpoints({ namespace }) : this.core.listEndpointsForAllNamespaces(),
        );
        return r.ok ? ok(r.value.items.flatMap(groupsFromEndpoints)) : r;
      }
    }
  }

  /**
   * Endpoints from discovery.k8s.io/v1 EndpointSlices, else v1beta1 (Kubernetes 1.17–1.20), else core v1
   * Endpoints. A 403 on slices also falls back, since a Role may grant endpoints but not endpointslices;
   * if every path fails, the first error that is not "not served" is returned.
   */
  async listEndpoints(namespace?: string): Promise<Result<{ source: EndpointSource; groups: EndpointGroup[] }>> {
    let firstRealError: ClusterError | undefined;
    let lastError: ClusterError | undefined;
    for (const source of ENDPOINT_SOURCES) {
      const r = await this.listEndpointsFrom(source, namespace);
      if (r.ok) {
        return ok({ source, groups: r.value });
      }
      lastError = r.error;
      if (r.error.kind !== 'not-served' && r.error.kind !== 'forbidden') {
        return r;
      }
      if (r.error.kind === 'forbidden' && !firstRealError) {
        firstRealError = r.error;
      }
    }
    return fail(firstRealError ?? lastError ?? { kind: 'other', message: 'No endpoint API answered.' });
  }

  /**
   * Everything the services model needs. Services must be readable or the whole snapshot fails;
   * pods, endpoints and the namespace list are best-effort and their failures become warnings.
   */
  async snapshot(namespace?: string): Promise<Result<ClusterSnapshot>> {
    const [services, endpoints, pods, namespaces] = await Promise.all([
      this.listServices(namespace),
      this.listEndpoints(namespace),
      this.listPods(namespace),
      namespace ? Promise.resolve(ok([namespace])) : this.listNamespaces(),
    ]);
    if (!services.ok) {
      return services;
    }
    const warnings: ClusterError[] = [];
    for (const r of [endpoints, pods, namespaces]) {
      if (!r.ok) {
        warnings.push(r.error);
      }
    }
    const namespaceNames = new Set(namespaces.ok ? namespaces.value : []);
    for (const s of services.value) {
      namespaceNames.add(s.metadata?.namespace ?? 'default');
    }
    return ok({
      namespaces: [...namespaceNames].sort(),
      services: services.value,
      pods: pods.ok ? pods.value : [],
      endpoints: endpoints.ok ? endpoints.value.groups : [],
      endpointSource: endpoints.ok ? endpoints.value.source : undefined,
      warnings,
    });
  }

  /** Lists pods in one namespace with a label selector (`k8s-app=kube-proxy`). */
  async listPodsWithLabel(namespace: string, labelSelector: string): Promise<Result<V1Pod[]>> {
    const r = await this.call({ verb: 'list', resource: 'pods', namespace }, () =>
      this.core.listNamespacedPod({ namespace, labelSelector }),
    );
    return r.ok ? ok(r.value.items) : r;
  }

  /**
   * Runs a command in a container (no stdin, no tty) and collects its output; resolves when the stream
   * closes. The only call of this client that is not a read: used to run `iptables-save` in kube-proxy.
   */
  async exec(namespace: string, pod: string, container: string, command: string[], timeoutMs = 60_000): Promise<Result<ExecResult>> {
    const action: ClusterAction = { verb: 'create', resource: 'pods/exec', namespace };
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const sink = (chunks: Buffer[]) =>
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          chunks.push(Buffer.from(chunk));
          done();
        },
      });
    let status: V1Status | undefined;
    const r = await this.call(action, async () => {
      const socket = await new Exec(this.kc).exec(
        namespace,
        pod,
        container,
        command,
        sink(stdout),
        sink(stderr),
        null,
        false,
        (s) => (status = s),
      );
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          socket.close();
          reject(Object.assign(new Error('exec timed out'), { code: 'ETIMEDOUT' }));
        }, timeoutMs);
        socket.on('close', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.on('error', (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        });
      });
    });
    if (!r.ok) {
      return r;
    }
    return ok({
      stdout: Buffer.concat(stdout).toString('utf8'),
      stderr: Buffer.concat(stderr).toString('utf8'),
      exitCode: exitCodeOf(status),
    });
  }

  /**
   * Watches services, endpoints (from `endpointSource`, as found by listEndpoints) and pods, and calls
   * `onChange` once per burst of changes, and once when the watches are up (or back after an outage),
   * since what changed between the caller's last listing and the watches' own listing comes in no event.
   */
  watch(endpointSource: EndpointSource | undefined, onChange: () => void, options: WatchOptions = {}): Disposable {
    const debounceMs = options.debounceMs ?? 300;
    const restartMs = options.restartMs ?? 5_000;
    const ns = options.namespace;
    const prefix = (group: string) => (ns ? `${group}/namespaces/${ns}` : group);
    let disposed = false;
    let debounceTimer: NodeJS.Timeout | undefined;
    const restartTimers = new Set<NodeJS.Timeout>();
    const changed = (): void => {
      if (disposed) {
        return;
      }
      clearTimeout(debounceTimer);
      debounceTimer = setTimeout(onChange, debounceMs);
    };

    type Watched = {
      action: ClusterAction;
      path: string;
      list: () => Promise<{ items: KubernetesObject[]; metadata?: { resourceVersion?: string } }>;
    };
    const watched: Watched[] = [
      {
        action: { verb: 'watch', resource: 'services', namespace: ns },
        path: `${prefix('/api/v1')}/services`,
        list: () => (ns ? this.core.listNamespacedService({ namespace: ns }) : this.core.listServiceForAllNamespaces()),
      },
      {
        action: { verb: 'watch', resource: 'pods', namespace: ns },
        path: `${prefix('/api/v1')}/pods`,
        list: () => (ns ? this.core.listNamespacedPod({ namespace: ns }) : this.core.listPodForAllNamespaces()),
      },
    ];
    if (endpointSource === 'discovery.k8s.io/v1') {
      watched.push({
        action: { verb: 'watch', resource: 'endpointslices.discovery.k8s.io', namespace: ns },
        path: `${prefix('/apis/discovery.k8s.io/v1')}/endpointslices`,
        list: () =>
          ns ? this.discovery.listNamespacedEndpointSlice({ namespace: ns }) : this.discovery.listEndpointSliceForAllNamespaces(),
      });
    } else if (endpointSource === 'discovery.k8s.io/v1beta1') {
      const request = { group: 'discovery.k8s.io', version: 'v1beta1', plural: 'endpointslices' };
      watched.push({
        action: { verb: 'watch', resource: 'endpointslices.discovery.k8s.io', namespace: ns },
        path: `${prefix('/apis/discovery.k8s.io/v1beta1')}/endpointslices`,
        list: () =>
          ns ? this.custom.listNamespacedCustomObject({ ...request, namespace: ns }) : this.custom.listClusterCustomObject(request),
      });
    } else if (endpointSource === 'v1/endpoints') {
      watched.push({
        action: { verb: 'watch', resource: 'endpoints', namespace: ns },
        path: `${prefix('/api/v1')}/endpoints`,
        list: () => (ns ? this.core.listNamespacedEndpoints({ namespace: ns }) : this.core.listEndpointsForAllNamespaces()),
      });
    }

    const informers = watched.map((w) => {
      const informer = makeInformer(this.kc, w.path, w.list);
      let listed = false;
      let failures = 0;
      const onObject = (): void => {
        if (listed) {
          changed();
        }
      };
      informer.on('add', onObject);
      informer.on('update', onObject);
      informer.on('delete', onObject);
      const start = (): void => {
        listed = false;
        const failuresBefore = failures;
        informer.start().then(
          () => {
            listed = true;
            // client-node's ListWatch opens its watch even when stop() came during the initial list: close it.
            if (disposed) {
              informer.stop().catch(() => undefined);
            } else if (failures === failuresBefore) {
              // The list and watch are up (a failure would have counted before start() resolved). Report it once:
              // what changed between the caller's own listing (or an outage) and this list came in no event.
              failures = 0;
              changed();
            }
          },
          (err: unknown) => onInformerError(err),
        );
      };
      const onInformerError = (err: unknown): void => {
        if (disposed) {
          return;
        }
        options.onError?.(toClusterError(err, w.action, this.credentials));
        // A watch that keeps failing (RBAC allows list but not watch, say) is retried ever less often, up to a minute.
        failures += 1;
        const delay = Math.min(restartMs * 2 ** (failures - 1), 60_000);
        const timer = setTimeout(() => {
          restartTimers.delete(timer);
          if (!disposed) {
            start();
          }
        }, delay);
        restartTimers.add(timer);
      };
      informer.on('error', onInformerError);
      start();
      return informer;
    });

    return {
      dispose: () => {
        disposed = true;
        clearTimeout(debounceTimer);
        restartTimers.forEach((t) => clearTimeout(t));
        for (const informer of informers) {
          informer.stop().catch(() => undefined);
        }
      },
    };
  }
}

/** The exit code in an exec stream's final status (`Success`, or `Failure` with an `ExitCode` cause). */
function exitCodeOf(status: V1Status | undefined): number {
  if (!status) {
    return -1;
  }
  if (status.status === 'Success') {
    return 0;
  }
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const code = Number(cause?.message);
  return Number.isInteger(code) ? code : -1;
}

function isGroup(g: EndpointGroup | undefined): g is EndpointGroup {
  return g !== undefined;
}
