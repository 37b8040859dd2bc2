// What the outline (kubeOutline, at the server's default limit of 5,000 chains) costs on the benchmark dumps: the
// first one in a fresh process, as when a dump is opened (V8 has not compiled the outline's code yet), and the median
// of later ones, as after each edit.
//
//   npx tsc -b server && npx tsx scripts/bench-outline.ts
//   npx tsx scripts/bench-outline.ts --sizes 20000 --format list --processes 7
//   npx tsx scripts/bench-outline.ts --server-out /tmp/before/server/out --server-out server/out   # side by side
//
// Each measurement runs in a fresh child process, the builds taking turns (`--processes` of each per dump), so that
// they see about the same machine load; the table gives medians with their range over the processes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as DocumentModule from '../server/src/features/document';
import type * as KubeFeaturesModule from '../server/src/features/kubeFeatures';
import type * as ParseModule from '../server/src/parse/index';
import { ensureDump, parseSizesBenchArgs } from './bench/dumps';
import { runBenchWorker } from './bench/worker';
import { summarize } from './bench/stats';

interface WorkerResult {
  chains: number;
  listed: number;
  firstMs: number;
  laterMs: number;
}

const USAGE = 'usage: bench-outline.ts [--sizes 1000,5000,20000] [--format save|list] [--processes 5] [--server-out DIR]…';
const LATER_RUNS = 20;

function worker(serverOut: string, file: string): void {
  // The compiled server, not tsx's transform of its sources: the very code the server runs.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { splitLines } = require(path.join(serverOut, 'parse', 'index.js')) as typeof ParseModule;
  const { DumpDocument } = require(path.join(serverOut, 'features', 'document.js')) as typeof DocumentModule;
  const { kubeOutline } = require(path.join(serverOut, 'features', 'kubeFeatures.js')) as typeof KubeFeaturesModule;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const doc = new DumpDocument(`file://${file}`, 1, splitLines(fs.readFileSync(file, 'utf8')));
  const time = (): { ms: number; listed: number } => {
    const started = performance.now();
    const outline = kubeOutline(doc, 5000);
    return { ms: performance.now() - started, listed: outline.reduce((sum, table) => sum + (table.children?.length ?? 0), 0) };
  };
  const first = time();
  const later = Array.from({ length: LATER_RUNS }, () => time().ms).sort((a, b) => a - b);
  const chains = doc.dump.tables.reduce((sum, table) => sum + table.chains.size, 0);
  process.stdout.write(JSON.stringify({ chains, listed: first.listed, firstMs: first.ms, laterMs: later[LATER_RUNS / 2] } satisfies WorkerResult) + '\n');
}

function runWorker(serverOut: string, file: string): WorkerResult {
  return runBenchWorker<WorkerResult>(__filename, [], [serverOut, file]);
}

function main(): void {
  const argv = process.argv.slice(2);
  if (argv[0] === '--worker') {
    worker(argv[1], argv[2]);
    return;
  }
  const { sizes, format, count: processes, serverOuts } = parseSizesBenchArgs(argv, USAGE, '--processes', 5);
  const log = (line: string): void => void process.stderr.write(line + '\n');
  const ms = (values: number[]): string => {
    const s = summarize(values);
    return `${s.median.toFixed(1)} (${s.min.toFixed(1)}–${s.max.toFixed(1)})`;
  };
  console.log(`Node ${process.version}, ${format} dumps, ${processes} processes per dump and build, outline limit 5,000`);
  console.log(`| dump | chains (listed) | server build | first outline ms | later outlines ms (median of ${LATER_RUNS} in each process) |`);
  console.log('| --- | --- | --- | --- | --- |');
  for (const services of sizes) {
    const file = ensureDump(services, format, log);
    const results = serverOuts.map((): WorkerResult[] => []);
    for (let p = 0; p < processes; p++) {
      serverOuts.forEach((serverOut, b) => results[b].push(runWorker(serverOut, file)));
    }
    serverOuts.forEach((serverOut, b) => {
      const [one] = results[b];
      const build = path.relative(process.cwd(), serverOut) || serverOut;
      console.log(
        `| ${services / 1000}k ${format} | ${one.chains} (${one.listed}) | ${build} | ${ms(results[b].map((r) => r.firstMs))} | ${ms(results[b].map((r) => r.laterMs))} |`,
      );
    });
  }
}

main();
