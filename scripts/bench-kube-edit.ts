// What a one-character edit costs before the kube-proxy analysis answers again, in process CPU: DumpDocument.withEdits
// (the parser patches the edited rule in place) plus the analysis of the new version, done whole (`analyzeKube`, what
// every edit cost before kube/incremental.ts) and as DumpDocument's `kube` does it now (from the previous version's
// analysis). Same process, same dump, one after the other, so both see the same machine.
//
//   npx tsc -b server && npx tsx scripts/bench-kube-edit.ts
//   npx tsx scripts/bench-kube-edit.ts --services 5000 --format list --edits 10
//
// The edits: the benchmark's (an 'x' appended to the first rule line at or after the middle of the dump, then removed:
// a KUBE-SEP rule in the generated dumps), and for the incremental path also a KUBE-SVC probability, a KUBE-SERVICES
// jump's port, the port of a "has no endpoints" rule, and its comment renamed (a port without chains made and gone).
// Then edits that add or remove a line: Enter at the end of the benchmark's line and the empty line deleted again,
// a copy of that rule pasted below it and deleted again, the rule commented out and back in, and a comment line typed
// above it and deleted, a "has no endpoints" rule deleted and pasted back (the model column says how withEdits made
// the model). Last, edits of many lines in one change:
// a block of up to --block rule lines from that line deleted, pasted back, and each of them given a space; in save
// output, a character typed in a KUBE-SEP declaration and deleted, and a declaration typed on a line of its own.
// For the numbers before a change, run this script against an older build (`--server-out`, e.g. a worktree's).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as DocumentModule from '../server/src/features/document';
import type * as AnalysisModule from '../server/src/kube/analysis';
import { ensureDump } from './bench/dumps';
import type { BenchFormat } from './bench/dumps';

const USAGE = 'usage: bench-kube-edit.ts [--services 20000] [--format save|list] [--edits 6] [--block 20000] [--server-out DIR]';

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const range = (values: number[]): string => `${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)}`;

function main(): void {
  const argv = process.argv.slice(2);
  let services = 20000;
  let format: BenchFormat = 'save';
  let edits = 6;
  let block = 20_000;
  let serverOut = path.resolve(__dirname, '../server/out');
  for (let i = 0; i < argv.length; i += 2) {
    const value = argv[i + 1];
    if (value === undefined) {
      throw new Error(USAGE);
    }
    switch (argv[i]) {
      case '--services':
        services = Number(value);
        break;
      case '--format':
        format = value === 'list' ? 'list' : 'save';
        break;
      case '--edits':
        edits = Number(value);
        break;
      case '--block':
        block = Number(value);
        break;
      case '--server-out':
        serverOut = path.resolve(value);
        break;
      default:
        throw new Error(USAGE);
    }
  }
  // The compiled server, not tsx's transform of its sources: the very code the server runs.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { DumpDocument } = require(path.join(serverOut, 'features', 'document.js')) as typeof DocumentModule;
  const { analyzeKube } = require(path.join(serverOut, 'kube', 'analysis.js')) as typeof AnalysisModule;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const file = ensureDump(services, format, (line) => void process.stderr.write(line + '\n'));
  const text = fs.readFileSync(file, 'utf8');

  let start = process.cpuUsage();
  let doc = DumpDocument.fromText('file:///bench', 1, text);
  const parseCpu = cpuMs(start);
  start = process.cpuUsage();
  void doc.kube;
  const firstCpu = cpuMs(start);

  const isRule = (line: number): boolean => {
    const owner = doc.dump.lineOwners[line];
    return owner !== undefined && 'bodyStart' in owner;
  };
  /** The first rule line from `from` on whose text and chain pass `test` (`-L` rules do not write their chain). */
  const firstLine = (from: number, test: (text: string, chain: string) => boolean): number => {
    for (let line = from; line < doc.lines.length; line++) {
      const owner = doc.dump.lineOwners[line];
      if (isRule(line) && test(doc.lines[line], owner !== undefined && 'bodyStart' in owner ? owner.chain.name : '')) {
        return line;
      }
    }
    throw new Error('no such line');
  };
  const middle = Math.floor(doc.dump.lineCount / 2);
  const benchLine = firstLine(middle, () => true);
  const benchText = doc.lines[benchLine];

  type Result = { cpu: number; modelCpu: number; incremental: boolean; reason?: string; model?: string };
  /** Replaces line `line` by `after` (or appends/removes the 'x' of the benchmark) as an editor would, then asks for the analysis. */
  const step = (line: number, after: string, whole: boolean): Result => {
    const before = doc.lines[line];
    let common = 0;
    while (common < before.length && common < after.length && before[common] === after[common]) {
      common++;
    }
    return apply(
      { range: { start: { line, character: common }, end: { line, character: before.length } }, text: after.slice(common) },
      whole,
    );
  };
  const apply = (edit: DocumentModule.TextEdit | DocumentModule.TextEdit[], whole: boolean): Result => {
    const started = process.cpuUsage();
    doc = doc.withEdits(doc.version + 1, Array.isArray(edit) ? edit : [edit]);
    const modelCpu = cpuMs(started);
    if (whole) {
      analyzeKube(doc.dump);
    } else {
      void doc.kube;
    }
    const cpu = cpuMs(started);
    const computed = doc.kubeComputation;
    // An older build's DumpDocument may not say how it made the model.
    const parsed = (doc as { parseComputation?: DocumentModule.ParseComputation }).parseComputation;
    return {
      cpu,
      modelCpu,
      incremental: !whole && computed?.incremental === true,
      reason: computed?.incremental === false ? computed.reason : undefined,
      model: parsed === undefined ? 'not said' : parsed.incremental ? parsed.edit : 'parsed whole',
    };
  };

  console.log(
    `${path.relative(process.cwd(), file)}: ${doc.dump.lineCount} lines, parse ${parseCpu.toFixed(0)} ms CPU, first analysis ${firstCpu.toFixed(0)} ms CPU; ` +
      `edit line ${benchLine + 1}: ${benchText.slice(0, 100)}`,
  );
  console.log('| edit | analysis | withEdits + analysis CPU ms, median (min–max) | of which withEdits, median (max) | edits | incremental | model |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  const report = (label: string, mode: string, results: Result[]): void => {
    const cpus = results.map((r) => r.cpu);
    const modelCpus = results.map((r) => r.modelCpu);
    const incremental = results.filter((r) => r.incremental).length;
    const reasons = [...new Set(results.flatMap((r) => (r.reason !== undefined && mode !== 'whole' ? [r.reason] : [])))];
    console.log(
      `| ${label} | ${mode} | ${median(cpus).toFixed(1)} (${range(cpus)}) | ${median(modelCpus).toFixed(1)} (${Math.max(...modelCpus).toFixed(1)}) | ${results.length} | ${incremental}/${results.length}${reasons.length > 0 ? ` (${reasons.join('; ')})` : ''} | ${[...new Set(results.map((r) => r.model))].join(', ')} |`,
    );
  };

  // The benchmark's edit: 'x' appended, then removed, each followed by the analysis.
  const typo = (whole: boolean): Result[] => {
    const results = [];
    for (let i = 0; i < edits; i++) {
      results.push(step(benchLine, i % 2 === 0 ? benchText + 'x' : benchText, whole));
    }
    return results;
  };
  report("'x' appended / removed", 'whole (before)', typo(true));
  void doc.kube; // the whole analysis of the current version, for the incremental edits to start from
  report("'x' appended / removed", 'incremental (after)', typo(false));

  const others: [string, number, (text: string) => string][] = [];
  const svc = firstLine(middle, (t, chain) => chain.startsWith('KUBE-SVC-') && /probability \S+/.test(t));
  others.push([
    'KUBE-SVC probability',
    svc,
    (t) => t.replace(/(probability )\S+/, (_m, p: string) => `${p}0.${Math.floor(Math.random() * 1e6)}`),
  ]);
  const jump = firstLine(0, (t, chain) => chain === 'KUBE-SERVICES' && /KUBE-SVC-/.test(t) && /(--dport |dpt:)\d+/.test(t));
  others.push([
    'KUBE-SERVICES jump port',
    jump,
    (t) => t.replace(/(--dport |dpt:)\d+/, (_m, p: string) => `${p}${1000 + Math.floor(Math.random() * 9000)}`),
  ]);
  const naming = (() => {
    try {
      return firstLine(0, (t, chain) => chain === 'KUBE-SERVICES' && /has no endpoints/.test(t) && /(--dport |dpt:)\d+/.test(t));
    } catch {
      return undefined;
    }
  })();
  if (naming !== undefined) {
    others.push([
      'KUBE-SERVICES "has no endpoints" port',
      naming,
      (t) => t.replace(/(--dport |dpt:)\d+/, (_m, p: string) => `${p}${1000 + Math.floor(Math.random() * 9000)}`),
    ]);
    // Names another service port, one without chains made by the edit (the whole analysis before 2026-11-27).
    others.push(['KUBE-SERVICES "has no endpoints" comment renamed', naming, (t) => t.replace(/(comment "?|\/\* )([a-z])/, '$1z$2')]);
  }
  for (const [label, line, change] of others) {
    const original = doc.lines[line];
    const results = [];
    for (let i = 0; i < edits; i++) {
      results.push(step(line, i % 2 === 0 ? change(original) : original, false));
    }
    report(label, 'incremental (after)', results);
  }

  // Edits that add or remove a line, at the benchmark's line: each pair leaves the text as it was.
  const at = (line: number, character: number): { line: number; character: number } => ({ line, character });
  const end = at(benchLine, benchText.length);
  const lineEdits: [string, DocumentModule.TextEdit, DocumentModule.TextEdit][] = [
    [
      'Enter at the end of the line / the empty line deleted',
      { range: { start: end, end }, text: '\n' },
      { range: { start: end, end: at(benchLine + 1, 0) }, text: '' },
    ],
    [
      'a copy of the rule pasted below it / the copy deleted',
      { range: { start: at(benchLine + 1, 0), end: at(benchLine + 1, 0) }, text: `${benchText}\n` },
      { range: { start: at(benchLine + 1, 0), end: at(benchLine + 2, 0) }, text: '' },
    ],
    [
      'the rule commented out (# typed before it) / back in (the # deleted)',
      { range: { start: at(benchLine, 0), end: at(benchLine, 0) }, text: '#' },
      { range: { start: at(benchLine, 0), end: at(benchLine, 1) }, text: '' },
    ],
    [
      'a comment line typed above it / the comment line deleted',
      { range: { start: at(benchLine, 0), end: at(benchLine, 0) }, text: '# a note\n' },
      { range: { start: at(benchLine, 0), end: at(benchLine + 1, 0) }, text: '' },
    ],
  ];
  if (naming !== undefined) {
    // A port's "has no endpoints" rule deleted and pasted back: the port goes and comes again when it had only that
    // rule (the whole analysis before 2026-11-27).
    const rule = doc.lines[naming];
    lineEdits.push([
      'the "has no endpoints" rule deleted / pasted back',
      { range: { start: at(naming, 0), end: at(naming + 1, 0) }, text: '' },
      { range: { start: at(naming, 0), end: at(naming, 0) }, text: `${rule}\n` },
    ]);
  }
  for (const [label, add, remove] of lineEdits) {
    void doc.kube;
    const adds: Result[] = [];
    const removes: Result[] = [];
    for (let i = 0; i < edits; i++) {
      (i % 2 === 0 ? adds : removes).push(apply(i % 2 === 0 ? add : remove, false));
    }
    const [addLabel, removeLabel] = label.split(' / ');
    report(addLabel, 'as DumpDocument does', adds);
    report(removeLabel, 'as DumpDocument does', removes);
  }

  // Many lines in one change, from the benchmark's line on: a block of rule lines deleted and pasted back, and as many
  // rule lines each given a space at its end (what a replace-all sends).
  let blockEnd = benchLine;
  while (blockEnd - benchLine < block && blockEnd < doc.lines.length && isRule(blockEnd)) {
    blockEnd++;
  }
  const blockText = `${doc.lines.slice(benchLine, blockEnd).join('\n')}\n`;
  const count = blockEnd - benchLine;
  void doc.kube;
  report(`${count} rule lines deleted`, 'as DumpDocument does', [apply({ range: { start: at(benchLine, 0), end: at(blockEnd, 0) }, text: '' }, false)]);
  report(`${count} rule lines pasted back`, 'as DumpDocument does', [apply({ range: { start: at(benchLine, 0), end: at(benchLine, 0) }, text: blockText }, false)]);
  const spaces: DocumentModule.TextEdit[] = [];
  for (let line = benchLine; line < blockEnd; line++) {
    spaces.push({ range: { start: at(line, doc.lines[line].length), end: at(line, doc.lines[line].length) }, text: ' ' });
  }
  report(`${count} rule lines edited together`, 'as DumpDocument does', [apply(spaces, false)]);

  // Chain declarations (save output): a character typed in the name of the middle KUBE-SEP declaration and deleted
  // again, the same in the middle KUBE-SVC declaration; then a declaration typed character by character on a new line
  // below the KUBE-SEP one, and deleted the same way. The analysis follows the endpoint and service chains made,
  // dropped or moved (kube/incremental.ts), when the server asks for it.
  if (format === 'save') {
    const middleDeclaration = (prefix: string): number => {
      const declarations = doc.lines.flatMap((text, line) => (text.startsWith(prefix) ? [line] : []));
      return declarations[Math.floor(declarations.length / 2)];
    };
    const declared = middleDeclaration(':KUBE-SEP-');
    for (const [prefix, line] of [
      [':KUBE-SEP-', declared],
      [':KUBE-SVC-', middleDeclaration(':KUBE-SVC-')],
    ] as const) {
      const inName = at(line, prefix.length + 2);
      void doc.kube;
      const typedIn: Result[] = [];
      const deleted: Result[] = [];
      for (let i = 0; i < edits; i++) {
        (i % 2 === 0 ? typedIn : deleted).push(
          apply(i % 2 === 0 ? { range: { start: inName, end: inName }, text: 'Q' } : { range: { start: inName, end: at(line, inName.character + 1) }, text: '' }, false),
        );
      }
      report(`a character typed in a ${prefix.slice(1, -1)} declaration`, 'as DumpDocument does', typedIn);
      report('that character deleted', 'as DumpDocument does', deleted);
    }
    const lineEnd = at(declared, doc.lines[declared].length);
    apply({ range: { start: lineEnd, end: lineEnd }, text: '\n' }, false);
    const typed = ':KUBE-NEW-CHAIN - [0:0]';
    const keys: Result[] = [];
    for (let i = 0; i < typed.length; i++) {
      keys.push(apply({ range: { start: at(declared + 1, i), end: at(declared + 1, i) }, text: typed[i] }, false));
    }
    report(`\`${typed}\` typed on a new line below it, each keystroke`, 'as DumpDocument does', keys);
    const back: Result[] = [];
    for (let i = typed.length; i > 0; i--) {
      back.push(apply({ range: { start: at(declared + 1, i - 1), end: at(declared + 1, i) }, text: '' }, false));
    }
    report('deleted again, each keystroke', 'as DumpDocument does', back);
  }
}

main();
