// Runs in a child process (`node --expose-gc -r tsx/cjs parseWorker.ts SERVER_OUT FILE RUNS`): measures, alternately, the
// floor (read the file, split it into lines and each line into words) and the parser (read + parseDump,
// which includes the index) of the built server, and the heap the parsed model retains (with the text it keeps). Prints one JSON line.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as ParseModule from '../../server/src/parse/index';

interface Timing {
  wallMs: number;
  cpuMs: number;
}

function timed<T>(fn: () => T): [T, Timing] {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = fn();
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return [result, { wallMs, cpuMs: (used.user + used.system) / 1000 }];
}

function collect(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

/** The floor: what any reader of the dump pays. Words are made as strings, as a naive tokenizer would. */
function floor(file: string): number {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  let words = 0;
  for (const line of lines) {
    words += line.split(' ').length;
  }
  return words;
}

function main(): void {
  const [serverOut, file, runsText] = process.argv.slice(2);
  const runs = Number(runsText ?? 3);
  // The compiled parser: the very code the server runs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parseDump } = require(path.join(path.resolve(serverOut), 'parse', 'index.js')) as typeof ParseModule;
  const floors: Timing[] = [];
  const parses: Timing[] = [];
  let retainedBytes = 0;
  let lines = 0;
  let chains = 0;
  let rules = 0;
  for (let run = 0; run < runs; run++) {
    collect();
    floors.push(timed(() => floor(file))[1]);
    const before = collect();
    const [dump, timing] = timed(() => parseDump(fs.readFileSync(file, 'utf8')));
    parses.push(timing);
    const after = collect();
    retainedBytes = after - before;
    lines = dump.lineCount;
    chains = 0;
    rules = 0;
    for (const table of dump.tables) {
      chains += table.chains.size;
      for (const chain of table.chains.values()) {
        rules += chain.rules.length;
      }
    }
  }
  process.stdout.write(JSON.stringify({ floors, parses, retainedBytes, lines, chains, rules }) + '\n');
}

main();
