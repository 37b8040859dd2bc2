// The least a language server built on vscode-languageserver does with a dump: `npm run bench` runs it beside the
// real server as a floor for the protocol's own time and memory. It keeps each open document's text as the editor
// sends it (edits are recorded, never applied), splits the opened text into lines, and answers the outline with one
// symbol spanning them; every other request it answers with nothing. Plain JavaScript, so that Node runs it as it runs
// server/out/server.js, with nothing compiled on the way.
import languageServer from 'vscode-languageserver/node.js';

const { createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind } = languageServer;

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments({
  create: (uri, languageId, version, text) => ({ uri, languageId, version, text, edits: [] }),
  update: (document, changes, version) => {
    document.edits.push(...changes);
    document.version = version;
    return document;
  },
});
const lineCounts = new Map();

connection.onInitialize(() => ({
  capabilities: {
    textDocumentSync: TextDocumentSyncKind.Incremental,
    documentSymbolProvider: true,
    hoverProvider: true,
    definitionProvider: true,
    referencesProvider: true,
    implementationProvider: true,
  },
}));
documents.onDidOpen(({ document }) => {
  lineCounts.set(document.uri, document.text.split(/\r\n|\r|\n/).length);
});
documents.onDidChangeContent(({ document }) => {
  connection.sendDiagnostics({ uri: document.uri, version: document.version, diagnostics: [] });
});
documents.onDidClose(({ document }) => lineCounts.delete(document.uri));
connection.onDocumentSymbol(({ textDocument }) => {
  const lines = lineCounts.get(textDocument.uri) ?? 1;
  const start = { line: 0, character: 0 };
  return [{ name: 'dump', kind: 3, range: { start, end: { line: lines - 1, character: 0 } }, selectionRange: { start, end: start } }];
});
connection.onHover(() => null);
connection.onDefinition(() => null);
connection.onReferences(() => []);
connection.onImplementation(() => null);
documents.listen(connection);
connection.listen();
