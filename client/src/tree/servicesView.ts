// Registers the Services view: the tree, its commands, the context status bar item, and what makes it
// refresh. All decisions about what to show live in ServicesController; this file only connects vscode.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { ClusterClient } from '../cluster/clusterClient';
import { mergeKubeconfigFiles } from '../cluster/kubeconfig';
import { fetchNatTable, kubeProxyPods } from '../cluster/natTable';
import { fetchServicePorts } from '../cluster/servicePages';
import type { ServicesPage } from '../cluster/servicePages';
import { chainIndexFromDump, dumpChainIndex } from '../cluster/servicesModel';
import { parseDump } from '../../../server/src/parse';
import { EndpointNode } from './endpointNode';
import { ServicesController } from './servicesController';
import type { OpenDump } from './servicesController';
import { ServicesTreeProvider } from './servicesTreeProvider';
import { SERVICES_COMMANDS } from './treeNode';
import type { RevealTarget } from './treeNode';

export const SERVICES_VIEW_ID = 'iptablesLens.services';
const SERVICES_REQUEST = 'iptablesLens/services';

function kubeconfigSetting(): string | undefined {
  return vscode.workspace.getConfiguration('iptablesLens').get<string>('kubeconfig') || undefined;
}

function activeDump(): vscode.TextDocument | undefined {
  const document = vscode.window.activeTextEditor?.document;
  return document?.languageId === 'iptables' ? document : undefined;
}

/** The last answer of `openDump`, by document and version: the view refreshes often, a dump changes less. */
let lastDump: { uri: string; version: number; dump: OpenDump } | undefined;

/**
 * The dump in the active editor: the language server's services analysis, else the parser's chains. Asked once
 * per document version, in pages (a 20,000-service dump's service ports are about 50 MB of JSON).
 */
async function openDump(client: LanguageClient): Promise<OpenDump | undefined> {
  const document = activeDump();
  if (!document) {
    return undefined;
  }
  const uri = document.uri.toString();
  const version = document.version;
  if (lastDump?.uri === uri && lastDump.version === version) {
    return lastDump.dump;
  }
  let dump: OpenDump;
  try {
    const ports = await fetchServicePorts((params) => client.sendRequest<ServicesPage>(SERVICES_REQUEST, params), uri);
    dump = { uri, index: dumpChainIndex(uri, ports), ports };
  } catch {
    // A server without the request still lets the view link chains by name.
    dump = { uri, index: chainIndexFromDump(uri, parseDump(document.getText())) };
  }
  lastDump = { uri, version, dump };
  return dump;
}

/**
 * Fetches a node's nat table from its kube-proxy pod, after the user confirms, and opens it as a new
 * iptables document. `node` comes from an endpoint item, else from a picker of the nodes running kube-proxy.
 */
async function fetchLiveNatTable(context: string | undefined, node: string | undefined): Promise<void> {
  const created = ClusterClient.create({ kubeconfigPath: kubeconfigSetting(), context });
  if (!created.ok) {
    void vscode.window.showWarningMessage(`${created.error.message}${created.error.hint ? ` ${created.error.hint}` : ''}`);
    return;
  }
  const client = created.value;
  if (!node) {
    const pods = await kubeProxyPods(client);
    if (!pods.ok || pods.value.length === 0) {
      const message = pods.ok
        ? 'No running kube-proxy pod in kube-system: nothing to fetch a nat table from (k3s/k0s embed kube-proxy; Cilium or Calico eBPF replace it).'
        : pods.error.message;
      void vscode.window.showWarningMessage(message);
      return;
    }
    const picked = await vscode.window.showQuickPick(
      pods.value.map((p) => ({ label: p.node, description: `${p.namespace}/${p.pod}` })),
      { title: 'Fetch the nat table of which node?' },
    );
    if (!picked) {
      return;
    }
    node = picked.label;
  }
  const confirm = 'Run iptables-save';
  const answer = await vscode.window.showWarningMessage(
    `Run \`iptables-save -t nat\` in the kube-proxy pod of node ${node} (context ${client.context})?`,
    {
      modal: true,
      detail:
        'If that binary is missing, iptables-nft-save -t nat and then iptables-legacy-save -t nat are tried instead. These commands only read the rules; they need the pods/exec permission.',
    },
    confirm,
  );
  if (answer !== confirm) {
    return;
  }
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Fetching the nat table of ${node}…` },
    () => fetchNatTable(client, node as string),
  );
  if (!result.ok) {
    void vscode.window.showErrorMessage(`${result.error.message}${result.error.hint ? ` ${result.error.hint}` : ''}`);
    return;
  }
  const document = await vscode.workspace.openTextDocument({ language: 'iptables', content: result.value.text });
  await vscode.window.showTextDocument(document);
  if (result.value.note) {
    void vscode.window.showInformationMessage(result.value.note);
  }
}

/** Adds the Services view to the iptables Lens activity bar container. */
export function registerServicesView(context: vscode.ExtensionContext, client: LanguageClient): void {
  const controller = new ServicesController({
    createClient: (name) => ClusterClient.create({ kubeconfigPath: kubeconfigSetting(), context: name }),
    listContexts: () => {
      const merged = mergeKubeconfigFiles({ kubeconfigPath: kubeconfigSetting() });
      return merged.ok ? { ok: true, value: { contexts: merged.value.contexts, current: merged.value.currentContext } } : merged;
    },
    openDump: () => openDump(client),
    readFile: (file) => fs.promises.readFile(file, 'utf8'),
  });
  const provider = new ServicesTreeProvider(controller);
  const view = vscode.window.createTreeView(SERVICES_VIEW_ID, { treeDataProvider: provider, showCollapseAll: true });
  const status = vscode.window.createStatusBarItem('iptablesLens.context', vscode.StatusBarAlignment.Left, 10);
  status.name = 'iptables Lens: Kubernetes context';
  status.command = SERVICES_COMMANDS.switchContext;

  let started = false;
  const start = (): void => {
    if (!started && view.visible) {
      started = true;
      void controller.refresh();
    }
  };
  let refreshTimer: NodeJS.Timeout | undefined;
  const refreshSoon = (): void => {
    if (!started) {
      return;
    }
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => void controller.refresh(), 250);
  };
  const updateStatus = (): void => {
    const context = controller.currentContext;
    status.text = `$(cloud) ${context ?? 'no cluster'}${controller.namespaceFilter ? `/${controller.namespaceFilter}` : ''}`;
    status.tooltip = controller.snapshotFile
      ? `Services from snapshot ${controller.snapshotFile}`
      : 'Switch the Kubernetes context of the Services view';
    view.message = controller.snapshotFile ? `Snapshot: ${controller.snapshotFile}` : undefined;
    if (started) {
      status.show();
    }
  };

  context.subscriptions.push(
    provider,
    view,
    status,
    { dispose: () => controller.dispose() },
    { dispose: () => clearTimeout(refreshTimer) },
    controller.onDidChange(updateStatus),
    view.onDidChangeVisibility(start),
    vscode.window.onDidChangeActiveTextEditor(refreshSoon),
    vscode.workspace.onDidSaveTextDocument((d) => d.languageId === 'iptables' && refreshSoon()),
    vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('iptablesLens.kubeconfig') && refreshSoon()),
    vscode.commands.registerCommand(SERVICES_COMMANDS.refresh, () => controller.refresh()),
    vscode.commands.registerCommand(SERVICES_COMMANDS.switchContext, async () => {
      const contexts = controller.contexts();
      if (!contexts.ok) {
        void vscode.window.showWarningMessage(`${contexts.error.message}${contexts.error.hint ? ` ${contexts.error.hint}` : ''}`);
        return;
      }
      const current = controller.currentContext ?? contexts.value.current;
      const picked = await vscode.window.showQuickPick(
        contexts.value.contexts.map((c) => ({ label: c, description: c === current ? 'current' : undefined })),
        { title: 'Kubernetes context for the Services view', placeHolder: current },
      );
      if (picked) {
        await controller.loadSnapshot(undefined);
        await controller.setContext(picked.label);
      }
    }),
    vscode.commands.registerCommand(SERVICES_COMMANDS.filterNamespace, async () => {
      const names = controller.model?.namespaces.map((n) => n.name) ?? [];
      const all = '$(list-flat) All namespaces';
      const picked = await vscode.window.showQuickPick([all, ...names], {
        title: 'Show services of one namespace',
        placeHolder: controller.namespaceFilter ?? 'all namespaces',
      });
      if (picked !== undefined) {
        await controller.setNamespaceFilter(picked === all ? undefined : picked);
      }
    }),
    vscode.commands.registerCommand(SERVICES_COMMANDS.loadSnapshot, async () => {
      const files = await vscode.window.showOpenDialog({
        title: 'Load `kubectl get svc,endpointslices,pods -A -o yaml` (or -o json) output',
        canSelectMany: false,
        filters: { 'kubectl output': ['yaml', 'yml', 'json'], 'All files': ['*'] },
      });
      if (files?.[0]) {
        started = true;
        await controller.loadSnapshot(files[0].fsPath);
      }
    }),
    vscode.commands.registerCommand(SERVICES_COMMANDS.clearSnapshot, () => controller.loadSnapshot(undefined)),
    vscode.commands.registerCommand(SERVICES_COMMANDS.fetchNatTable, (item?: unknown) =>
      fetchLiveNatTable(controller.currentContext, item instanceof EndpointNode ? item.endpoint.node : undefined),
    ),
    vscode.commands.registerCommand(SERVICES_COMMANDS.revealChain, async (target: RevealTarget) => {
      const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(target.uri));
      const editor = await vscode.window.showTextDocument(document, { preserveFocus: false });
      if (target.span) {
        const range = new vscode.Range(target.span.line, target.span.start, target.span.line, target.span.end);
        editor.selection = new vscode.Selection(range.start, range.end);
        editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      }
    }),
    vscode.commands.registerCommand(SERVICES_COMMANDS.revealInTree, async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) {
        return;
      }
      const range = editor.document.getWordRangeAtPosition(editor.selection.active, /KUBE-(SVC|SVL|EXT|FW|XLB|SEP)-[A-Z0-9]{16}/);
      if (!range) {
        void vscode.window.showInformationMessage('Put the cursor on a KUBE-SVC-… or KUBE-SEP-… chain name.');
        return;
      }
      const chain = editor.document.getText(range);
      if (!started) {
        started = true;
        await controller.refresh();
      }
      const node = controller.findNodeForChain(chain);
      if (!node) {
        void vscode.window.showInformationMessage(`${chain} belongs to no service the Services view shows.`);
        return;
      }
      await view.reveal(node, { select: true, focus: true, expand: true });
    }),
  );
  start();
  updateStatus();
}
