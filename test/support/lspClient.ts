// A minimal LSP client for tests: starts the built server (`node server/out/server.js --stdio`) as a
// child process and speaks JSON-RPC to it over its stdin/stdout, as an editor would.
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import type { PublishDiagnosticsParams } from 'vscode-languageserver-protocol';

export const SERVER_JS = path.resolve(__dirname, '../../server/out/server.js');

export class TestLspClient {
  readonly connection: MessageConnection;
  private readonly diagnostics = new Map<string, PublishDiagnosticsParams>();
  private readonly waiters: (() => void)[] = [];
  readonly stderr: string[] = [];
  /** `$/progress` notifications, in order (the server sends them when the client says it supports them). */
  readonly progress: { token: string | number; value: { kind: string; message?: string; percentage?: number } }[] = [];
  /** When each of `progress` came (`performance.now()`), and each document's last diagnostics. */
  readonly progressTimes: number[] = [];
  readonly diagnosticsTimes = new Map<string, number>();

  private constructor(readonly process: ChildProcessWithoutNullStreams) {
    this.connection = createMessageConnection(new StreamMessageReader(process.stdout), new StreamMessageWriter(process.stdin));
    this.connection.onNotification('textDocument/publishDiagnostics', (params: PublishDiagnosticsParams) => {
      this.diagnostics.set(params.uri, params);
      this.diagnosticsTimes.set(params.uri, performance.now());
      this.waiters.splice(0).forEach((wake) => wake());
    });
    this.connection.onNotification('window/logMessage', () => undefined);
    this.connection.onRequest('window/workDoneProgress/create', () => null);
    this.connection.onNotification('$/progress', (params: TestLspClient['progress'][number]) => {
      this.progress.push(params);
      this.progressTimes.push(performance.now());
      this.waiters.splice(0).forEach((wake) => wake());
    });
    process.stderr.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString()));
    this.connection.listen();
  }

  /**
   * Starts the server; `capabilities` are the client's (e.g. `{ window: { workDoneProgress: true } }`),
   * `initializationOptions` its settings (README › Settings).
   */
  static async start(serverPath = SERVER_JS, capabilities: Record<string, unknown> = {}, initializationOptions?: unknown): Promise<TestLspClient> {
    const child = spawn(process.execPath, [serverPath, '--stdio'], { stdio: 'pipe' });
    const client = new TestLspClient(child);
    await client.connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities, initializationOptions });
    await client.connection.sendNotification('initialized', {});
    return client;
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.connection.sendRequest(method, params) as Promise<R>;
  }

  open(uri: string, text: string, version = 1): Promise<void> {
    return this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'iptables', version, text } });
  }

  /** Waits (with a deadline) until diagnostics for `uri` arrive that satisfy `accept`. */
  async waitForDiagnostics(uri: string, accept: (p: PublishDiagnosticsParams) => boolean = () => true, timeoutMs = 10000): Promise<PublishDiagnosticsParams> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const current = this.diagnostics.get(uri);
      if (current && accept(current)) {
        return current;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new Error(`no matching diagnostics for ${uri} within ${timeoutMs} ms`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<void> {
    try {
      await this.connection.sendRequest('shutdown');
      await this.connection.sendNotification('exit');
    } finally {
      this.connection.dispose();
      this.process.kill();
    }
  }
}
