// Switches Plain Text and Log documents that contain an iptables dump to the `iptables` language.
// Dumps are usually saved as .txt or .log, which VS Code maps to Plain Text / Log by extension, so the
// language's `firstLine` pattern never gets a say; this looks at the content instead. The setting
// `iptablesLens.detectPlainTextDumps` turns it off.
import * as vscode from 'vscode';
import { looksLikeIptablesDump, DUMP_SNIFF_LINES } from './dumpContent';

/** Languages whose documents may really be dumps. */
const SNIFFED_LANGUAGES = new Set(['plaintext', 'log']);
export const DETECT_SETTING_SECTION = 'iptablesLens';
export const DETECT_SETTING = 'detectPlainTextDumps';

/**
 * Watches opened (and, for untitled editors, edited) Plain Text and Log documents and switches the ones
 * that look like an iptables dump to `iptables`. A document is switched at most once, so a user who
 * switches it back to Plain Text keeps that choice.
 */
export function registerLanguageDetection(context: vscode.ExtensionContext): void {
  const decided = new Set<string>();

  const consider = (document: vscode.TextDocument): void => {
    const key = document.uri.toString();
    if (decided.has(key) || !SNIFFED_LANGUAGES.has(document.languageId)) {
      return;
    }
    const enabled = vscode.workspace.getConfiguration(DETECT_SETTING_SECTION, document).get<boolean>(DETECT_SETTING, true);
    if (!enabled) {
      return;
    }
    const head = document.getText(new vscode.Range(0, 0, Math.min(document.lineCount, DUMP_SNIFF_LINES), 0));
    if (!looksLikeIptablesDump(head)) {
      return;
    }
    decided.add(key);
    // The document may have been closed meanwhile; then there is nothing to switch.
    void Promise.resolve(vscode.languages.setTextDocumentLanguage(document, 'iptables')).catch(() => decided.delete(key));
  };

  context.subscriptions.push(
    vscode.workspace.onDidOpenTextDocument(consider),
    // A dump pasted into a new untitled editor arrives as an edit, not an open.
    vscode.workspace.onDidChangeTextDocument((event) => {
      if (event.document.isUntitled && event.contentChanges.some((change) => change.range.start.line < DUMP_SNIFF_LINES)) {
        consider(event.document);
      }
    }),
    vscode.workspace.onDidCloseTextDocument((document) => {
      // Closing fires when the language changes too; only forget documents that are really gone.
      if (!vscode.workspace.textDocuments.includes(document)) {
        decided.delete(document.uri.toString());
      }
    }),
  );
  vscode.workspace.textDocuments.forEach(consider);
}
