// "iptables Lens: Trace a Packet…": asks for a packet (default: the service address on the rule under the
// cursor), runs the tracer on the open dump, shows outcomes → paths → rules in the Packet Trace view, and
// highlights the visited rules in the editor (the selected outcome's or path's, or all of them).
//
// The tracer runs here, in the extension host, on the document's text: parseDump and tracePacket are pure and
// bundled with the client, so tracing needs no request to the language server and works on any open dump.
import * as vscode from 'vscode';
import { toTreeItem } from '../treeItem';
import { parseDump } from '../../../server/src/parse/index';
import { formatPacketSpec, parsePacketSpec } from '../../../server/src/trace/spec';
import { tracePacket } from '../../../server/src/trace/tracer';
import type { TraceResult } from '../../../server/src/trace/types';
import { formatPercent } from '../../../server/src/trace/format';
import { packetAtCursor } from './packetAtCursor';
import { TRACE_COMMANDS, traceRoots, visitedRules } from './traceNodes';
import type { RuleRevealTarget, TraceNode } from './traceNodes';

export const TRACE_VIEW_ID = 'iptablesLens.trace';
const FALLBACK_PACKET = '10.96.0.1:443/tcp';

interface CurrentTrace {
  result: TraceResult;
  uri: string;
  packetText: string;
}

class TraceTreeProvider implements vscode.TreeDataProvider<TraceNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TraceNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  current: CurrentTrace | undefined;

  show(current: CurrentTrace | undefined): void {
    this.current = current;
    this.changed.fire(undefined);
  }

  getTreeItem(node: TraceNode): vscode.TreeItem {
    return toTreeItem(node.getTreeItem());
  }

  getChildren(node?: TraceNode): TraceNode[] {
    return node ? node.getChildren() : traceRoots(this.current?.result, this.current?.uri, this.current?.packetText ?? '');
  }

  getParent(node: TraceNode): TraceNode | undefined {
    return node.parent;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** Registers the trace command, the Packet Trace view and the highlight of visited rules. `client` is not needed. */
export function registerTracer(context: vscode.ExtensionContext, _client?: unknown): void {
  const provider = new TraceTreeProvider();
  const view = vscode.window.createTreeView(TRACE_VIEW_ID, { treeDataProvider: provider, showCollapseAll: true });
  const decoration = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor('editor.findMatchHighlightBackground'),
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.findMatchForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Center,
  });
  let highlighted: { line: number; start: number; end: number; probability: number }[] = [];
  let lastPacket: string | undefined;

  const paint = (): void => {
    for (const editor of vscode.window.visibleTextEditors) {
      const mine = provider.current && editor.document.uri.toString() === provider.current.uri;
      editor.setDecorations(
        decoration,
        mine
          ? highlighted.map((h) => ({
              range: new vscode.Range(h.line, h.start, h.line, h.end),
              hoverMessage: `Visited by ${formatPercent(h.probability)} of the traced packet's paths`,
              renderOptions: {
                after: {
                  contentText: `  ← trace ${formatPercent(h.probability)}`,
                  color: new vscode.ThemeColor('editorCodeLens.foreground'),
                },
              },
            }))
          : [],
      );
    }
  };
  const highlightAll = (): void => {
    highlighted = provider.current ? visitedRules(provider.current.result.paths) : [];
    paint();
  };
  const clear = (): void => {
    provider.show(undefined);
    highlighted = [];
    view.message = undefined;
    paint();
  };

  context.subscriptions.push(
    provider,
    view,
    decoration,
    view.onDidChangeSelection((e) => {
      const node = e.selection[0];
      const paths = node?.highlightedPaths() ?? [];
      if (paths.length) {
        highlighted = visitedRules(paths);
        paint();
      } else {
        highlightAll();
      }
    }),
    vscode.window.onDidChangeVisibleTextEditors(paint),
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (provider.current && e.document.uri.toString() === provider.current.uri && e.contentChanges.length) {
        clear();
        view.message = 'The dump changed: trace the packet again.';
      }
    }),
    // `spec` (optional): the packet in the input box's syntax, to trace without asking (keybindings, other extensions).
    vscode.commands.registerCommand(TRACE_COMMANDS.trace, async (spec?: unknown) => {
      const editor = vscode.window.activeTextEditor;
      if (!editor) {
        void vscode.window.showInformationMessage(
          'Open an iptables dump (iptables-save, iptables -S or iptables -L output) to trace a packet through it.',
        );
        return;
      }
      const document = editor.document;
      const dump = parseDump(document.getText());
      if (dump.tables.length === 0) {
        void vscode.window.showWarningMessage('No iptables rules found in this document.');
        return;
      }
      const cursor = editor.selection.active;
      const suggested =
        packetAtCursor(dump, document.lineAt(cursor.line).text, cursor.line, cursor.character) ?? lastPacket ?? FALLBACK_PACKET;
      const input =
        typeof spec === 'string'
          ? spec
          : await vscode.window.showInputBox({
              title: 'Trace a packet',
              prompt: 'DST[:PORT][/PROTO] [from SRC] [pod|external|node] [in IFACE] [out IFACE] [local NODE-IP,…]',
              value: suggested,
              validateInput: (text) => {
                const parsed = parsePacketSpec(text);
                return typeof parsed === 'string' ? parsed : undefined;
              },
            });
      if (input === undefined) {
        return;
      }
      const packet = parsePacketSpec(input);
      if (typeof packet === 'string') {
        void vscode.window.showErrorMessage(`Trace a packet: ${packet}`);
        return;
      }
      lastPacket = input;
      const result = tracePacket(dump, packet);
      view.message = undefined;
      provider.show({ result, uri: document.uri.toString(), packetText: formatPacketSpec(result.packet) });
      highlightAll();
      await vscode.commands.executeCommand(`${TRACE_VIEW_ID}.focus`);
    }),
    vscode.commands.registerCommand(TRACE_COMMANDS.reveal, async (target: RuleRevealTarget) => {
      const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(target.uri));
      const editor = await vscode.window.showTextDocument(document, { preserveFocus: false, preview: false });
      const range = new vscode.Range(target.line, target.start, target.line, target.end);
      editor.selection = new vscode.Selection(range.start, range.end);
      editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    }),
    vscode.commands.registerCommand(TRACE_COMMANDS.clear, clear),
  );
}
