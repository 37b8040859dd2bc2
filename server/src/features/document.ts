// One open dump as the features see it: its text split into lines, the parsed model, and the analyses
// computed from the model on first use (so a request that needs none of them pays for none).
import { editLines, editListRows, LineShift, patchRuleLines, rowsStayRows } from '../parse/incremental';
import type { RuleChanges } from '../parse/incremental';
import { redeclareLine } from '../parse/redeclare';
import { inferTableName, isInertLine, parseLines, splitLines } from '../parse/index';
import { commandWordSpans } from '../parse/tokens';
import type { Chain, Dump, DumpDiagnostic, Rule } from '../model/types';
import { analyzeKube, analyzeKubeInSteps } from '../kube/analysis';
import type { KubeAnalysis } from '../kube/analysis';
import { shiftKubeAnalysis, updateKubeAnalysis } from '../kube/incremental';
import type { KubeUpdate, RemovedRule } from '../kube/incremental';

/** An edit as LSP sends it (`TextDocumentContentChangeEvent`): a range and its new text, or the whole text. */
export type TextEdit =
  { range: { start: { line: number; character: number }; end: { line: number; character: number } }; text: string } | { text: string };

/**
 * The analysis of an earlier version of a document's model, the rules that model had on the lines edited since
 * (the model was patched in place: rule lines re-read, added or removed; undefined for a line whose rule was
 * added), the rule lines removed since, the chains made, dropped, moved or renamed since (by declarations or rules'
 * chain names edited; with their names then) and the declaration lines edited: what `updateKubeAnalysis` brings up
 * to date. Its line numbers are those of the current version (moved at each edit that added or removed lines).
 */
interface KubeBase {
  analysis: KubeAnalysis;
  oldRules: Map<number, Rule | undefined>;
  removedRules: RemovedRule[];
  chains: Map<Chain, string>;
  declarationLines: Set<number>;
}

/** Past this many edited lines since the last analysis, the next one is computed whole. */
const MAX_PENDING_LINES = 1_000;
/**
 * How long a slice of the whole kube analysis runs (`stepKube`): about what a request sent meanwhile waits, whatever
 * the chains of the slice hold (a count of chains gave slices of 20-70 ms in one dump).
 */
const KUBE_SLICE_MS = 10;
/** The analysis's own steps (chains or rules) between two looks at the clock. */
const KUBE_STEP_UNITS = 100;

/** How a document's kube analysis was computed: whole, or from the previous version's (for tests and benchmarks). */
export type KubeComputation = { incremental: true; services: number; endpoints: number } | { incremental: false; reason: string };

/** How an edit updated the previous version's model in place (see `ParseComputation`). */
export type ModelEdit =
  | 'rule-lines'
  | 'blank-lines'
  | 'comment-lines'
  | 'rules-inserted'
  | 'rules-removed'
  | 'lines-replaced'
  | 'list-rows'
  | 'declaration'
  | 'none';

/**
 * How a document's model was made (for tests and benchmarks): parsed whole, or the previous version's model
 * updated in place:
 * - `rule-lines`: rule lines re-read (`patchRuleLines`);
 * - `blank-lines`: blank lines added or removed (the lines below moved);
 * - `comment-lines`: comment lines added, removed or edited (the parser reads them as nothing);
 * - `rules-inserted`, `rules-removed`, `lines-replaced`: rule lines inserted, removed, or both (a rule line split
 *   or joined, a rule commented out or back in);
 * - `list-rows`: the rows of one `-L` chain read again (`editLines`, `editListRows`);
 * - `declaration`: a save table's chain declaration typed, retyped or taken apart, or an `-L` chain header retyped
 *   (`redeclareLine`);
 * - `none`: nothing to do.
 */
export type ParseComputation = { incremental: true; edit: ModelEdit } | { incremental: false };

/** Whether `text` ends a line with a CR not followed by LF (`includes` first: most dumps have no CR at all). */
export function hasBareCarriageReturn(text: string): boolean {
  return text.includes('\r') && /\r(?!\n)/.test(text);
}

export class DumpDocument {
  readonly dump: Dump;
  private kubeAnalysis: KubeAnalysis | undefined;
  private kubeBase: KubeBase | undefined;
  private computation: KubeComputation | undefined;
  private parsed: ParseComputation | undefined;
  /** A whole analysis being computed in steps (`stepKube`). */
  private kubeSteps: Generator<number, KubeAnalysis> | undefined;
  /** Why the analysis is computed whole: the previous version's could not be updated (`updateKube`). */
  private wholeReason = 'no earlier analysis to update';

  /** Parses `lines`, unless the model of exactly these lines is given (an incremental edit made it). */
  constructor(
    readonly uri: string,
    readonly version: number,
    readonly lines: readonly string[],
    dump?: Dump,
    /**
     * Whether the text may end a line with a bare CR. Then the edited lines alone cannot tell the line count
     * after an edit (an LF typed after a CR joins it into one CRLF line end), so edits re-split the whole text.
     */
    private readonly bareCarriageReturn = false,
  ) {
    this.dump = dump ?? parseLines(lines as string[]);
    this.parsed = dump === undefined ? { incremental: false } : undefined;
  }

  /** How the model was made; undefined when it was given to the constructor from elsewhere. */
  get parseComputation(): ParseComputation | undefined {
    return this.parsed;
  }

  /**
   * kube-proxy's view of the dump, computed once per document version, on first use: after edits to rules only,
   * from the previous version's analysis by re-analysing what the edited rules can change; else whole.
   */
  get kube(): KubeAnalysis {
    while (this.kubeSteps !== undefined) {
      this.stepKube();
    }
    this.updateKube();
    if (this.kubeAnalysis === undefined) {
      this.kubeAnalysis = analyzeKube(this.dump);
      this.computation = { incremental: false, reason: this.wholeReason };
    }
    return this.kubeAnalysis;
  }

  /**
   * Updates the previous version's analysis to this version now, when there is one to update (milliseconds after
   * an edit of a few rules). When it cannot be updated, the whole analysis is left to do: `wholeAnalysisPending`
   * tells a caller that must stay responsive to run it in steps.
   */
  updateKube(): void {
    const base = this.kubeBase;
    if (base === undefined || this.kubeAnalysis !== undefined) {
      return;
    }
    this.kubeBase = undefined;
    const update = DumpDocument.tryUpdate(this.dump, base);
    if ('analysis' in update) {
      this.kubeAnalysis = update.analysis;
      this.computation = { incremental: true, services: update.services, endpoints: update.endpoints };
    } else {
      this.wholeReason = update.reason;
    }
  }

  /**
   * The incremental update, or why not. Should it throw (a bug), the whole analysis still answers: the previous
   * analysis it may have changed half-way is not used again.
   */
  private static tryUpdate(dump: Dump, base: KubeBase): KubeUpdate {
    try {
      return updateKubeAnalysis(dump, base.analysis, base.oldRules, base.removedRules, { chains: base.chains, lines: base.declarationLines });
    } catch (error) {
      return { reason: `the update failed: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  /**
   * One slice of this version's kube analysis, for a caller that must stay responsive (a large dump just opened):
   * the fraction done, 1 once `kube` is ready. A slice runs for about `budgetMs` (at least one step of the analysis,
   * 100 chains or rules). Reading `kube` meanwhile finishes the work at once.
   */
  stepKube(budgetMs = KUBE_SLICE_MS): number {
    if (this.kubeAnalysis !== undefined) {
      return 1;
    }
    this.updateKube();
    if (this.kubeAnalysis !== undefined) {
      return 1; // updated from the previous version's
    }
    this.kubeSteps ??= analyzeKubeInSteps(this.dump, KUBE_STEP_UNITS);
    const started = performance.now();
    let step: IteratorResult<number, KubeAnalysis>;
    try {
      do {
        step = this.kubeSteps.next();
      } while (step.done !== true && performance.now() - started < budgetMs);
    } catch (error) {
      this.kubeSteps = undefined; // a failed analysis is not resumed: the next read starts again
      throw error;
    }
    if (step.done !== true) {
      return step.value;
    }
    this.kubeSteps = undefined;
    this.kubeAnalysis = step.value;
    this.computation = { incremental: false, reason: this.wholeReason };
    return 1;
  }

  /**
   * `kube` when it is there to read: computed, or updated now from the previous version's (milliseconds); undefined
   * while it is to be computed whole, or runs in steps.
   */
  get readyKube(): KubeAnalysis | undefined {
    if (this.kubeSteps !== undefined) {
      return undefined;
    }
    this.updateKube();
    return this.kubeAnalysis;
  }

  /** Whether `kube` is still to be computed whole: there is no analysis of an earlier version to update, and none running. */
  get wholeAnalysisPending(): boolean {
    return this.kubeAnalysis === undefined && this.kubeBase === undefined && this.kubeSteps === undefined;
  }

  /** How `kube` was computed; undefined until it is. */
  get kubeComputation(): KubeComputation | undefined {
    return this.computation;
  }

  /** The parser's findings and kube-proxy's, in one list. */
  get diagnostics(): DumpDiagnostic[] {
    return [...this.dump.diagnostics, ...this.kube.diagnostics];
  }

  /** The document of `text`, parsed now; `lines` when the caller has split it already. */
  static fromText(uri: string, version: number, text: string, lines = splitLines(text)): DumpDocument {
    return new DumpDocument(uri, version, lines, undefined, hasBareCarriageReturn(text));
  }

  /**
   * The document after `edits` (applied in order, as LSP's incremental sync sends them). Only the edited
   * lines are split again; when they change rules only, only they are parsed again, and this document's
   * lines and model are reused (changed in place: do not use this instance afterwards). `fullText` gives the
   * edited document's whole text, for the edits a line-by-line update cannot follow (bare CR line ends).
   */
  withEdits(version: number, edits: readonly TextEdit[], fullText?: () => string): DumpDocument {
    const carriageReturn = this.bareCarriageReturn || edits.some((edit) => edit.text.includes('\r'));
    if (carriageReturn && fullText) {
      return DumpDocument.fromText(this.uri, version, fullText());
    }
    if (edits.length === 1 && 'range' in edits[0] && !carriageReturn) {
      const next = this.withLinesAddedOrRemoved(version, edits[0]);
      if (next !== undefined) {
        return next;
      }
    }
    // Edited in place, like the model: copying 500,000 lines per keystroke would only feed the garbage collector.
    let lines = this.lines as string[];
    let first = Number.POSITIVE_INFINITY;
    let last = -1;
    let sameLineCount = true;
    /** The text each line edited in place had before (for an `-L` chain's rows read again). */
    const oldTexts = new Map<number, string>();
    for (const edit of edits) {
      if (!('range' in edit)) {
        return DumpDocument.fromText(this.uri, version, edit.text);
      }
      const startLine = Math.min(edit.range.start.line, lines.length - 1);
      const endLine = Math.min(Math.max(edit.range.end.line, startLine), lines.length - 1);
      const prefix = lines[startLine].slice(0, edit.range.start.character);
      const suffix = edit.range.end.line > endLine ? '' : lines[endLine].slice(edit.range.end.character);
      const replacement = splitLines(prefix + edit.text + suffix);
      if (replacement.length === endLine - startLine + 1) {
        for (let i = 0; i < replacement.length; i++) {
          if (!oldTexts.has(startLine + i)) {
            oldTexts.set(startLine + i, lines[startLine + i]);
          }
          lines[startLine + i] = replacement[i];
        }
        first = Math.min(first, startLine);
        last = Math.max(last, endLine);
      } else {
        sameLineCount = false;
        lines = replaceLines(lines, startLine, endLine - startLine + 1, replacement);
      }
    }
    if (sameLineCount && last < 0) {
      return this.handOver(new DumpDocument(this.uri, version, lines, this.dump, carriageReturn), this.kubeBaseForEdit(), 'none');
    }
    /** The texts lines `first..last` had before the edits. */
    const textsBefore = (): string[] => {
      const texts: string[] = [];
      for (let line = first; line <= last; line++) {
        texts.push(oldTexts.get(line) ?? lines[line]);
      }
      return texts;
    };
    if (sameLineCount && !rowsStayRows(this.dump, lines, first, last)) {
      // In `-L` output, a row that stops or starts being one (a blank line, a row typed after one) changes which
      // rows below are the chain's: its rows are read again.
      const removedTexts = textsBefore();
      const base = this.kubeBaseForEdit();
      const changes = editListRows(this.dump, lines, first, removedTexts, removedTexts.length);
      if (changes !== undefined) {
        if (base !== undefined) {
          DumpDocument.noteChanges(base, changes, undefined);
        }
        return this.handOver(new DumpDocument(this.uri, version, lines, this.dump, carriageReturn), base, 'list-rows');
      }
    }
    const before = oldTexts.get(first);
    if (sameLineCount && first === last && before !== undefined && (isDeclarationLine(before) || isDeclarationLine(lines[first]))) {
      // A chain's declaration typed, retyped or taken apart, an `-L` chain header retyped: the rules stay, the chains
      // may change (made, dropped, renamed or moved).
      const redeclared = redeclareLine(this.dump, lines, first, before);
      if (redeclared === undefined) {
        return new DumpDocument(this.uri, version, lines, undefined, carriageReturn);
      }
      if (redeclared !== 'not-this') {
        // The same chain: its policy or counters, which the analysis does not read. Other chains: what the analysis read
        // of them and of the service ports that jump to them is read again.
        const base = this.kubeBaseForEdit();
        if (base !== undefined && redeclared !== 'same-chain') {
          DumpDocument.noteChains(base, redeclared.chains);
          base.declarationLines.add(first);
        }
        return this.handOver(new DumpDocument(this.uri, version, lines, this.dump, carriageReturn), base, 'declaration');
      }
    }
    if (sameLineCount && retyped(this.dump, lines, oldTexts, first, last)) {
      // A rule commented out or back in, a comment typed, a rule typed on an empty line, a rule's chain name edited:
      // the old lines out and the new ones in, by editLines.
      const removedTexts = textsBefore();
      return this.followLines(version, lines, first, removedTexts, removedTexts.length, carriageReturn);
    }
    if (sameLineCount) {
      // The rules the edited lines hold before the patch replaces them: what the kube analysis had read there.
      const base = this.kubeBaseForEdit();
      for (let line = first; base !== undefined && line <= last; line++) {
        const owner = this.dump.lineOwners[line];
        if (owner !== undefined && 'bodyStart' in owner && !base.oldRules.has(line)) {
          base.oldRules.set(line, owner);
        }
      }
      if (patchRuleLines(this.dump, lines, first, last)) {
        return this.handOver(new DumpDocument(this.uri, version, lines, this.dump, carriageReturn), base, 'rule-lines');
      }
    }
    return new DumpDocument(this.uri, version, lines, undefined, carriageReturn);
  }

  /**
   * The document after one edit that adds or removes whole lines, when the model can follow it in place (blank
   * lines, rule lines inserted among or removed from a table's rules or both, any lines among an `-L` chain's rows), else
   * after a whole parse; undefined when the edit keeps the line count (the caller's path). This document's lines
   * and model are changed in place, even when the edit cannot be followed (the next document then parses whole).
   */
  private withLinesAddedOrRemoved(version: number, edit: Extract<TextEdit, { range: unknown }>): DumpDocument | undefined {
    const lines = this.lines as string[];
    const startLine = Math.min(edit.range.start.line, lines.length - 1);
    const endLine = Math.min(Math.max(edit.range.end.line, startLine), lines.length - 1);
    const prefix = lines[startLine].slice(0, edit.range.start.character);
    const suffix = edit.range.end.line > endLine ? '' : lines[endLine].slice(edit.range.end.character);
    const replacement = splitLines(prefix + edit.text + suffix);
    const old = lines.slice(startLine, endLine + 1);
    if (replacement.length === old.length) {
      return undefined;
    }
    // The lines the edit really adds or removes: between those it leaves as they were, above and below.
    let head = 0;
    while (head < old.length && head < replacement.length && old[head] === replacement[head]) {
      head++;
    }
    let tail = 0;
    while (
      tail < old.length - head &&
      tail < replacement.length - head &&
      old[old.length - 1 - tail] === replacement[replacement.length - 1 - tail]
    ) {
      tail++;
    }
    const removed = old.length - head - tail;
    const inserted = replacement.length - head - tail;
    const removedTexts = old.slice(head, head + removed);
    // In place: a copy of 500,000 lines is 4 MB that goes straight to V8's old space, per Enter or Backspace.
    const next = replaceLines(lines, startLine, old.length, replacement);
    return this.followLines(version, next, startLine + head, removedTexts, inserted, false);
  }

  /**
   * The document whose `lines` replaced, from line `at`, the lines that had `removedTexts` by `inserted` lines:
   * this model followed in place (`editLines`) with the analysis's lines moved, else a whole parse (the model may be
   * half-changed then, so this document is not used any more).
   */
  private followLines(version: number, lines: string[], at: number, removedTexts: readonly string[], inserted: number, carriageReturn: boolean): DumpDocument {
    const base = this.kubeBaseForEdit();
    const change = editLines(this.dump, lines, at, removedTexts, inserted);
    if (change === undefined) {
      this.kubeAnalysis = undefined;
      this.kubeBase = undefined;
      return new DumpDocument(this.uri, version, lines, undefined, carriageReturn);
    }
    if (base !== undefined) {
      DumpDocument.noteChanges(base, change, new LineShift(at, removedTexts.length, inserted));
      // Made or dropped by the rules edited: the analysis follows them.
      DumpDocument.noteChains(base, [...(change.chainsChanged ?? [])].map((chain) => [chain, chain.name]));
    }
    return this.handOver(new DumpDocument(this.uri, version, lines, this.dump, carriageReturn), base, change.edit);
  }

  /**
   * Records in `base` what an edit changed among the rules (the rules the analysis had read on the lines changed,
   * for `updateKubeAnalysis`), after moving its line numbers by `shift` when the edit added or removed lines. A
   * line changed twice keeps the rule of the first change: that is the one the analysis read.
   */
  private static noteChanges(base: KubeBase, changes: RuleChanges, shift: LineShift | undefined): void {
    let oldRules = base.oldRules;
    if (shift !== undefined) {
      const removedDispatch = shiftKubeAnalysis(base.analysis, shift);
      oldRules = new Map<number, Rule | undefined>();
      for (const [line, rule] of base.oldRules) {
        if (!shift.isRemoved(line)) {
          oldRules.set(shift.line(line), rule);
        } else if (rule !== undefined) {
          base.removedRules.push({ rule, service: removedDispatch.get(line) }); // the rule the analysis read there
        }
      }
      for (const rule of changes.removed) {
        if (!base.oldRules.has(rule.line)) {
          base.removedRules.push({ rule, service: removedDispatch.get(rule.line) }); // a removed rule keeps its line
        }
      }
      const declarationLines = [...base.declarationLines].filter((line) => !shift.isRemoved(line));
      base.declarationLines = new Set(declarationLines.map((line) => shift.line(line)));
    }
    for (const [line, rule] of changes.changed) {
      if (!oldRules.has(line)) {
        oldRules.set(line, rule);
      }
    }
    base.oldRules = oldRules;
  }

  /** Records in `base` chains an edit made, dropped, moved or renamed, with their names before; a chain already there keeps its first. */
  private static noteChains(base: KubeBase, chains: Iterable<[Chain, string]>): void {
    for (const [chain, name] of chains) {
      if (!base.chains.has(chain)) {
        base.chains.set(chain, name);
      }
    }
  }

  /**
   * The analysis this version's successor can start from: this version's, or the one this version would start from;
   * none while this version's is still being computed whole in steps. That one is let go rather than finished at
   * once (seconds at 20,000 services, in the middle of typing): the successor's analysis is whole, in steps too.
   */
  private kubeBaseForEdit(): KubeBase | undefined {
    if (this.kubeSteps !== undefined) {
      this.kubeSteps = undefined;
      return undefined;
    }
    if (this.kubeAnalysis !== undefined) {
      return { analysis: this.kubeAnalysis, oldRules: new Map(), removedRules: [], chains: new Map(), declarationLines: new Set() };
    }
    return this.kubeBase;
  }

  /**
   * Gives `next` (whose model is this one's, updated in place by `edit`) the analysis to start from; this
   * instance lets go of it (the update changes it in place).
   */
  private handOver(next: DumpDocument, base: KubeBase | undefined, edit: ModelEdit): DumpDocument {
    if (edit !== 'none' && next.dump.tables.some((table) => table.nameSource === 'inferred' && inferTableName(table) !== table.name)) {
      // A table no line names is named after its chains and targets (a DNAT rule makes it nat): the edit renamed it.
      return new DumpDocument(next.uri, next.version, next.lines, undefined, next.bareCarriageReturn);
    }
    next.parsed = { incremental: true, edit };
    if (base !== undefined && base.oldRules.size === 0 && base.removedRules.length === 0 && base.chains.size === 0) {
      // No rule was re-read, added or removed: the model, and so the analysis, is the same (its lines aside).
      next.kubeAnalysis = base.analysis;
      next.computation = edit === 'none' ? this.computation : { incremental: true, services: 0, endpoints: 0 };
    } else if (base !== undefined && base.oldRules.size + base.removedRules.length <= MAX_PENDING_LINES) {
      next.kubeBase = base;
    }
    this.kubeAnalysis = undefined;
    this.kubeBase = undefined;
    return next;
  }
}

/**
 * Whether an edit of lines `first..last` (their old texts in `oldTexts`) is one for `editLines` (the old lines out, the
 * new ones in) rather than for `patchRuleLines` (rules re-read in their chains): it left or made a comment, changed
 * a line that held no rule (a blank line, a rule being typed), or changed the command or chain name of a save or
 * `-S` rule (`-A CHAIN`).
 */
function retyped(dump: Dump, lines: readonly string[], oldTexts: ReadonlyMap<number, string>, first: number, last: number): boolean {
  for (let line = first; line <= last; line++) {
    const old = oldTexts.get(line);
    const text = lines[line];
    if (old === undefined || old === text) {
      continue;
    }
    const owner = dump.lineOwners[line];
    if (isInertLine(old) || isInertLine(text) || owner === undefined) {
      return true;
    }
    if ('bodyStart' in owner && owner.format !== 'list' && commandAndChain(old) !== commandAndChain(text)) {
      return true;
    }
  }
  return false;
}

/**
 * Whether `text` may declare a chain, as its start says: a save table's `:NAME POLICY [P:B]`, an `-L` listing's
 * `Chain NAME (…)`.
 */
function isDeclarationLine(text: string | undefined): boolean {
  return text !== undefined && (text.charCodeAt(0) === 58 /* : */ || text.startsWith('Chain '));
}

/** The command and chain name of a save or `-S` rule line (`-A KUBE-SERVICES`), as written. */
function commandAndChain(text: string): string {
  const { command, chain } = commandWordSpans(text);
  return `${text.slice(command.start, command.end)} ${text.slice(chain.start, chain.end)}`;
}

/**
 * `lines` with `count` lines from `start` replaced by `replacement`: changed in place (a splice moves the lines
 * below, and allocates only when the array must grow), or a new array for a replacement too long to pass to
 * `splice` as arguments (a paste of 100,000 lines would overflow the stack).
 */
function replaceLines(lines: string[], start: number, count: number, replacement: readonly string[]): string[] {
  if (replacement.length > 10_000) {
    return lines.slice(0, start).concat(replacement, lines.slice(start + count));
  }
  lines.splice(start, count, ...replacement);
  return lines;
}
