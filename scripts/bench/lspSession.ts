// One benchmark session against the built language server over stdio, as an editor drives it: open a dump,
// ask for its outline, navigate, type a character. Times are measured at the client (what a user waits),
// CPU time and peak RSS are read for the server process from /proc.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import type { MessageConnection } from 'vscode-jsonrpc/node';

/** The compiled server (`tsc -b server`); the benchmark can be pointed at a copy with `--server-out`. */
export const SERVER_OUT = path.resolve(__dirname, '../../server/out');

/**
 * A server that only keeps the text the editor sends and splits it into lines (textOnlyServer.mjs): the protocol's
 * own time and memory, which no server built on vscode-languageserver goes below.
 */
export const TEXT_ONLY_SERVER = path.resolve(__dirname, 'textOnlyServer.mjs');

/** A built server running over stdio (its stderr goes to this process's), and how to stop it. */
export interface StdioServer {
  child: ChildProcess;
  connection: MessageConnection;
  /** Asks the server to shut down and exit, then kills it whatever it answered. */
  stop(): Promise<void>;
}

/** Starts the server of `serverOut` (a `server/out` folder) over stdio, with Node flags `nodeFlags`. */
export function startStdioServer(serverOut = SERVER_OUT, nodeFlags: readonly string[] = []): StdioServer {
  const child = spawn(process.execPath, [...nodeFlags, path.join(serverOut, 'server.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const stop = async (): Promise<void> => {
    await connection.sendRequest('shutdown').catch(() => undefined);
    await connection.sendNotification('exit').catch(() => undefined);
    connection.dispose();
    child.kill();
  };
  return { child, connection, stop };
}

/**
 * Sends a request (`ask`) every 20 ms, as a user navigating or hovering meanwhile, until `stop`, which says how many
 * were answered and the longest an answer took.
 */
export function keepAsking(ask: () => Promise<unknown>): { stop(): Promise<{ answered: number; longestMs: number }> } {
  let done = false;
  let longestMs = 0;
  let answered = 0;
  const asking = (async (): Promise<void> => {
    while (!done) {
      const sent = performance.now();
      await ask();
      longestMs = Math.max(longestMs, performance.now() - sent);
      answered++;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    stop: async () => {
      done = true;
      await asking;
      return { answered, longestMs };
    },
  };
}

/** A server started over stdio with a dump open in it (see `openDumpInServer`). */
export interface OpenDump extends StdioServer {
  uri: string;
  lines: string[];
  /** Waits for the diagnostics of a version of the dump (see `listenAsEditor`). */
  diagnosed: (version: number) => Promise<void>;
}

/**
 * Starts the server of `serverOut` over stdio, answering it as an editor does (with progress), and opens the dump
 * in `file` as `uri`.
 */
export async function openDumpInServer(serverOut: string, file: string, uri: string): Promise<OpenDump> {
  const server = startStdioServer(serverOut);
  const connection = server.connection;
  const diagnosed = listenAsEditor(connection, uri);
  await connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: { window: { workDoneProgress: true } } });
  await connection.sendNotification('initialized', {});
  const text = fs.readFileSync(file, 'utf8');
  await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'iptables', version: 1, text } });
  return { ...server, uri, lines: text.split('\n'), diagnosed };
}

/**
 * Answers the server as an editor does (progress accepted, log messages dropped), starts listening, and returns a
 * wait for the diagnostics of a version of the document `uri` (the server publishes them once the analysis is done).
 */
export function listenAsEditor(connection: MessageConnection, uri: string): (version: number) => Promise<void> {
  connection.onRequest('window/workDoneProgress/create', () => null);
  connection.onNotification('$/progress', () => undefined);
  connection.onNotification('window/logMessage', () => undefined);
  const diagnostics = new DiagnosticsWatch(connection);
  connection.listen();
  return (version) => diagnostics.waitFor(uri, version);
}

export interface Position {
  line: number;
  character: number;
}

export interface SessionPlan {
  /** The folder of the compiled server (holding server.js). */
  serverOut: string;
  /** Another server's main file to run instead of serverOut's server.js (TEXT_ONLY_SERVER). */
  script?: string;
  /** Node flags the server runs with (as the VS Code client starts it: see `--node-flags` in bench.ts). */
  nodeFlags: string[];
  uri: string;
  text: string;
  /** Positions of chain names to ask about (one per sampled chain). */
  positions: Position[];
  /** A line to type on (a character is added at its end, then removed). */
  editLine: number;
  editLineLength: number;
  /** Edits per kind (answered by hover, answered by the outline). */
  edits: number;
}

export type NavigationMethod = 'definition' | 'hover' | 'references' | 'implementation';

export interface SessionResult {
  openToOutlineMs: number;
  /** Server CPU spent from didOpen to the outline answer. */
  openServerCpuMs: number;
  openToDiagnosticsMs: number;
  outlineSymbols: number;
  outlineBytes: number;
  /**
   * The outline answer's JSON encode + decode in this process (what the server's writer and the editor's reader do
   * with it, and nothing else): the part of open→outline any server answering that outline pays.
   */
  outlineCodecMs: number;
  /** Per method, each request's round-trip time; null when the server does not offer the method. */
  latencies: Record<NavigationMethod, number[] | null>;
  /** Per method, the server's CPU time per request (mean over the requests; less noisy than round trips). */
  serverCpuPerRequestMs: Record<NavigationMethod, number | null>;
  editToHoverMs: number[];
  editToOutlineMs: number[];
  editToDiagnosticsMs: number[];
  /** Server CPU per edit, from didChange to its diagnostics (re-parse, answers, diagnostics). */
  editServerCpuMs: number[];
  /** The same, for the edits answered by a hover and those answered by the outline. */
  editHoverServerCpuMs: number[];
  editOutlineServerCpuMs: number[];
  /** Enter at the end of the edit line, then the empty line deleted: each answered by a hover above it. */
  lineEditToHoverMs: number[];
  lineEditServerCpuMs: number[];
  progressNotifications: number;
  peakRssBytes: number;
  /** The server's resident set size after `initialize`, before any dump: Node's own, which no dump makes smaller. */
  idleRssBytes: number;
  /**
   * The same dump opened again (another URI) after the first was closed: open→outline in a server whose code V8
   * has compiled and optimised already, as when a user opens a second dump. At 1,000 services the first open
   * is mostly that compiling.
   */
  reopenToOutlineMs: number;
}

const CAPABILITY: Record<NavigationMethod, string> = {
  definition: 'definitionProvider',
  hover: 'hoverProvider',
  references: 'referencesProvider',
  implementation: 'implementationProvider',
};

const REQUEST_DEADLINE_MS = 300_000;

function withDeadline<T>(what: string, promise: Promise<T>, ms = REQUEST_DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** utime + stime of a process in ms, from /proc (clock ticks of 10 ms). */
export function processCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the command name start at field 3 (state): utime is field 14, stime field 15.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The highest resident set size the process has had (VmHWM), or its current one (VmRSS). */
export function rss(pid: number, field: 'VmHWM' | 'VmRSS' = 'VmHWM'): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
  return match ? Number(match[1]) * 1024 : NaN;
}

class DiagnosticsWatch {
  private readonly versions = new Map<string, number | undefined>();
  private waiters: (() => void)[] = [];

  constructor(connection: MessageConnection) {
    connection.onNotification('textDocument/publishDiagnostics', (params: { uri: string; version?: number }) => {
      this.versions.set(params.uri, params.version);
      this.waiters.splice(0).forEach((wake) => wake());
    });
  }

  /** Waits until diagnostics for `version` or later (or, when the server sends no version, any) have arrived. */
  async waitFor(uri: string, version: number): Promise<void> {
    const deadline = Date.now() + REQUEST_DEADLINE_MS;
    while (!(this.versions.has(uri) && (this.versions.get(uri) === undefined || this.versions.get(uri)! >= version))) {
      if (Date.now() > deadline) {
        throw new Error(`no diagnostics for version ${version} of ${uri}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  forget(uri: string): void {
    this.versions.delete(uri);
  }
}

export async function runSession(plan: SessionPlan): Promise<SessionResult> {
  const child = spawn(process.execPath, [...plan.nodeFlags, plan.script ?? path.join(plan.serverOut, 'server.js'), '--stdio'], { stdio: 'pipe' });
  const pid = child.pid!;
  const stderr: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  let progressNotifications = 0;
  connection.onRequest('window/workDoneProgress/create', () => null);
  connection.onNotification('$/progress', () => {
    progressNotifications++;
  });
  connection.onNotification('window/logMessage', () => undefined);
  connection.onNotification('window/showMessage', () => undefined);
  const diagnostics = new DiagnosticsWatch(connection);
  connection.listen();
  try {
    const init = await withDeadline(
      'initialize',
      connection.sendRequest('initialize', {
        processId: process.pid,
        rootUri: null,
        capabilities: {
          window: { workDoneProgress: true },
          textDocument: {
            documentSymbol: { hierarchicalDocumentSymbolSupport: true },
            hover: { contentFormat: ['markdown', 'plaintext'] },
            synchronization: { didSave: false },
          },
        },
      }) as Promise<{ capabilities: Record<string, unknown> }>,
    );
    await connection.sendNotification('initialized', {});
    const idleRssBytes = rss(pid, 'VmRSS');
    const { uri, text } = plan;
    const document = { uri };

    // didOpen → first outline answer.
    const cpuBefore = processCpuMs(pid);
    const opened = performance.now();
    await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'iptables', version: 1, text } });
    const outline = await withDeadline('documentSymbol', connection.sendRequest('textDocument/documentSymbol', { textDocument: document }) as Promise<unknown[]>);
    const openToOutlineMs = performance.now() - opened;
    const openServerCpuMs = processCpuMs(pid) - cpuBefore;
    const codecStarted = performance.now();
    const outlineJson = JSON.stringify(outline);
    JSON.parse(outlineJson);
    const outlineCodecMs = performance.now() - codecStarted;
    const outlineBytes = outlineJson.length;
    const outlineSymbols = countSymbols(outline);
    await diagnostics.waitFor(uri, 1);
    const openToDiagnosticsMs = performance.now() - opened;

    const latencies = {} as Record<NavigationMethod, number[] | null>;
    const serverCpuPerRequestMs = {} as Record<NavigationMethod, number | null>;
    for (const method of ['definition', 'hover', 'references', 'implementation'] as const) {
      if (!init.capabilities[CAPABILITY[method]]) {
        latencies[method] = null;
        serverCpuPerRequestMs[method] = null;
        continue;
      }
      const times: number[] = [];
      const cpuStart = processCpuMs(pid);
      for (const position of plan.positions) {
        const params = method === 'references' ? { textDocument: document, position, context: { includeDeclaration: true } } : { textDocument: document, position };
        const started = performance.now();
        await withDeadline(method, connection.sendRequest(`textDocument/${method}`, params));
        times.push(performance.now() - started);
      }
      latencies[method] = times;
      serverCpuPerRequestMs[method] = (processCpuMs(pid) - cpuStart) / Math.max(1, times.length);
    }

    // Typing: one character added at the end of a rule line, then removed; each answered by a hover
    // elsewhere (or by the outline), then the diagnostics of that version awaited so edits do not overlap.
    let version = 1;
    const editToHoverMs: number[] = [];
    const editToOutlineMs: number[] = [];
    const editToDiagnosticsMs: number[] = [];
    const editServerCpuMs: number[] = [];
    const editHoverServerCpuMs: number[] = [];
    const editOutlineServerCpuMs: number[] = [];
    const hoverAt = plan.positions.find((p) => p.line !== plan.editLine) ?? plan.positions[0];
    for (let i = 0; i < plan.edits * 2; i++) {
      version++;
      const add = version % 2 === 0;
      const at = { line: plan.editLine, character: plan.editLineLength };
      const change = add
        ? { range: { start: at, end: at }, text: 'x' }
        : { range: { start: at, end: { line: plan.editLine, character: plan.editLineLength + 1 } }, text: '' };
      const started = performance.now();
      const cpuStart = processCpuMs(pid);
      await connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [change] });
      if (i < plan.edits) {
        await withDeadline('hover after edit', connection.sendRequest('textDocument/hover', { textDocument: document, position: hoverAt }));
        editToHoverMs.push(performance.now() - started);
      } else {
        await withDeadline('outline after edit', connection.sendRequest('textDocument/documentSymbol', { textDocument: document }));
        editToOutlineMs.push(performance.now() - started);
      }
      await diagnostics.waitFor(uri, version);
      editToDiagnosticsMs.push(performance.now() - started);
      const cpu = processCpuMs(pid) - cpuStart;
      editServerCpuMs.push(cpu);
      (i < plan.edits ? editHoverServerCpuMs : editOutlineServerCpuMs).push(cpu);
    }
    // Typing Enter at the end of the same line (a line added), then deleting the empty line: the model's lines
    // below move. Answered by a hover above the edit, whose position the edit does not move.
    const lineEditToHoverMs: number[] = [];
    const lineEditServerCpuMs: number[] = [];
    const hoverAbove = plan.positions.find((p) => p.line < plan.editLine) ?? { line: 0, character: 0 };
    for (let i = 0; i < plan.edits * 2; i++) {
      version++;
      const end = { line: plan.editLine, character: plan.editLineLength };
      const change =
        i % 2 === 0 ? { range: { start: end, end }, text: '\n' } : { range: { start: end, end: { line: plan.editLine + 1, character: 0 } }, text: '' };
      const started = performance.now();
      const cpuStart = processCpuMs(pid);
      await connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [change] });
      await withDeadline('hover after a line edit', connection.sendRequest('textDocument/hover', { textDocument: document, position: hoverAbove }));
      lineEditToHoverMs.push(performance.now() - started);
      await diagnostics.waitFor(uri, version);
      lineEditServerCpuMs.push(processCpuMs(pid) - cpuStart);
    }
    const peakRssBytes = rss(pid);
    await connection.sendNotification('textDocument/didClose', { textDocument: document });

    const again = { uri: `${uri}.again` };
    const reopened = performance.now();
    await connection.sendNotification('textDocument/didOpen', { textDocument: { uri: again.uri, languageId: 'iptables', version: 1, text } });
    await withDeadline('documentSymbol of the dump opened again', connection.sendRequest('textDocument/documentSymbol', { textDocument: again }));
    const reopenToOutlineMs = performance.now() - reopened;
    await connection.sendNotification('textDocument/didClose', { textDocument: again });
    await withDeadline('shutdown', connection.sendRequest('shutdown'));
    await connection.sendNotification('exit');
    return {
      openToOutlineMs,
      openServerCpuMs,
      openToDiagnosticsMs,
      outlineSymbols,
      outlineBytes,
      outlineCodecMs,
      latencies,
      serverCpuPerRequestMs,
      editToHoverMs,
      editToOutlineMs,
      editToDiagnosticsMs,
      editServerCpuMs,
      editHoverServerCpuMs,
      editOutlineServerCpuMs,
      lineEditToHoverMs,
      lineEditServerCpuMs,
      progressNotifications,
      peakRssBytes,
      idleRssBytes,
      reopenToOutlineMs,
    };
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\nserver stderr:\n${stderr.join('').slice(-4000)}`);
  } finally {
    connection.dispose();
    const timer = setTimeout(() => child.kill(), 5000);
    await exited;
    clearTimeout(timer);
  }
}

function countSymbols(symbols: unknown[]): number {
  let count = 0;
  for (const symbol of symbols as { children?: unknown[] }[]) {
    count += 1 + (symbol.children ? countSymbols(symbol.children) : 0);
  }
  return count;
}

/** Asks for the definition at `position` every 20 ms, as a user navigating (see `keepAsking`). */
export function navigate(connection: StdioServer['connection'], uri: string, position: { line: number; character: number }): ReturnType<typeof keepAsking> {
  return keepAsking(() => connection.sendRequest('textDocument/definition', { textDocument: { uri }, position }));
}

/** A definition to ask meanwhile: the first jump to KUBE-MARK-MASQ (it needs the model, not the kube analysis). */
export function markMasqJump(lines: readonly string[]): { line: number; character: number } {
  const line = lines.findIndex((text) => text.includes('KUBE-MARK-MASQ') && !text.startsWith(':') && !text.startsWith('Chain'));
  return { line, character: lines[line].indexOf('KUBE-MARK-MASQ') + 2 };
}

/** A place on the name of the service chain the first KUBE-SERVICES jump to one names (save or `-L` output). */
export function serviceJump(lines: readonly string[]): { line: number; character: number } {
  let inServices = false;
  for (let line = 0; line < lines.length; line++) {
    const text = lines[line];
    if (text.startsWith('Chain ')) {
      inServices = text.startsWith('Chain KUBE-SERVICES ');
    } else if (text.startsWith('-A KUBE-SERVICES ') ? text.includes('-j KUBE-SVC-') : inServices && text.includes(' KUBE-SVC-')) {
      return { line, character: text.indexOf('KUBE-SVC-') + 3 };
    }
  }
  throw new Error('no KUBE-SERVICES jump to a KUBE-SVC chain in the dump');
}
