// `npm run bench`: how the parser and the language server hold up on kube-proxy dumps of 1k, 5k and 20k
// services (save and `-L -n -v`), against the floor of reading the file and splitting it into lines and
// words. Prints a Markdown table, writes .bench/results.json and .bench/results.md.
//
//   npm run bench                                  # all sizes, both formats, 3 runs each
//   npm run bench -- --sizes 1000 --runs 5         # one size
//   npm run bench -- --formats save --label after  # one format; the label names a copy of the results
//   npm run bench -- --server-out .bench/server-before  # a copy of server/out (e.g. of an older commit)
//   npx tsx scripts/bench.ts --table .bench/results-before.json  # the table of saved results again
//   npx tsx scripts/bench.ts --compare .bench/results-before.json .bench/results-after.json  # main figures side by side
//
// Each dump is measured over several runs: the parse in a fresh child process per dump (floor and parse
// alternating, so both see the same machine load), and the server in a fresh process per run. Other work on
// the machine makes wall-clock times noisy: CPU times are reported beside them, and every figure is a median
// with its range over the runs.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Dump } from '../server/src/model/types';
import type * as ParseModule from '../server/src/parse/index';
import { BENCH_DIR, ensureDump } from './bench/dumps';
import type { BenchFormat } from './bench/dumps';
import { runSession, SERVER_OUT, TEXT_ONLY_SERVER } from './bench/lspSession';
import type { NavigationMethod, Position, SessionResult } from './bench/lspSession';
import { seededRandom } from '../test/support/random';
import { quantile, summarize } from './bench/stats';
import type { Summary } from './bench/stats';

interface Options {
  sizes: number[];
  formats: BenchFormat[];
  runs: number;
  samples: number;
  edits: number;
  label: string;
  serverOut: string;
  nodeFlags: string[];
}

interface Timing {
  wallMs: number;
  cpuMs: number;
}

interface WorkerResult {
  floors: Timing[];
  parses: Timing[];
  retainedBytes: number;
  lines: number;
  chains: number;
  rules: number;
}

interface DumpResult {
  services: number;
  format: BenchFormat;
  file: string;
  bytes: number;
  lines: number;
  chains: number;
  rules: number;
  floorWallMs: Summary;
  floorCpuMs: Summary;
  parseWallMs: Summary;
  parseCpuMs: Summary;
  parseRetainedBytes: number;
  openToOutlineMs: Summary;
  openServerCpuMs: Summary;
  openToDiagnosticsMs: Summary;
  outlineSymbols: number;
  outlineBytes: number;
  /** The outline answer's JSON encode + decode alone (absent in results of older runs). */
  outlineCodecMs?: Summary;
  /** Per method: the p50 and p99 of each run, summarised over runs; null when the server lacks the method. */
  latency: Record<NavigationMethod, { p50: Summary; p99: Summary; serverCpuMs: Summary } | null>;
  editToHoverMs: Summary;
  editToOutlineMs: Summary;
  editToDiagnosticsMs: Summary;
  editServerCpuMs: Summary;
  /** Server CPU of the edits answered by a hover, and by the outline (absent in results of older runs). */
  editHoverServerCpuMs?: Summary;
  editOutlineServerCpuMs?: Summary;
  /** Enter at the end of a rule line and the empty line deleted, answered by a hover (absent in older results). */
  lineEditToHoverMs?: Summary;
  lineEditServerCpuMs?: Summary;
  progressNotifications: number;
  peakRssBytes: Summary;
  /** See SessionResult (absent in results of older runs). */
  idleRssBytes?: Summary;
  reopenToOutlineMs?: Summary;
  /**
   * The same session against scripts/bench/textOnlyServer.mjs, which only keeps the text and splits it into lines: what
   * the protocol alone costs (absent in results of older runs).
   */
  textOnly?: { openToOutlineMs: Summary; peakRssBytes: Summary };
  targets: Record<string, boolean>;
}

const USAGE = 'usage: bench.ts [--sizes 1000,5000,20000] [--formats save,list] [--runs 3] [--samples 200] [--edits 3] [--label NAME] [--server-out DIR] [--node-flags "FLAGS"] | --table RESULTS.json | --compare BEFORE.json AFTER.json';

function parseOptions(argv: string[]): Options {
  const options: Options = { sizes: [1000, 5000, 20000], formats: ['save', 'list'], runs: 3, samples: 200, edits: 3, label: '', serverOut: SERVER_OUT, nodeFlags: [] };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    switch (argv[i]) {
      case '--sizes':
        options.sizes = value.split(',').map(Number);
        break;
      case '--formats':
        options.formats = value.split(',') as BenchFormat[];
        break;
      case '--runs':
        options.runs = Number(value);
        break;
      case '--samples':
        options.samples = Number(value);
        break;
      case '--edits':
        options.edits = Number(value);
        break;
      case '--label':
        options.label = value;
        break;
      case '--server-out':
        options.serverOut = path.resolve(value);
        break;
      case '--node-flags':
        options.nodeFlags = value.split(' ').filter((flag) => flag !== '');
        break;
      default:
        throw new Error(`unknown argument ${argv[i]}\n${USAGE}`);
    }
    i++;
  }
  if (options.sizes.some((n) => !Number.isInteger(n) || n <= 0) || !(options.runs >= 1) || options.formats.some((f) => f !== 'save' && f !== 'list')) {
    throw new Error(USAGE);
  }
  return options;
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function runWorker(serverOut: string, file: string, runs: number): WorkerResult {
  const worker = path.join(__dirname, 'bench', 'parseWorker.ts');
  const result = spawnSync(process.execPath, ['--expose-gc', '-r', 'tsx/cjs', worker, serverOut, file, String(runs)], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(`parse worker failed on ${file}:\n${result.stderr}`);
  }
  return JSON.parse(result.stdout) as WorkerResult;
}

/** What the sessions ask about: `samples` chains picked at random, each at a jump to it (or its declaration). */
function planQuestions(dump: Dump, samples: number, seed: number): { positions: Position[]; editLine: number } {
  const random = seededRandom(seed);
  const chains = [];
  for (const table of dump.tables) {
    for (const chain of table.chains.values()) {
      if (chain.declaration) {
        chains.push(chain);
      }
    }
  }
  const positions: Position[] = [];
  for (let i = 0; i < samples && chains.length > 0; i++) {
    const chain = chains[Math.floor(random() * chains.length)];
    const jumps = chain.referencedBy.filter((rule) => rule.target);
    const span = jumps.length > 0 ? jumps[Math.floor(random() * jumps.length)].target!.span : chain.declaration!;
    positions.push({ line: span.line, character: span.start + 1 });
  }
  // Type in the middle of the dump, on a rule line.
  let editLine = Math.floor(dump.lineCount / 2);
  while (editLine < dump.lineCount - 1 && !(dump.lineOwners[editLine] && 'bodyStart' in dump.lineOwners[editLine]!)) {
    editLine++;
  }
  return { positions, editLine };
}

async function benchDump(services: number, format: BenchFormat, options: Options): Promise<DumpResult> {
  const file = ensureDump(services, format, log);
  const bytes = fs.statSync(file).size;
  log(`${path.basename(file)}: parse ×${options.runs} (floor alternating) …`);
  const worker = runWorker(options.serverOut, file, options.runs);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parseDump } = require(path.join(options.serverOut, 'parse', 'index.js')) as typeof ParseModule;
  const text = fs.readFileSync(file, 'utf8');
  const { positions, editLine } = planQuestions(parseDump(text), options.samples, services);
  const lines = text.split(/\r\n|\r|\n/);
  const uri = `file://${file}`;
  const sessions: SessionResult[] = [];
  for (let run = 0; run < options.runs; run++) {
    log(`${path.basename(file)}: server run ${run + 1}/${options.runs} …`);
    sessions.push(await runSession({ serverOut: options.serverOut, nodeFlags: options.nodeFlags, uri, text, positions, editLine, editLineLength: lines[editLine].length, edits: options.edits }));
  }
  const textOnlySessions: SessionResult[] = [];
  for (let run = 0; run < options.runs; run++) {
    log(`${path.basename(file)}: text-only server run ${run + 1}/${options.runs} …`);
    textOnlySessions.push(
      await runSession({ serverOut: options.serverOut, script: TEXT_ONLY_SERVER, nodeFlags: options.nodeFlags, uri, text, positions, editLine, editLineLength: lines[editLine].length, edits: options.edits }),
    );
  }
  const latency = {} as DumpResult['latency'];
  for (const method of ['definition', 'hover', 'references', 'implementation'] as const) {
    const perRun = sessions.map((s) => s.latencies[method]);
    latency[method] = perRun.some((times) => times === null)
      ? null
      : {
          p50: summarize(perRun.map((times) => quantile(times!, 0.5))),
          p99: summarize(perRun.map((times) => quantile(times!, 0.99))),
          serverCpuMs: summarize(sessions.map((s) => s.serverCpuPerRequestMs[method]!)),
        };
  }
  const floorWallMs = summarize(worker.floors.map((t) => t.wallMs));
  const openToOutlineMs = summarize(sessions.map((s) => s.openToOutlineMs));
  const peakRssBytes = summarize(sessions.map((s) => s.peakRssBytes));
  const editToHoverMs = summarize(sessions.flatMap((s) => s.editToHoverMs));
  const editToOutlineMs = summarize(sessions.flatMap((s) => s.editToOutlineMs));
  const result: DumpResult = {
    services,
    format,
    file: path.relative(process.cwd(), file),
    bytes,
    lines: worker.lines,
    chains: worker.chains,
    rules: worker.rules,
    floorWallMs,
    floorCpuMs: summarize(worker.floors.map((t) => t.cpuMs)),
    parseWallMs: summarize(worker.parses.map((t) => t.wallMs)),
    parseCpuMs: summarize(worker.parses.map((t) => t.cpuMs)),
    parseRetainedBytes: worker.retainedBytes,
    openToOutlineMs,
    openServerCpuMs: summarize(sessions.map((s) => s.openServerCpuMs)),
    openToDiagnosticsMs: summarize(sessions.map((s) => s.openToDiagnosticsMs)),
    outlineSymbols: sessions[0].outlineSymbols,
    outlineBytes: sessions[0].outlineBytes,
    outlineCodecMs: summarize(sessions.map((s) => s.outlineCodecMs)),
    latency,
    editToHoverMs,
    editToOutlineMs,
    editToDiagnosticsMs: summarize(sessions.flatMap((s) => s.editToDiagnosticsMs)),
    editServerCpuMs: summarize(sessions.flatMap((s) => s.editServerCpuMs)),
    editHoverServerCpuMs: summarize(sessions.flatMap((s) => s.editHoverServerCpuMs)),
    editOutlineServerCpuMs: summarize(sessions.flatMap((s) => s.editOutlineServerCpuMs)),
    lineEditToHoverMs: summarize(sessions.flatMap((s) => s.lineEditToHoverMs)),
    lineEditServerCpuMs: summarize(sessions.flatMap((s) => s.lineEditServerCpuMs)),
    progressNotifications: sessions[0].progressNotifications,
    peakRssBytes,
    idleRssBytes: summarize(sessions.map((s) => s.idleRssBytes)),
    reopenToOutlineMs: summarize(sessions.map((s) => s.reopenToOutlineMs)),
    textOnly: {
      openToOutlineMs: summarize(textOnlySessions.map((s) => s.openToOutlineMs)),
      peakRssBytes: summarize(textOnlySessions.map((s) => s.peakRssBytes)),
    },
    targets: {},
  };
  result.targets = targetsMet(result);
  return result;
}

/** The issue's targets, for one dump. Wall-clock times on a busy machine mislead: the CPU ratio is given too. */
function targetsMet(r: DumpResult): Record<string, boolean> {
  const nav = [r.latency.definition, r.latency.hover];
  // A character typed in a rule, and a line added or removed by Enter / Backspace: both are one-character edits.
  const editToHover = Math.max(r.editToHoverMs.median, r.lineEditToHoverMs?.median ?? 0);
  return {
    'open→outline ≤ 3× floor (wall)': r.openToOutlineMs.median <= 3 * r.floorWallMs.median,
    'open→outline ≤ 3× floor (CPU)': r.openServerCpuMs.median <= 3 * r.floorCpuMs.median,
    'hover/definition p50 ≤ 5 ms, p99 ≤ 25 ms': nav.every((l) => l !== null && l.p50.median <= 5 && l.p99.median <= 25),
    'edit re-answered ≤ 200 ms': editToHover <= 200,
    'server RSS ≤ 6× file': r.peakRssBytes.median <= 6 * r.bytes,
  };
}

// ---- output ----

function ms(s: Summary): string {
  const round = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  return s.runs > 1 ? `${round(s.median)} (${round(s.min)}–${round(s.max)})` : round(s.median);
}

function mb(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}

function markdownTable(results: DumpResult[]): string {
  const header = [
    'dump',
    'lines',
    'MB',
    'floor ms (CPU)',
    'parse+index ms (CPU)',
    'open→outline ms (server CPU)',
    '× floor (wall / CPU)',
    'opened again→outline ms (× floor)',
    'outline answer: symbols, MB, JSON encode+decode ms (× floor)',
    'definition p50 / p99 ms (server CPU per request)',
    'hover p50 / p99 ms (server CPU per request)',
    'references p50 / p99 ms (server CPU per request)',
    'implementation p50 / p99 ms (server CPU per request)',
    'edit→hover ms (server CPU)',
    'edit→outline ms (server CPU)',
    'line added/removed→hover ms (server CPU)',
    'server peak RSS MB',
    '× file',
    'idle server RSS MB; peak above it (× file)',
    'text-only server: open→outline ms (× floor); peak RSS MB (× file)',
  ];
  const rows = results.map((r) => {
    const nav = (method: NavigationMethod): string => {
      const l = r.latency[method];
      return l ? `${ms(l.p50)} / ${ms(l.p99)} (${l.serverCpuMs.median.toFixed(1)})` : 'n/a';
    };
    return [
      `${r.services / 1000}k ${r.format}`,
      String(r.lines),
      mb(r.bytes),
      `${ms(r.floorWallMs)} (${r.floorCpuMs.median.toFixed(0)})`,
      `${ms(r.parseWallMs)} (${r.parseCpuMs.median.toFixed(0)})`,
      `${ms(r.openToOutlineMs)} (${r.openServerCpuMs.median.toFixed(0)})`,
      `${(r.openToOutlineMs.median / r.floorWallMs.median).toFixed(1)} / ${(r.openServerCpuMs.median / r.floorCpuMs.median).toFixed(1)}`,
      r.reopenToOutlineMs ? `${ms(r.reopenToOutlineMs)} (${(r.reopenToOutlineMs.median / r.floorWallMs.median).toFixed(1)}×)` : 'n/a',
      r.outlineCodecMs
        ? `${r.outlineSymbols}, ${mb(r.outlineBytes)}, ${ms(r.outlineCodecMs)} (${(r.outlineCodecMs.median / r.floorWallMs.median).toFixed(1)}×)`
        : `${r.outlineSymbols}, ${mb(r.outlineBytes)}`,
      nav('definition'),
      nav('hover'),
      nav('references'),
      nav('implementation'),
      `${ms(r.editToHoverMs)} (${(r.editHoverServerCpuMs ?? r.editServerCpuMs).median.toFixed(0)}${r.editHoverServerCpuMs ? '' : '*'})`,
      r.editOutlineServerCpuMs ? `${ms(r.editToOutlineMs)} (${r.editOutlineServerCpuMs.median.toFixed(0)})` : ms(r.editToOutlineMs),
      r.lineEditToHoverMs && r.lineEditServerCpuMs ? `${ms(r.lineEditToHoverMs)} (${r.lineEditServerCpuMs.median.toFixed(0)})` : 'n/a',
      `${mb(r.peakRssBytes.median)} (${mb(r.peakRssBytes.min)}–${mb(r.peakRssBytes.max)})`,
      (r.peakRssBytes.median / r.bytes).toFixed(1),
      r.idleRssBytes
        ? `${mb(r.idleRssBytes.median)}; ${mb(r.peakRssBytes.median - r.idleRssBytes.median)} (${((r.peakRssBytes.median - r.idleRssBytes.median) / r.bytes).toFixed(1)})`
        : 'n/a',
      r.textOnly
        ? `${ms(r.textOnly.openToOutlineMs)} (${(r.textOnly.openToOutlineMs.median / r.floorWallMs.median).toFixed(1)}×); ${mb(r.textOnly.peakRssBytes.median)} (${(r.textOnly.peakRssBytes.median / r.bytes).toFixed(1)}×)`
        : 'n/a',
    ];
  });
  return [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

function growthLines(results: DumpResult[]): string[] {
  const out: string[] = [];
  for (const format of ['save', 'list'] as const) {
    const rows = results.filter((r) => r.format === format).sort((a, b) => a.services - b.services);
    if (rows.length < 2) {
      continue;
    }
    const perMb = (r: DumpResult, v: number): string => (v / (r.bytes / 1048576)).toFixed(1);
    out.push(
      `${format}: per MB of dump — parse CPU ${rows.map((r) => perMb(r, r.parseCpuMs.median)).join(' → ')} ms; ` +
        `open→outline ${rows.map((r) => perMb(r, r.openToOutlineMs.median)).join(' → ')} ms; ` +
        `server peak RSS ${rows.map((r) => perMb(r, r.peakRssBytes.median / 1048576)).join(' → ')} MB`,
    );
  }
  return out;
}

function machine(): Record<string, string | number> {
  return {
    nproc: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

/**
 * The commit the measured server was built from: `COMMIT` in its folder (a copy), else the HEAD of the work tree
 * the folder is in (another worktree's build is labelled with that worktree's commit, not this one's).
 */
function gitCommit(serverOut: string): string {
  const stamp = path.join(serverOut, 'COMMIT');
  if (fs.existsSync(stamp)) {
    return fs.readFileSync(stamp, 'utf8').trim();
  }
  const result = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', cwd: serverOut });
  return result.status === 0 ? result.stdout.trim() : 'unknown';
}

interface SavedResults {
  when: string;
  commit: string;
  machine: Record<string, string | number>;
  options: Options;
  results: DumpResult[];
}

function report(saved: SavedResults): string {
  const { machine: info, options, results } = saved;
  const textOnly = (r: DumpResult): string =>
    r.textOnly
      ? `; the text-only server: open→outline ${(r.textOnly.openToOutlineMs.median / r.floorWallMs.median).toFixed(1)}× floor, RSS ${(r.textOnly.peakRssBytes.median / r.bytes).toFixed(1)}× file`
      : '';
  const targets = results.map((r) => `${r.services / 1000}k ${r.format}: ${Object.entries(targetsMet(r)).map(([name, ok]) => `${ok ? '✓' : '✗'} ${name}`).join(', ')}${textOnly(r)}`);
  return [
    `Machine: ${info.nproc} cores (${info.cpu}), ${info.memory}, Node ${info.node}; server of commit ${saved.commit}, ${saved.when}, ${options.runs} runs per dump, ${options.samples} chains sampled${options.nodeFlags?.length ? `; server run with \`${options.nodeFlags.join(' ')}\`` : ''}.`,
    '',
    markdownTable(results),
    '',
    ...growthLines(results).map((line) => `- ${line}`),
    ...targets.map((line) => `- ${line}`),
    ...(results.some((r) => !r.editHoverServerCpuMs) ? ['- \\* server CPU per edit over all edits (answered by a hover or by the outline): this run did not tell them apart.'] : []),
  ].join('\n');
}

/** The main figures of two saved runs side by side (medians), CPU times first since they are the steadier. */
function comparison(before: SavedResults, after: SavedResults): string {
  const header = [
    'dump',
    'parse+index CPU ms',
    'open→outline server CPU ms',
    'open→outline wall ms',
    'hover p50 / p99 ms',
    'edit→hover wall ms',
    'line added/removed→hover wall ms',
    'server peak RSS MB (× file)',
  ];
  const rows = after.results.flatMap((a) => {
    const b = before.results.find((r) => r.services === a.services && r.format === a.format);
    if (!b) {
      return [];
    }
    const pair = (f: (r: DumpResult) => string): string => `${f(b)} → ${f(a)}`;
    return [
      [
        `${a.services / 1000}k ${a.format}`,
        pair((r) => r.parseCpuMs.median.toFixed(0)),
        pair((r) => r.openServerCpuMs.median.toFixed(0)),
        pair((r) => r.openToOutlineMs.median.toFixed(0)),
        pair((r) => (r.latency.hover ? `${r.latency.hover.p50.median.toFixed(2)} / ${r.latency.hover.p99.median.toFixed(1)}` : 'n/a')),
        pair((r) => r.editToHoverMs.median.toFixed(0)),
        pair((r) => r.lineEditToHoverMs?.median.toFixed(0) ?? 'n/a'),
        pair((r) => `${mb(r.peakRssBytes.median)} (${(r.peakRssBytes.median / r.bytes).toFixed(0)}×)`),
      ],
    ];
  });
  return [
    `Before: server of commit ${before.commit} (${before.when}); after: ${after.commit} (${after.when}).`,
    '',
    ...[header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`),
  ].join('\n');
}

async function main(): Promise<void> {
  if (process.argv[2] === '--compare') {
    const read = (file: string): SavedResults => JSON.parse(fs.readFileSync(file, 'utf8')) as SavedResults;
    process.stdout.write(comparison(read(process.argv[3]), read(process.argv[4])) + '\n');
    return;
  }
  if (process.argv[2] === '--table') {
    // Re-render saved results (e.g. after a change of the table's columns).
    process.stdout.write(report(JSON.parse(fs.readFileSync(process.argv[3], 'utf8')) as SavedResults) + '\n');
    return;
  }
  const options = parseOptions(process.argv.slice(2));
  if (!fs.existsSync(path.join(options.serverOut, 'server.js'))) {
    throw new Error(`${options.serverOut}/server.js is missing: run \`npx tsc -b server\` first (npm run bench does).`);
  }
  const results: DumpResult[] = [];
  for (const services of options.sizes) {
    for (const format of options.formats) {
      const result = await benchDump(services, format, options);
      results.push(result);
      log(markdownTable([result]).split('\n')[2]);
    }
  }
  const info = machine();
  const when = new Date().toISOString();
  const commit = gitCommit(options.serverOut);
  const markdown = report({ when, commit, machine: info, options, results });
  fs.mkdirSync(BENCH_DIR, { recursive: true });
  fs.writeFileSync(path.join(BENCH_DIR, 'results.json'), JSON.stringify({ label: options.label, when, commit, machine: info, options, results }, null, 2) + '\n');
  fs.writeFileSync(path.join(BENCH_DIR, 'results.md'), markdown + '\n');
  if (options.label) {
    fs.writeFileSync(path.join(BENCH_DIR, `results-${options.label}.json`), JSON.stringify({ label: options.label, when, commit, machine: info, options, results }, null, 2) + '\n');
    fs.writeFileSync(path.join(BENCH_DIR, `results-${options.label}.md`), markdown + '\n');
  }
  process.stdout.write(markdown + '\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
