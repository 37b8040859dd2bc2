// Which documents become `iptables`: by file extension, and — for dumps saved as .txt or .log, which VS Code
// gives to Plain Text / Log whatever their first line says — by the content detection of the client.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { DUMPS, EXTENSION_ID, discard, openDump, readWorkspaceFile, waitFor, workspaceFile } from './harness';

/** Opens a workspace file and records the language of each open event for it (a language change is a close + open). */
async function openRecordingLanguages(
  name: string,
  subscriptions: vscode.Disposable[],
): Promise<{ document: vscode.TextDocument; languages: string[] }> {
  const uri = workspaceFile(name).toString();
  const languages: string[] = [];
  subscriptions.push(
    vscode.workspace.onDidOpenTextDocument((document) => {
      if (document.uri.toString() === uri) {
        languages.push(document.languageId);
      }
    }),
  );
  const document = await vscode.workspace.openTextDocument(workspaceFile(name));
  return { document, languages };
}

describe('language of dumps', () => {
  const subscriptions: vscode.Disposable[] = [];
  afterEach(() => subscriptions.splice(0).forEach((subscription) => subscription.dispose()));

  it('claims iptables-save and .rules files by extension', async () => {
    for (const name of [DUMPS.save, DUMPS.restoreRules]) {
      const document = await vscode.workspace.openTextDocument(workspaceFile(name));
      assert.equal(document.languageId, 'iptables', name);
    }
  });

  for (const [name, from] of [
    [DUMPS.seedListCopy, 'plaintext'],
    [DUMPS.specAsText, 'plaintext'],
  ] as const) {
    it(`switches ${name} from ${from} to iptables by its content`, async () => {
      const { document, languages } = await openRecordingLanguages(name, subscriptions);
      await waitFor(`${name} to switch to iptables`, () => document.languageId === 'iptables');
      assert.equal(languages[0], from, `${name} opened as ${languages.join(' → ')}`);
      assert.equal(languages.at(-1), 'iptables');
    });
  }

  it('leaves a dump saved as .txt in Plain Text when the setting is off, despite its firstLine', async () => {
    const setting = vscode.workspace.getConfiguration('iptablesLens', { languageId: 'plaintext' });
    await setting.update('detectPlainTextDumps', false, vscode.ConfigurationTarget.Global, true);
    try {
      await waitFor(
        'the [plaintext] override to apply',
        () => vscode.workspace.getConfiguration('iptablesLens', { languageId: 'plaintext' }).get('detectPlainTextDumps') === false,
      );
      const text = await readWorkspaceFile(DUMPS.saveAsText);
      const firstLine = text.split('\n')[0];
      const extension = vscode.extensions.getExtension(EXTENSION_ID);
      const pattern = new RegExp(extension?.packageJSON.contributes.languages[0].firstLine);
      assert.match(firstLine, pattern, 'the language firstLine pattern matches this file');

      const off = await openRecordingLanguages(DUMPS.saveAsText, subscriptions);
      // Opened after it, a .log dump (detection still on for Log) is switched: once it is, the .txt one
      // had its turn too, since documents are considered in the order they open.
      const on = await openRecordingLanguages(DUMPS.grepAsLog, subscriptions);
      await waitFor(`${DUMPS.grepAsLog} to switch to iptables`, () => on.document.languageId === 'iptables');
      assert.equal(on.languages[0], 'log');
      assert.equal(off.document.languageId, 'plaintext');
      assert.deepEqual(off.languages, ['plaintext']);
    } finally {
      await setting.update('detectPlainTextDumps', undefined, vscode.ConfigurationTarget.Global, true);
    }
  });

  it('switches an untitled editor once a dump is pasted into it', async () => {
    const document = await vscode.workspace.openTextDocument({ language: 'plaintext', content: '' });
    const edit = new vscode.WorkspaceEdit();
    edit.insert(document.uri, new vscode.Position(0, 0), await readWorkspaceFile(DUMPS.seedList));
    assert.ok(await vscode.workspace.applyEdit(edit));
    await waitFor('the pasted dump to switch to iptables', () => document.languageId === 'iptables');
    await discard(document);
  });

  it('colours dumps with the extension grammar', async () => {
    const document = await openDump(DUMPS.seedList);
    // The workbench's own TextMate tokenizer for the document's language: fails if the grammar does not load.
    const result = await vscode.commands.executeCommand<{ tokenizeTime: number }>('_workbench.colorizeTextMateTokens', document.uri);
    assert.equal(typeof result.tokenizeTime, 'number');
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    const grammar = extension?.packageJSON.contributes.grammars.find((g: { language: string }) => g.language === 'iptables');
    assert.ok(grammar && fs.existsSync(path.join(extension!.extensionPath, grammar.path)), 'the grammar file ships with the extension');
  });
});
