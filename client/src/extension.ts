// Activation: starts the language client and wires the extension's parts together. Nothing else lives here.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, TransportKind } from 'vscode-languageclient/node';
import type { LanguageClientOptions, ServerOptions } from 'vscode-languageclient/node';
import { registerLanguageDetection } from './detectLanguage';
import { registerEditorCommands } from './editorCommands';
import { registerTracer } from './trace/traceView';
import { registerServicesView } from './tree/servicesView';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  registerLanguageDetection(context);
  registerTracer(context);
  const serverModule = context.asAbsolutePath(path.join('dist', 'server.js'));
  // stdio, as other editors run it: a 40 MB dump goes through a pipe faster than through Node's IPC channel, and
  // the server can tell when its answers have gone out (see server/src/server.ts).
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.stdio },
    debug: { module: serverModule, transport: TransportKind.stdio, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: 'iptables' }],
    // The server's settings (README › Settings): sent when it starts, and again whenever the user changes them.
    initializationOptions: { outline: { maxChains: vscode.workspace.getConfiguration('iptablesLens').get<number>('outline.maxChains') } },
    synchronize: { configurationSection: 'iptablesLens' },
  };
  client = new LanguageClient('iptablesLens', 'iptables Lens', serverOptions, clientOptions);
  await client.start();
  registerEditorCommands(context, client);
  registerServicesView(context, client);
}

export function deactivate(): Thenable<void> | undefined {
  return client?.stop();
}
