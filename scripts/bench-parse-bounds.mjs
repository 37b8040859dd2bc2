// How far the parser is from what any parser of this model must pay, on a generated save dump (kube-proxy shaped:
// declarations first, then each chain's `-A` rules): in one process, alternating, the median wall time of
//   - floor: read the file, split it into lines and each line into words (the benchmark's floor);
//   - scan: read and split into lines, then per line the chain (the last one, else a map lookup) and the target
//     (`-j NAME`, looked up among the chains) with a count per chain: the least a parse that gives each chain its
//     rule count and its callers' count does, with no object per rule;
//   - objects: the scan plus one object per rule, kept in its chain's list and the line's slot, and each chain's
//     callers collected after (what a model of rule objects with `referencedBy` costs at the least);
//   - parser: read, split, then this repository's parser and index (`parseLines` of server/out).
// Save dumps only (the scan reads `:NAME` and `-A NAME … -j TARGET`).
//
//   npx tsc -b server && node scripts/bench-parse-bounds.mjs [.bench/dumps/kube-20000-save.txt] [runs]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const { parseLines, splitLines } = require('../server/out/parse/index.js');
const file = process.argv[2] ?? '.bench/dumps/kube-20000-save.txt';
const runs = Number(process.argv[3] ?? 5);

class Chain {
  constructor(name) {
    this.name = name;
    this.rules = [];
    this.callers = [];
    this.ruleCount = 0;
    this.callerCount = 0;
  }
}

class Rule {
  constructor(chain, line, text, target) {
    this.chain = chain;
    this.line = line;
    this.text = text;
    this.target = target;
  }
}

function floor() {
  const lines = readFileSync(file, 'utf8').split('\n');
  let words = 0;
  for (const line of lines) {
    words += line.split(' ').length;
  }
  return words;
}

/** The scan, with rule objects when `objects`. */
function scan(objects) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const chains = new Map();
  const owners = objects ? new Array(lines.length).fill(undefined) : undefined;
  let last;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i];
    const first = text.charCodeAt(0);
    if (first === 58 /* : */) {
      const name = text.slice(1, text.indexOf(' '));
      chains.set(name, new Chain(name));
    } else if (first === 45 /* - */) {
      const nameEnd = text.indexOf(' ', 3);
      let chain = last;
      if (chain === undefined || chain.name.length !== nameEnd - 3 || text.indexOf(chain.name, 3) !== 3) {
        chain = chains.get(text.slice(3, nameEnd));
        last = chain;
      }
      const jump = text.indexOf(' -j ', nameEnd);
      let target;
      if (jump >= 0) {
        const end = text.indexOf(' ', jump + 4);
        const name = text.slice(jump + 4, end < 0 ? text.length : end);
        target = chains.get(name) ?? name;
      }
      if (chain === undefined) {
        continue;
      }
      chain.ruleCount++;
      if (typeof target === 'object') {
        target.callerCount++;
      }
      if (objects) {
        const rule = new Rule(chain, i, text, target);
        chain.rules.push(rule);
        owners[i] = rule;
      }
    }
  }
  if (objects) {
    for (const chain of chains.values()) {
      for (const rule of chain.rules) {
        if (typeof rule.target === 'object') {
          rule.target.callers.push(rule);
        }
      }
    }
  }
  return chains.size;
}

function parser() {
  return parseLines(splitLines(readFileSync(file, 'utf8'))).tables.length;
}

const ways = { floor, scan: () => scan(false), objects: () => scan(true), parser };
const times = Object.fromEntries(Object.keys(ways).map((name) => [name, []]));
for (let run = 0; run < runs; run++) {
  for (const [name, way] of Object.entries(ways)) {
    const started = performance.now();
    way();
    times[name].push(performance.now() - started);
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const floorMs = median(times.floor);
console.log(`${file}, ${runs} runs each, alternating; median wall ms (× floor)`);
for (const [name, values] of Object.entries(times)) {
  console.log(`${name.padEnd(8)} ${median(values).toFixed(0).padStart(6)} (${(median(values) / floorMs).toFixed(2)}×)`);
}
