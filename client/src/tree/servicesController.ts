// What the Services view shows and why, without vscode: picks the source (snapshot file, live cluster,
// or the open dump alone), keeps a watch on the cluster, and turns every failure into message nodes.
// servicesView.ts gives it its vscode-side dependencies; tests give it real ones without an editor.
import * as path from 'node:path';
import type { ClusterClient, Disposable } from '../cluster/clusterClient';
import type { Result, ClusterError } from '../cluster/result';
import { buildServicesModel, findChain, modelFromDump } from '../cluster/servicesModel';
import type { DumpChainIndex, ServicesModel } from '../cluster/servicesModel';
import { parseSnapshotText } from '../cluster/snapshot';
import type { DumpServicePort } from '../../../server/src/kube/types';
import { ContextNode } from './contextNode';
import { EndpointNode } from './endpointNode';
import { MessageNode } from './messageNode';
import { NamespaceNode } from './namespaceNode';
import { PortNode } from './portNode';
import { ServiceNode } from './serviceNode';
import { SERVICES_COMMANDS } from './treeNode';
import type { ServicesTreeNode } from './treeNode';

/** The open dump, as the language server analysed it. */
export interface OpenDump {
  uri: string;
  index: DumpChainIndex;
  /** The services the language server reconstructed from the dump, for offline mode. */
  ports?: DumpServicePort[];
}

export interface ServicesControllerDeps {
  /** A client for the given context (undefined: the kubeconfig's current one). */
  createClient(context: string | undefined): Result<ClusterClient>;
  /** The kubeconfig's contexts and its current context, even when that one is broken. */
  listContexts(): Result<{ contexts: string[]; current: string }>;
  /** The dump in the active editor, or undefined; must not throw. */
  openDump(): Promise<OpenDump | undefined>;
  readFile(file: string): Promise<string>;
  /** Debounce of watch events (default 300 ms). */
  debounceMs?: number;
}

export class ServicesController {
  private roots: ServicesTreeNode[] = [];
  private listeners: Array<() => void> = [];
  private client: ClusterClient | undefined;
  private watch: { key: string; handle: Disposable } | undefined;
  private watchError: ClusterError | undefined;
  private generation = 0;
  private disposed = false;
  /** The model on screen (undefined when only messages are shown). */
  model: ServicesModel | undefined;
  context: string | undefined;
  namespaceFilter: string | undefined;
  snapshotFile: string | undefined;

  constructor(private readonly deps: ServicesControllerDeps) {}

  /** Called after every rebuild of the tree. */
  onDidChange(listener: () => void): Disposable {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  }

  getRoots(): ServicesTreeNode[] {
    return this.roots;
  }

  /** The context in use: the chosen one, else the client's (the kubeconfig's current context). */
  get currentContext(): string | undefined {
    return this.context ?? this.client?.context;
  }

  async setContext(context: string | undefined): Promise<void> {
    this.context = context;
    await this.refresh();
  }

  async setNamespaceFilter(namespace: string | undefined): Promise<void> {
    this.namespaceFilter = namespace || undefined;
    await this.refresh();
  }

  async loadSnapshot(file: string | undefined): Promise<void> {
    this.snapshotFile = file;
    await this.refresh();
  }

  /** Contexts of the kubeconfig, for the context picker. */
  contexts(): Result<{ contexts: string[]; current: string }> {
    return this.deps.listContexts();
  }

  /** Rebuilds the tree from the current source; never throws. Concurrent calls: the last one wins. */
  async refresh(): Promise<void> {
    if (this.disposed) {
      return;
    }
    const generation = ++this.generation;
    const dump = await this.deps.openDump().catch(() => undefined);
    const roots = await this.build(dump);
    if (generation !== this.generation || this.disposed) {
      return;
    }
    this.roots = roots;
    this.listeners.forEach((l) => l());
  }

  private async build(dump: OpenDump | undefined): Promise<ServicesTreeNode[]> {
    if (this.snapshotFile) {
      this.stopWatch();
      return this.fromSnapshot(this.snapshotFile, dump);
    }
    const created = this.deps.createClient(this.context);
    if (!created.ok) {
      this.stopWatch();
      this.client = undefined;
      return this.offline(created.error, dump);
    }
    this.client = created.value;
    const snapshot = await this.client.snapshot(this.namespaceFilter);
    if (!snapshot.ok) {
      this.stopWatch();
      return this.offline(snapshot.error, dump);
    }
    this.ensureWatch(this.client, snapshot.value.endpointSource);
    const warnings = this.watchError ? [...snapshot.value.warnings, this.watchError] : snapshot.value.warnings;
    this.model = buildServicesModel(
      { ...snapshot.value, warnings },
      { kind: 'cluster', context: this.client.context, server: this.client.server, endpointSource: snapshot.value.endpointSource },
      dump?.index,
    );
    return [new ContextNode(this.model, this.namespaceFilter)];
  }

  private async fromSnapshot(file: string, dump: OpenDump | undefined): Promise<ServicesTreeNode[]> {
    let text: string;
    try {
      text = await this.deps.readFile(file);
    } catch (err) {
      this.model = undefined;
      return [
        new MessageNode(
          undefined,
          `Cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`,
          'error',
          undefined,
          SERVICES_COMMANDS.loadSnapshot,
        ),
      ];
    }
    const parsed = parseSnapshotText(text, path.basename(file));
    if (!parsed.ok) {
      this.model = undefined;
      return [MessageNode.fromError(undefined, parsed.error, 'error', SERVICES_COMMANDS.loadSnapshot)];
    }
    this.model = buildServicesModel(parsed.value, { kind: 'snapshot', file, endpointSource: parsed.value.endpointSource }, dump?.index);
    return [new ContextNode(this.model, this.namespaceFilter)];
  }

  /** Without a cluster: the error, then the open dump's own services if there is a dump. */
  private offline(error: ClusterError, dump: OpenDump | undefined): ServicesTreeNode[] {
    const nodes: ServicesTreeNode[] = [
      MessageNode.fromError(
        undefined,
        error,
        'error',
        error.kind === 'no-context' ? SERVICES_COMMANDS.switchContext : SERVICES_COMMANDS.refresh,
      ),
    ];
    if (dump?.ports) {
      this.model = modelFromDump(dump.uri, dump.ports);
      nodes.push(new ContextNode(this.model, this.namespaceFilter));
    } else {
      this.model = undefined;
      nodes.push(
        new MessageNode(
          undefined,
          'Open an iptables dump or load a snapshot file to work offline.',
          'info',
          undefined,
          SERVICES_COMMANDS.loadSnapshot,
        ),
      );
    }
    return nodes;
  }

  private ensureWatch(client: ClusterClient, endpointSource: string | undefined): void {
    if (this.disposed) {
      return;
    }
    const key = `${client.context}|${client.server}|${this.namespaceFilter ?? ''}|${endpointSource ?? ''}`;
    if (this.watch?.key === key) {
      return;
    }
    this.stopWatch();
    const handle = client.watch(
      endpointSource as never,
      () => {
        this.watchError = undefined;
        void this.refresh();
      },
      {
        namespace: this.namespaceFilter,
        debounceMs: this.deps.debounceMs,
        onError: (error) => {
          this.watchError = { ...error, message: `Live updates stopped: ${error.message}` };
          void this.refresh();
        },
      },
    );
    this.watch = { key, handle };
  }

  private stopWatch(): void {
    this.watch?.handle.dispose();
    this.watch = undefined;
    this.watchError = undefined;
  }

  /** The tree node (port or endpoint) of a chain, with its ancestors built, for TreeView.reveal. */
  findNodeForChain(chain: string): ServicesTreeNode | undefined {
    const root = this.roots.find((r): r is ContextNode => r instanceof ContextNode);
    if (!root || !this.model) {
      return undefined;
    }
    const hit = findChain(this.model, chain);
    if (!hit) {
      return undefined;
    }
    const namespace = root
      .getChildren()
      .find((n): n is NamespaceNode => n instanceof NamespaceNode && n.namespace.name === hit.namespace.name);
    const service = namespace?.getChildren().find((n): n is ServiceNode => n instanceof ServiceNode && n.service.name === hit.service.name);
    const port = service?.getChildren().find((n): n is PortNode => n instanceof PortNode && n.port === hit.port);
    if (!port || !hit.endpoint) {
      return port;
    }
    return port.getChildren().find((n): n is EndpointNode => n instanceof EndpointNode && n.endpoint === hit.endpoint);
  }

  dispose(): void {
    this.disposed = true;
    this.stopWatch();
    this.listeners = [];
  }
}
