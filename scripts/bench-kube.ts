// What the kube-proxy analysis (analyzeKube) costs on the benchmark dumps: parse CPU, analysis CPU, the garbage
// collector's share of it, and the heap the analysis result retains, at 1k/5k/20k services.
//
//   npx tsc -b server && npx tsx scripts/bench-kube.ts
//   npx tsx scripts/bench-kube.ts --sizes 20000 --runs 5 --format list
//   npx tsx scripts/bench-kube.ts --server-out /tmp/before/server/out --server-out server/out   # side by side
//
// Each (dump, server build) pair runs in a fresh child process (`--expose-gc`), the builds one after the other
// for each dump, so that they see about the same machine load. The child parses the dump once (splitLines + parseLines, as the server
// does), then runs the analysis `--runs` times; CPU times are medians. "Retained" is heapUsed after a full GC with
// the analysis alive minus heapUsed after a full GC before it: what a server holding the result keeps.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import type * as AnalysisModule from '../server/src/kube/analysis';
import type * as ParseModule from '../server/src/parse/index';
import { ensureDump, parseSizesBenchArgs } from './bench/dumps';
import { runBenchWorker } from './bench/worker';

interface WorkerResult {
  lines: number;
  services: number;
  parseCpuMs: number;
  analysisCpuMs: number[];
  gcMs: number[];
  retainedBytes: number;
}

const USAGE = 'usage: bench-kube.ts [--sizes 1000,5000,20000] [--format save|list] [--runs 3] [--server-out DIR]…';

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

function collect(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) {
    throw new Error('run the worker with --expose-gc');
  }
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function worker(serverOut: string, file: string, runs: number): Promise<void> {
  // The compiled server, not tsx's transform of its sources: the very code the server runs.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { splitLines, parseLines } = require(path.join(serverOut, 'parse', 'index.js')) as typeof ParseModule;
  const { analyzeKube } = require(path.join(serverOut, 'kube', 'analysis.js')) as typeof AnalysisModule;
  /* eslint-enable @typescript-eslint/no-require-imports */
  // Collections are reported late, so they are attributed by their start time to the analysis window they fell in.
  const collections: { start: number; duration: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      collections.push({ start: entry.startTime, duration: entry.duration });
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const text = fs.readFileSync(file, 'utf8');
  const parseStart = process.cpuUsage();
  const dump = parseLines(splitLines(text));
  const parseCpuMs = cpuMs(parseStart);
  const result: WorkerResult = { lines: dump.lineCount, services: 0, parseCpuMs, analysisCpuMs: [], gcMs: [], retainedBytes: 0 };
  for (let run = 0; run < runs; run++) {
    const before = collect();
    const start = process.cpuUsage();
    const started = performance.now();
    let analysis: AnalysisModule.KubeAnalysis | undefined = analyzeKube(dump);
    result.analysisCpuMs.push(cpuMs(start));
    const ended = performance.now();
    const after = collect();
    await new Promise((resolve) => setTimeout(resolve, 10)); // let the observer report
    result.gcMs.push(collections.filter((c) => c.start >= started && c.start < ended).reduce((sum, c) => sum + c.duration, 0));
    result.services = analysis.services.length;
    if (run === 0) {
      result.retainedBytes = after - before;
    }
    analysis = undefined;
  }
  observer.disconnect();
  process.stdout.write(JSON.stringify(result) + '\n');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function runWorker(serverOut: string, file: string, runs: number): WorkerResult {
  return runBenchWorker<WorkerResult>(__filename, ['--expose-gc'], [serverOut, file, String(runs)]);
}

function main(): void {
  const argv = process.argv.slice(2);
  if (argv[0] === '--worker') {
    void worker(argv[1], argv[2], Number(argv[3]));
    return;
  }
  const { sizes, format, count: runs, serverOuts } = parseSizesBenchArgs(argv, USAGE, '--runs', 3);
  const log = (line: string): void => void process.stderr.write(line + '\n');
  console.log(`Node ${process.version}, ${runs} analysis runs per dump (median CPU), ${format} dumps`);
  console.log('| dump | lines | server build | parse CPU ms | analysis CPU ms (min–max) | of which GC ms | analysis retained MB |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const size of sizes) {
    const file = ensureDump(size, format, log);
    for (const serverOut of serverOuts) {
      const r = runWorker(serverOut, file, runs);
      const label = path.relative(process.cwd(), serverOut) || '.';
      console.log(
        `| ${size / 1000}k ${format} | ${r.lines} | ${label} | ${r.parseCpuMs.toFixed(0)} | ${median(r.analysisCpuMs).toFixed(0)} ` +
          `(${Math.min(...r.analysisCpuMs).toFixed(0)}–${Math.max(...r.analysisCpuMs).toFixed(0)}) | ${median(r.gcMs).toFixed(0)} | ` +
          `${(r.retainedBytes / 1e6).toFixed(1)} |`,
      );
    }
  }
}

main();
