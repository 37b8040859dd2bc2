// The extension's commands, run the way the palette runs them, with a dump in the active editor. A command
// that asks something (quick pick, input box, open dialog) is answered with Escape, as a user who changes
// their mind would; every command must then finish without an error.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { DUMPS, EXTENSION_ID, openDump, positionOf, waitFor } from './harness';

interface ContributedCommand {
  command: string;
  title: string;
}

const contributes = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON.contributes ?? {};
const commands: ContributedCommand[] = contributes.commands ?? [];
/** Commands hidden from the palette (`when: false`) take arguments from a tree item or a link. */
const hidden = new Set<string>(
  (contributes.menus?.commandPalette ?? [])
    .filter((entry: { command: string; when?: string }) => entry.when === 'false')
    .map((entry: { command: string }) => entry.command),
);

async function showSeedAtService(): Promise<vscode.TextEditor> {
  const document = await openDump(DUMPS.seedList);
  const editor = await vscode.window.showTextDocument(document, { preview: false });
  const service = positionOf(document, 'Chain KUBE-SVC-BEPXDJBUHFCSYIC3', 'KUBE-SVC-BEPXDJBUHFCSYIC3', 2);
  editor.selection = new vscode.Selection(service, service);
  return editor;
}

describe('commands', () => {
  it('registers every command it contributes', async () => {
    assert.ok(commands.length > 0, 'the extension contributes commands');
    const registered = new Set(await vscode.commands.getCommands(true));
    await waitFor('the extension to activate', () => vscode.extensions.getExtension(EXTENSION_ID)?.isActive);
    const missing = commands.filter((command) => !registered.has(command.command)).map((command) => command.command);
    assert.deepEqual(missing, []);
  });

  for (const { command, title } of commands.filter((entry) => !hidden.has(entry.command))) {
    it(`runs "${title}" from the palette`, async () => {
      await showSeedAtService();
      let outcome: { error?: unknown } | undefined;
      void Promise.resolve(vscode.commands.executeCommand(command)).then(
        () => (outcome = {}),
        (error: unknown) => (outcome = { error }),
      );
      const settled = await waitFor(`${command} to finish`, async () => {
        if (!outcome) {
          await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
        }
        return outcome;
      });
      assert.equal(settled.error, undefined, `${command} failed: ${String(settled.error)}`);
    });
  }

  it('reveals a chain in the dump, as a linked Services item does', async () => {
    const editor = await showSeedAtService();
    const declaration = positionOf(editor.document, 'Chain KUBE-SVC-ERIFXISQEP7F7OF4', 'KUBE-SVC-ERIFXISQEP7F7OF4', 0);
    await vscode.commands.executeCommand('iptablesLens.services.revealChain', {
      uri: editor.document.uri.toString(),
      chain: 'KUBE-SVC-ERIFXISQEP7F7OF4',
      span: { line: declaration.line, start: declaration.character, end: declaration.character + 'KUBE-SVC-ERIFXISQEP7F7OF4'.length },
    });
    const active = vscode.window.activeTextEditor;
    assert.equal(active?.document.uri.toString(), editor.document.uri.toString());
    assert.equal(active?.document.getText(active.selection), 'KUBE-SVC-ERIFXISQEP7F7OF4');
  });
});
