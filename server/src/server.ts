// Entry point of the language server: `node server/out/server.js --stdio` (or --node-ipc, --socket=N).
// The only file that creates a connection; everything else is in LspServer and the features.
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { LspServer } from './lspServer';

const connection = createConnection(ProposedFeatures.all);

// A stray promise rejection must not take the server (and every open dump's features) down.
process.on('unhandledRejection', (reason) => {
  connection.console.error(`Unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
});

// Over stdio, what the server wrote and the pipe has not taken yet: slices of long work wait for it to go out.
// Polled, not awaited as 'drain', which a stream emits only after a write that went past its high-water mark.
const overStdio = process.argv.includes('--stdio');
async function outputDrained(): Promise<void> {
  while (overStdio && process.stdout.writableLength > 0) {
    await new Promise<void>((resolve) => setTimeout(resolve, 1));
  }
}

new LspServer(connection, outputDrained).listen();
