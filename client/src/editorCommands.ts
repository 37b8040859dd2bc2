// Commands that connect the editor to the language server: peeking a service's endpoints from its code
// lens, and opening a dump too large for VS Code to hand to extensions.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { Location, Position } from 'vscode-languageclient/node';

/** The server's request for a dump it reads from disk itself (see README). */
const OPEN_LARGE_DUMP = 'iptablesLens/openLargeDump';

interface LargeDumpSummary {
  uri: string;
  bytes: number;
  lines: number;
  tables: { name: string; format: string; chains: number; rules: number }[];
}

export function registerEditorCommands(context: vscode.ExtensionContext, client: LanguageClient): void {
  context.subscriptions.push(
    // The server's code lenses carry LSP locations; VS Code's peek wants its own types.
    vscode.commands.registerCommand('iptablesLens.peekLocations', (uri: string, position: Position, locations: Location[]) => {
      const p2c = client.protocol2CodeConverter;
      return vscode.commands.executeCommand(
        'editor.action.peekLocations',
        vscode.Uri.parse(uri),
        p2c.asPosition(position),
        locations.map((l) => p2c.asLocation(l)),
        'peek',
      );
    }),
    vscode.commands.registerCommand('iptablesLens.openLargeDump', async (target?: vscode.Uri) => {
      const file =
        target ??
        (await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Open Large Dump', title: 'A dump over 50 MB, read by the language server' }))?.[0];
      if (!file) {
        return undefined;
      }
      if (file.scheme !== 'file') {
        void vscode.window.showWarningMessage('iptables Lens reads large dumps from local files only.');
        return undefined;
      }
      try {
        const summary = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `iptables Lens: reading ${file.fsPath}`, cancellable: true },
          (_progress, token) => client.sendRequest<LargeDumpSummary | null>(OPEN_LARGE_DUMP, { path: file.fsPath }, token),
        );
        if (!summary) {
          return undefined;
        }
        const chains = summary.tables.reduce((n, t) => n + t.chains, 0);
        const rules = summary.tables.reduce((n, t) => n + t.rules, 0);
        void vscode.window.showInformationMessage(
          `iptables Lens read ${summary.lines.toLocaleString()} lines: ${summary.tables.map((t) => t.name).join(', ')} — ${chains.toLocaleString()} chains, ${rules.toLocaleString()} rules. Use Go to Symbol in Workspace to jump to a chain.`,
        );
        await vscode.commands.executeCommand('workbench.action.showAllSymbols');
        return summary;
      } catch (error) {
        void vscode.window.showErrorMessage(`iptables Lens could not read ${file.fsPath}: ${error instanceof Error ? error.message : String(error)}`);
        return undefined;
      }
    }),
  );
}
