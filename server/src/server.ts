// Entry point of the language server: `node server/out/server.js --stdio` (or --node-ipc, --socket=N).
// The only file that creates a connection; everything else is in LspServer and the features.
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { LspServer } from './lspServer';

const connection = createConnection(ProposedFeatures.all);

// A stray promise rejection must not take the server (and every open dump's features) down.
process.on('unhandledRejection', (reason) => {
  connection.console.error(`Unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
});

new LspServer(connection).listen();
