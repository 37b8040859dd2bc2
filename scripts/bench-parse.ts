// `npx tsx scripts/bench-parse.ts [--runs N] [--sizes 1000,5000,20000] [--formats save,list] [OUT_DIR …]`:
// the parser alone (`splitLines` done beforehand, then `parseLines`, which includes the index) on the
// generated kube-proxy dumps of .bench/dumps, for one or more built servers (default: server/out; pass a
// copy of an older commit's `server/out` first to compare before/after in the same run). Each measurement
// runs in a fresh `node --expose-gc` (plain JS, no tsx hooks), the servers alternating, and prints the
// median CPU and wall time of the parse and the heap the model retains after a full GC (the lines it
// keeps are not counted: they exist before the parse).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The child's code: plain JS so the measured parser is exactly the compiled one, with nothing wrapped. */
const WORKER = `
const fs = require('node:fs');
const [outDir, file] = process.argv.slice(1);
const parse = require(outDir + '/parse/index.js');
const lines = parse.splitLines(fs.readFileSync(file, 'utf8'));
gc(); gc();
const heapBefore = process.memoryUsage().heapUsed;
const cpu = process.cpuUsage();
const started = performance.now();
const dump = parse.parseLines(lines);
const wallMs = performance.now() - started;
const used = process.cpuUsage(cpu);
gc(); gc();
const heapAfter = process.memoryUsage().heapUsed;
let rules = 0;
for (const table of dump.tables) for (const chain of table.chains.values()) rules += chain.rules.length;
process.stdout.write(JSON.stringify({ cpuMs: (used.user + used.system) / 1000, wallMs, heapBefore, heapAfter, rules, diagnostics: dump.diagnostics.length, lines: lines.length }));
`;

interface Sample {
  cpuMs: number;
  wallMs: number;
  heapBefore: number;
  heapAfter: number;
  rules: number;
  diagnostics: number;
  lines: number;
}

function option(argv: string[], name: string, fallback: string): string {
  const at = argv.indexOf(name);
  if (at < 0) {
    return fallback;
  }
  const value = argv[at + 1];
  argv.splice(at, 2);
  return value;
}

function measure(outDir: string, file: string): Sample {
  const result = spawnSync(process.execPath, ['--expose-gc', '-e', WORKER, outDir, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (result.status !== 0) {
    throw new Error(`parse of ${file} with ${outDir} failed:\n${result.stderr}`);
  }
  return JSON.parse(result.stdout) as Sample;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function main(): void {
  const argv = process.argv.slice(2);
  const runs = Number(option(argv, '--runs', '3'));
  const sizes = option(argv, '--sizes', '1000,5000,20000').split(',');
  const formats = option(argv, '--formats', 'save,list').split(',');
  const outDirs = (argv.length > 0 ? argv : ['server/out']).map((d) => path.resolve(d));
  const dumps = path.resolve(__dirname, '..', '.bench', 'dumps');
  const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
  process.stdout.write(`node ${process.version}, ${runs} runs per dump and server, median\n\n`);
  process.stdout.write('| dump | lines | server | parse CPU ms | parse wall ms | heap before → after MB | retained MB |\n| --- | --- | --- | --- | --- | --- | --- |\n');
  for (const format of formats) {
    for (const size of sizes) {
      const file = path.join(dumps, `kube-${size}-${format}.txt`);
      if (!fs.existsSync(file)) {
        process.stderr.write(`${file} is missing: generate it with \`npm run bench -- --sizes ${size}\` first\n`);
        continue;
      }
      const samples = outDirs.map((): Sample[] => []);
      for (let run = 0; run < runs; run++) {
        outDirs.forEach((outDir, i) => samples[i].push(measure(outDir, file)));
      }
      outDirs.forEach((outDir, i) => {
        const s = samples[i];
        const before = median(s.map((x) => x.heapBefore));
        const after = median(s.map((x) => x.heapAfter));
        const row = [
          `${size / 1000}k ${format}`,
          String(s[0].lines),
          path.relative(process.cwd(), outDir) || '.',
          median(s.map((x) => x.cpuMs)).toFixed(0),
          median(s.map((x) => x.wallMs)).toFixed(0),
          `${mb(before)} → ${mb(after)}`,
          mb(median(s.map((x) => x.heapAfter - x.heapBefore))),
        ];
        process.stdout.write(`| ${row.join(' | ')} |\n`);
      });
    }
  }
}

main();
