// The benchmark's inputs: kube-proxy-shaped dumps made by the project's generator, cached under .bench/dumps
// (the generator is deterministic, so a cached file is the same as a fresh one for the same options).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateKubeDump, renderListing, renderSave } from '../../test/support/generateKubeDump';

export type BenchFormat = 'save' | 'list';

export const BENCH_DIR = path.resolve(__dirname, '../../.bench');
const SEED = 1;
const MAX_ENDPOINTS = 10;

/** The path of the dump for `services` services in `format`, generated on first use. */
export function ensureDump(services: number, format: BenchFormat, log: (line: string) => void): string {
  const dir = path.join(BENCH_DIR, 'dumps');
  const file = path.join(dir, `kube-${services}-${format}.txt`);
  if (fs.existsSync(file) && fs.statSync(file).size > 0) {
    return file;
  }
  fs.mkdirSync(dir, { recursive: true });
  const started = performance.now();
  const dump = generateKubeDump({ services, maxEndpoints: MAX_ENDPOINTS, seed: SEED });
  const text = format === 'save' ? renderSave(dump) : renderListing(dump);
  const partial = `${file}.partial`;
  fs.writeFileSync(partial, text);
  fs.renameSync(partial, file);
  log(`generated ${path.relative(process.cwd(), file)} (${(text.length / 1e6).toFixed(1)} MB) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return file;
}

/** What the stdio benchmarks of one generated dump take: `--services N --format save|list --runs N --server-out DIR …`. */
export interface DumpBenchOptions {
  services: number;
  format: BenchFormat;
  runs: number;
  /** Builds of the server to measure (`server/out` folders), in turn; empty for the project's own. */
  serverOuts: string[];
}

/** Reads `DumpBenchOptions` from `argv`; an unknown option or one without its value throws `usage`. */
export function parseDumpBenchArgs(argv: readonly string[], usage: string): DumpBenchOptions {
  const options: DumpBenchOptions = { services: 20000, format: 'save', runs: 2, serverOuts: [] };
  for (let i = 0; i < argv.length; i += 2) {
    const value = argv[i + 1];
    if (value === undefined) {
      throw new Error(usage);
    }
    if (argv[i] === '--services') {
      options.services = Number(value);
    } else if (argv[i] === '--format') {
      options.format = value === 'list' ? 'list' : 'save';
    } else if (argv[i] === '--runs') {
      options.runs = Number(value);
    } else if (argv[i] === '--server-out') {
      options.serverOuts.push(path.resolve(value));
    } else {
      throw new Error(usage);
    }
  }
  return options;
}

/** What the in-process benchmarks of several sizes take: `--sizes 1000,5000 --format save|list --runs N --server-out DIR …`. */
export interface SizesBenchOptions {
  sizes: number[];
  format: BenchFormat;
  /** `--runs` (or the name given to `parseSizesBenchArgs`) N. */
  count: number;
  /** Builds of the server to measure (`server/out` folders); the project's own when none is given. */
  serverOuts: string[];
}

/**
 * Reads `SizesBenchOptions` from `argv`, the count under the option `countOption` (`--runs`, `--processes`); an
 * unknown option or one without its value throws `usage`.
 */
export function parseSizesBenchArgs(argv: readonly string[], usage: string, countOption: string, count: number): SizesBenchOptions {
  const options: SizesBenchOptions = { sizes: [1000, 5000, 20000], format: 'save', count, serverOuts: [] };
  for (let i = 0; i < argv.length; i += 2) {
    const value = argv[i + 1];
    if (value === undefined) {
      throw new Error(usage);
    }
    if (argv[i] === '--sizes') {
      options.sizes = value.split(',').map(Number);
    } else if (argv[i] === '--format') {
      options.format = value === 'list' ? 'list' : 'save';
    } else if (argv[i] === countOption) {
      options.count = Number(value);
    } else if (argv[i] === '--server-out') {
      options.serverOuts.push(path.resolve(value));
    } else {
      throw new Error(usage);
    }
  }
  if (options.serverOuts.length === 0) {
    options.serverOuts.push(path.resolve(__dirname, '../../server/out'));
  }
  return options;
}
