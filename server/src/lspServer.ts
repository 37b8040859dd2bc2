// The language server as an object that receives its connection, so it can be driven over stdio by any
// editor and by tests alike.
//
// How a request flows: the editor keeps documents in sync through `TextDocuments` (incremental sync);
// each handler asks `model(uri)` for the parsed dump of the document's current version — parsed once per
// version and dropped on close — and hands it to one pure function in `features/`. Every handler runs
// inside `runSafe`, so a bug in a feature answers "nothing here" and logs, instead of killing the server.
// Diagnostics are pushed after edits settle (debounced), so typing in a large dump stays smooth.
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErrorCodes, ResponseError, TextDocuments, TextDocumentSyncKind } from 'vscode-languageserver';
import type { CancellationToken, Connection, InitializeParams, InitializeResult, ServerCapabilities, WorkDoneProgressServerReporter } from 'vscode-languageserver';
import { definition } from './features/definition';
import { diagnostics } from './features/diagnostics';
import { DumpDocument, hasBareCarriageReturn } from './features/document';
import type { TextEdit } from './features/document';
import { foldingRanges } from './features/folding';
import { OpenText } from './openText';
import { hover } from './features/hover';
import { references } from './features/references';
import { kubeHoverSection, kubeOutline, implementationLocations, resolveServiceCodeLens, serviceCodeLenses, servicesOf } from './features/kubeFeatures';
import type { ServicesAnswer } from './features/kubeFeatures';
import type { ServiceLensData } from './features/kubeFeatures';
import { workspaceSymbols } from './features/symbols';
import { parseLinesInSlices, SlicedParse, splitLines } from './parse/index';

/**
 * Custom requests of this server (a public interface: see README). `{ uri, offset?, limit? }` → `ServicesAnswer`:
 * the dump's service ports, all of them or a page.
 */
export const ServicesRequest = 'iptablesLens/services';

/**
 * `{ path }` → `LargeDumpSummary`: the server reads a dump from disk and serves every feature for its file URI
 * (VS Code does not hand documents over 50 MB to extensions). Reports progress and honours cancellation.
 */
export const OpenLargeDumpRequest = 'iptablesLens/openLargeDump';
/** `{ uri }` → null: forgets a dump opened with `OpenLargeDumpRequest` and clears its diagnostics. */
export const CloseLargeDumpRequest = 'iptablesLens/closeLargeDump';

/** What `OpenLargeDumpRequest` answers: the URI to ask about, and what the dump holds. */
export interface LargeDumpSummary {
  uri: string;
  bytes: number;
  lines: number;
  tables: { name: string; format: string; chains: number; rules: number }[];
  diagnostics: number;
}

/** How long diagnostics wait after an edit, for the typing to settle. */
const DIAGNOSTICS_DELAY_MS = 250;
/** The outline's default limit: VS Code's own for JSON outlines (`json.maxItemsComputed`) and folding ranges. */
const DEFAULT_OUTLINE_MAX_CHAINS = 5_000;
/** A document of more lines than this is parsed in slices after it opens, with progress (a 20k-service nat table has 500,000). */
const SLICED_PARSE_LINES = 100_000;
const SLICE_LINES = 25_000;

/** The settings a client may send (see README › Settings); unknown ones are ignored. */
interface Settings {
  outline?: { maxChains?: number };
}

/** A large document being parsed in slices: the version and lines it is parsing. */
interface SlicedParseJob {
  version: number;
  lines: string[];
  parse: SlicedParse;
  /** Whether a line of its text ends with a bare CR (see the DumpDocument constructor). */
  bareCarriageReturn: boolean;
  /** The progress of the parse, and of the analysis that follows it. */
  progress: Promise<WorkDoneProgressServerReporter>;
  /** The analysis in slices, once a request has finished the parse (see `model`). */
  analysis?: Promise<void>;
}

/** The edits between two versions of a document, kept so its model can be patched rather than rebuilt. */
interface PendingEdits {
  from: number;
  to: number;
  edits: TextEdit[];
}

export class LspServer {
  // Incremental sync: the edits are recorded on their way into the document, so `model()` can re-read only the
  // edited lines of the cached model (see DumpDocument.withEdits); the document applies them to its whole text
  // only if asked for it (see OpenText).
  private readonly documents = new TextDocuments<OpenText>({
    create: (uri, languageId, version, content) => new OpenText(uri, languageId, version, content),
    update: (document, changes, version) => {
      this.recordEdits(document.uri, document.version, version, changes);
      return document.update(changes, version);
    },
  });
  private readonly pendingEdits = new Map<string, PendingEdits>();
  private readonly cache = new Map<string, DumpDocument>();
  /** Large documents being parsed in slices since they opened; a request that needs one finishes it at once. */
  private readonly slicedParses = new Map<string, SlicedParseJob>();
  /**
   * Documents whose kube-proxy analysis runs in slices since they opened, and when it ends: diagnostics, code
   * lenses and the services answer wait for it, rather than finishing it at once (seconds at 20,000 services).
   */
  private readonly analyses = new Map<string, Promise<void>>();
  /** The version of a document whose parse the user cancelled: its features answer nothing until it changes. */
  private readonly cancelledParses = new Map<string, number>();
  /** Dumps read from disk on request (too large for the editor to sync), by file URI. */
  private readonly diskDocuments = new Map<string, DumpDocument>();
  private readonly pendingDiagnostics = new Map<string, NodeJS.Timeout>();
  /** How many folding ranges the client uses per document (its `rangeLimit`; VS Code: 5,000). */
  private foldingRangeLimit = Number.POSITIVE_INFINITY;
  /** How many chains an outline lists at most (setting `outline.maxChains`; see README). */
  private outlineMaxChains = DEFAULT_OUTLINE_MAX_CHAINS;

  /**
   * `outputDrained`: resolves once what the server has written to the client has gone out (see server.ts). Work in
   * slices waits for it, so that an answer written just before (an outline of megabytes) is not held back, a pipe's
   * 64 KB at a time, behind the slices.
   */
  constructor(
    private readonly connection: Connection,
    private readonly outputDrained: () => Promise<void> = () => Promise.resolve(),
  ) {}

  /** Registers every handler on the connection and starts listening. */
  listen(): void {
    const c = this.connection;
    c.onInitialize((params) => this.initialize(params));
    c.onDocumentSymbol((p, token) => this.runSafe(token, [], `document symbols for ${p.textDocument.uri}`, () => {
      const doc = this.model(p.textDocument.uri);
      return doc ? kubeOutline(doc, this.outlineMaxChains) : [];
    }));
    c.onDefinition((p, token) => this.runSafe(token, null, `definition for ${p.textDocument.uri}`, () => {
      const doc = this.model(p.textDocument.uri);
      return doc ? definition(doc, p.position) : null;
    }));
    c.onReferences((p, token) => this.runSafe(token, [], `references for ${p.textDocument.uri}`, () => {
      const doc = this.model(p.textDocument.uri);
      return doc ? references(doc, p.position, p.context.includeDeclaration) : [];
    }));
    // What reads the kube-proxy analysis waits for it while it runs in slices, rather than finish it at once (seconds
    // at 20,000 services, with every other request waiting behind). A code lens of the version before an edit may be
    // resolved while the edited version is analysed.
    c.onHover((p, token) =>
      this.withAnalysis(p.textDocument.uri, token, null, 'hover', (doc) => hover(doc, p.position, () => kubeHoverSection(doc, p.position))),
    );
    c.onImplementation((p, token) => this.withAnalysis(p.textDocument.uri, token, [], 'implementation', (doc) => implementationLocations(doc, p.position)));
    c.onCodeLens((p, token) => this.withAnalysis(p.textDocument.uri, token, [], 'code lenses', (doc) => serviceCodeLenses(doc)));
    c.onCodeLensResolve((lens, token) =>
      this.withAnalysis((lens.data as ServiceLensData | undefined)?.uri ?? '', token, lens, 'a code lens', (doc) => resolveServiceCodeLens(doc, lens)),
    );
    c.onRequest(ServicesRequest, (p: { uri: string; offset?: unknown; limit?: unknown }, token) =>
      this.withAnalysis<ServicesAnswer>(p.uri, token, { services: [], total: 0, version: 0 }, 'services', (doc) => servicesOf(doc, p)),
    );
    c.onRequest(OpenLargeDumpRequest, (p: { path: string }, token) => this.openLargeDump(p.path, token));
    c.onRequest(CloseLargeDumpRequest, (p: { uri: string }) => {
      this.diskDocuments.delete(p.uri);
      void c.sendDiagnostics({ uri: p.uri, diagnostics: [] });
      return null;
    });
    c.onFoldingRanges((p, token) => this.runSafe(token, [], `folding ranges for ${p.textDocument.uri}`, () => {
      const doc = this.model(p.textDocument.uri);
      return doc ? foldingRanges(doc, this.foldingRangeLimit) : [];
    }));
    c.onDidChangeConfiguration((p) => {
      this.configure((p.settings as { iptablesLens?: Settings } | null)?.iptablesLens);
    });
    c.onWorkspaceSymbol((p, token) => this.runSafe(token, [], 'workspace symbols', () =>
      workspaceSymbols(this.openModels(), p.query),
    ));

    this.documents.onDidOpen((e) => this.startSlicedParse(e.document));
    this.documents.onDidChangeContent((e) => this.scheduleDiagnostics(e.document.uri));
    this.documents.onDidClose((e) => {
      this.cache.delete(e.document.uri);
      this.pendingEdits.delete(e.document.uri);
      this.slicedParses.delete(e.document.uri);
      this.cancelledParses.delete(e.document.uri);
      clearTimeout(this.pendingDiagnostics.get(e.document.uri));
      this.pendingDiagnostics.delete(e.document.uri);
      void c.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
    });
    this.documents.listen(c);
    c.listen();
  }

  private initialize(params: InitializeParams): InitializeResult {
    const rangeLimit = params.capabilities.textDocument?.foldingRange?.rangeLimit;
    if (typeof rangeLimit === 'number' && rangeLimit > 0) {
      this.foldingRangeLimit = rangeLimit;
    }
    this.configure(params.initializationOptions as Settings | undefined);
    const capabilities: ServerCapabilities = {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      documentSymbolProvider: { label: 'iptables' },
      definitionProvider: true,
      referencesProvider: true,
      hoverProvider: true,
      implementationProvider: true,
      codeLensProvider: { resolveProvider: true },
      foldingRangeProvider: true,
      workspaceSymbolProvider: true,
    };
    return { capabilities, serverInfo: { name: 'iptables-lens', version: '0.1.0' } };
  }

  /** Takes the settings a client sends (`initializationOptions`, or `iptablesLens` in `workspace/didChangeConfiguration`). */
  private configure(settings: Settings | null | undefined): void {
    const maxChains = settings?.outline?.maxChains;
    if (typeof maxChains === 'number' && Number.isFinite(maxChains) && maxChains >= 0) {
      this.outlineMaxChains = maxChains === 0 ? Number.POSITIVE_INFINITY : Math.floor(maxChains);
    }
  }

  /** The parsed dump of an open document's current version (parsed at most once per version). */
  model(uri: string): DumpDocument | undefined {
    const document = this.documents.get(uri);
    if (!document) {
      return this.diskDocuments.get(uri);
    }
    const sliced = this.slicedParses.get(uri);
    if (sliced) {
      // A request needs the model now: read the rest of the lines at once.
      this.slicedParses.delete(uri);
      const parsed = new DumpDocument(uri, sliced.version, sliced.lines, sliced.parse.finish(), sliced.bareCarriageReturn);
      this.cache.set(uri, parsed);
      // Its analysis starts now, in slices, under the parse's progress, and publishes diagnostics when it ends (a
      // timer must not do it meanwhile). Not from the job's next turn: requests that came with this one (an editor
      // asks for code lenses and the services with the outline) would find no analysis running and compute it at once.
      clearTimeout(this.pendingDiagnostics.get(uri));
      sliced.analysis = this.startAnalysis(uri, parsed, sliced.progress);
    }
    if (this.cancelledParses.get(uri) === document.version) {
      return undefined;
    }
    const cached = this.cache.get(uri);
    if (cached && cached.version === document.version) {
      return cached;
    }
    const pending = this.pendingEdits.get(uri);
    this.pendingEdits.delete(uri);
    const doc =
      cached && pending && pending.from === cached.version && pending.to === document.version
        ? cached.withEdits(document.version, pending.edits, () => document.getText())
        : DumpDocument.fromText(uri, document.version, document.getText());
    this.cache.set(uri, doc);
    doc.updateKube();
    if (doc.wholeAnalysisPending) {
      // Parsed whole again (an edit the model could not follow), or edited beyond what the previous analysis can
      // follow: the analysis takes seconds at 20,000 services, so it runs in slices, as after opening.
      this.analyseSoon(uri, doc);
    }
    return doc;
  }

  /**
   * Waits for the analysis of a document's current version when it runs in slices. The model is brought up to date
   * first: after an edit it must analyse whole, that starts its analysis in slices (which a request would otherwise
   * do at once, for seconds at 20,000 services). An edit meanwhile lets the analysis go (see
   * `DumpDocument.kubeBaseForEdit`): then it waits for the next version's, until one ends or `token` is cancelled.
   */
  private async analysed(uri: string, token: CancellationToken): Promise<void> {
    while (!token.isCancellationRequested) {
      try {
        this.model(uri);
      } catch {
        return; // the request's own call to `model` fails the same way, and reports it
      }
      const running = this.analyses.get(uri);
      if (running === undefined) {
        return;
      }
      await running;
    }
  }

  /**
   * A request that reads the analysis of `uri`'s model: answered by `answer` once that analysis is no longer running
   * in slices (see `analysed`), else (no model, an exception, cancelled) by `fallback`.
   */
  private async withAnalysis<T>(uri: string, token: CancellationToken, fallback: T, what: string, answer: (doc: DumpDocument) => T): Promise<T> {
    await this.analysed(uri, token);
    return this.runSafe(token, fallback, `${what} for ${uri}`, () => {
      const doc = this.model(uri);
      return doc ? answer(doc) : fallback;
    });
  }

  private recordEdits(uri: string, from: number, to: number, edits: readonly TextEdit[]): void {
    const pending = this.pendingEdits.get(uri);
    if (pending && pending.to === from) {
      pending.edits.push(...edits);
      pending.to = to;
    } else {
      this.pendingEdits.set(uri, { from, to, edits: [...edits] });
    }
  }

  /**
   * Reads and parses a dump from disk in slices, reporting progress (`window/workDoneProgress`) and stopping
   * when the request or the progress is cancelled (answered with null then).
   */
  private async openLargeDump(file: string, token: CancellationToken): Promise<LargeDumpSummary | null> {
    const progress = await this.connection.window.createWorkDoneProgress();
    const cancelled = (): boolean => token.isCancellationRequested || progress.token.isCancellationRequested;
    progress.begin(`iptables Lens: reading ${path.basename(file)}`, 0, undefined, true);
    try {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        throw new ResponseError(ErrorCodes.InvalidParams, `Cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (cancelled()) {
        return null;
      }
      const lines = splitLines(text);
      progress.report(5, `parsing ${lines.length} lines`);
      const dump = await parseLinesInSlices(lines, { progress: (done) => progress.report(5 + Math.floor(done * 95)), cancelled });
      if (dump === undefined) {
        return null;
      }
      const uri = pathToFileURL(path.resolve(file)).href;
      const doc = new DumpDocument(uri, 0, lines, dump);
      this.diskDocuments.set(uri, doc);
      // In slices, as an opened document's: the editor's requests for this URI come with the answer.
      this.analyseSoon(uri, doc);
      return {
        uri,
        bytes: Buffer.byteLength(text),
        lines: lines.length,
        tables: dump.tables.map((table) => ({
          name: table.name,
          format: table.format,
          chains: table.chains.size,
          rules: [...table.chains.values()].reduce((sum, chain) => sum + chain.rules.length, 0),
        })),
        diagnostics: dump.diagnostics.length,
      };
    } finally {
      progress.done();
    }
  }

  /** Starts parsing a large document in slices, so the server stays responsive and shows progress. */
  private startSlicedParse(document: OpenText): void {
    const text = document.getText();
    const lines = splitLines(text);
    if (lines.length < SLICED_PARSE_LINES) {
      // Small: parsed now from these lines (the diagnostics scheduled on open would parse it anyway); should the
      // parse fail, the first request parses again and answers its fallback.
      let doc: DumpDocument;
      try {
        doc = DumpDocument.fromText(document.uri, document.version, text, lines);
      } catch (error) {
        this.connection.console.error(`Error while parsing ${document.uri}: ${errorText(error)}`);
        return;
      }
      this.cache.set(document.uri, doc);
      this.analyseSoon(document.uri, doc);
      return;
    }
    const progress = this.connection.window.createWorkDoneProgress().then((reporter) => {
      reporter.begin('iptables Lens', 0, `parsing ${lines.length} lines of ${decodeURIComponent(path.posix.basename(document.uri))}`, true);
      return reporter;
    });
    const job: SlicedParseJob = { version: document.version, lines, parse: new SlicedParse(lines), bareCarriageReturn: hasBareCarriageReturn(text), progress };
    this.slicedParses.set(document.uri, job);
    void this.runSlicedParse(document.uri, job).catch((error: unknown) => {
      this.slicedParses.delete(document.uri);
      this.connection.console.error(`Error while parsing ${document.uri}: ${errorText(error)}`);
    });
  }

  private async runSlicedParse(uri: string, job: SlicedParseJob): Promise<void> {
    const progress = await job.progress;
    try {
      for (;;) {
        await nextTurn();
        if (this.slicedParses.get(uri) !== job) {
          // Finished by a request (the outline, usually), which started the analysis: its progress ends with it.
          // Closed or superseded: done.
          await job.analysis;
          return;
        }
        if (progress.token.isCancellationRequested) {
          this.slicedParses.delete(uri);
          this.cancelledParses.set(uri, job.version);
          this.connection.console.info(`Parsing of ${uri} cancelled: its features are off until it changes.`);
          return;
        }
        const dump = job.parse.step(SLICE_LINES);
        if (dump) {
          this.slicedParses.delete(uri);
          const doc = new DumpDocument(uri, job.version, job.lines, dump, job.bareCarriageReturn);
          this.cache.set(uri, doc);
          await this.analyseInSlices(uri, doc, progress);
          return;
        }
        progress.report(Math.floor(job.parse.done * 100));
      }
    } finally {
      progress.done();
    }
  }

  /**
   * Starts the analysis of a document just opened (or read from disk) and parsed, or parsed whole again after an
   * edit, in slices: see `analyseInSlices`. A large document's is reported as progress.
   */
  private analyseSoon(uri: string, doc: DumpDocument): void {
    const progress =
      doc.lines.length < SLICED_PARSE_LINES
        ? undefined
        : this.connection.window.createWorkDoneProgress().then((reporter) => {
            reporter.begin('iptables Lens', 0, 'analysing kube-proxy rules', true);
            return reporter;
          });
    void this.startAnalysis(uri, doc, progress).finally(() => progress?.then((reporter) => reporter.done(), () => undefined));
  }

  /** `analyseInSlices`, its failure logged (diagnostics are then published without it). */
  private startAnalysis(uri: string, doc: DumpDocument, reporter?: Promise<WorkDoneProgressServerReporter>): Promise<void> {
    return this.analyseInSlices(uri, doc, reporter).catch((error: unknown) => {
      this.connection.console.error(`Error while analysing ${uri}: ${errorText(error)}`);
      this.scheduleDiagnostics(uri);
    });
  }

  /**
   * The kube-proxy analysis of a document just parsed whole (diagnostics, code lenses and hovers need it), in
   * slices, so that requests are answered meanwhile (the outline first: it does not need the analysis); a request
   * that needs it finishes it. Diagnostics wait for it, then are published. With a `reporter`, it is reported there.
   */
  private async analyseInSlices(
    uri: string,
    doc: DumpDocument,
    reporter?: WorkDoneProgressServerReporter | Promise<WorkDoneProgressServerReporter>,
  ): Promise<void> {
    let ended = (): void => undefined;
    const running = new Promise<void>((resolve) => {
      ended = resolve;
    });
    this.analyses.set(uri, running);
    let done = 0;
    try {
      const progress = await reporter;
      for (let reported = -1; done < 1; ) {
        if (Math.floor(done * 100) > reported) {
          reported = Math.floor(done * 100);
          progress?.report(reported, 'analysing kube-proxy rules');
        }
        await turnsOfConnection();
        await this.outputDrained();
        if (this.cache.get(uri) !== doc && this.diskDocuments.get(uri) !== doc) {
          break; // edited (the edit finished it) or closed
        }
        if (progress?.token.isCancellationRequested) {
          this.connection.console.info(`Analysis of ${uri} stopped: the first request that needs it will finish it.`);
          return;
        }
        done = doc.stepKube();
      }
    } finally {
      if (this.analyses.get(uri) === running) {
        this.analyses.delete(uri);
      }
      ended();
    }
    // Finished: without the delay that lets typing settle (the user has waited for the analysis already), once its
    // progress has ended. Stopped by an edit or a close: after that delay, for the version then open (whose own
    // analysis, if one runs, publishes them at its end instead).
    this.scheduleDiagnostics(uri, done < 1 ? DIAGNOSTICS_DELAY_MS : 0);
  }

  private *openModels(): Iterable<DumpDocument> {
    yield* this.diskDocuments.values();
    for (const document of this.documents.all()) {
      const doc = this.model(document.uri);
      if (doc) {
        yield doc;
      }
    }
  }

  private scheduleDiagnostics(uri: string, delayMs = DIAGNOSTICS_DELAY_MS): void {
    clearTimeout(this.pendingDiagnostics.get(uri));
    this.pendingDiagnostics.set(
      uri,
      setTimeout(() => {
        this.pendingDiagnostics.delete(uri);
        if (this.slicedParses.has(uri)) {
          return; // published when the sliced parse and its analysis end
        }
        this.publishDiagnostics(uri);
      }, delayMs),
    );
  }

  private publishDiagnostics(uri: string): void {
    try {
      const doc = this.model(uri);
      if (!doc || this.analyses.has(uri)) {
        // Bringing the model up to date may have started an analysis in slices (an edit it cannot follow): that
        // publishes the diagnostics when it ends, rather than have them finish it at once.
        return;
      }
      void this.connection.sendDiagnostics({ uri, version: doc.version, diagnostics: diagnostics(doc.diagnostics) });
    } catch (error) {
      this.connection.console.error(`Error while computing diagnostics for ${uri}: ${errorText(error)}`);
    }
  }

  /** Runs a handler; an exception is logged and answered with `fallback`, and a cancelled request gets `fallback` too. */
  private runSafe<T>(token: CancellationToken, fallback: T, what: string, fn: () => T): T {
    if (token.isCancellationRequested) {
      return fallback;
    }
    try {
      return fn();
    } catch (error) {
      this.connection.console.error(`Error while computing ${what}: ${errorText(error)}`);
      return fallback;
    }
  }
}

/** Lets the event loop run what is waiting (requests, timers) before going on. */
function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * The turns the connection takes to answer a request already read: it handles one message a turn, and writes the
 * answer of an async handler in a later turn (vscode-jsonrpc's write queue). A slice of long work that waits them
 * out comes after the answer to the request sent with a didOpen (the outline, as a rule) has been written.
 */
async function turnsOfConnection(): Promise<void> {
  for (let turn = 0; turn < 3; turn++) {
    await nextTurn();
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
