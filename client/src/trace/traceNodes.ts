// The Packet Trace view's nodes, without vscode: outcomes → paths → rules. Each node gives a plain item
// description (label, icon, command) and its children; traceView.ts turns them into vscode.TreeItems. So what the
// view shows, and where a click goes, is unit-tested without an editor.
import { formatPercent, masqueradeText, outcomeProbabilityText } from '../../../server/src/trace/format';
import { scenarioTotal, traceScenarios } from '../../../server/src/trace/tracer';
import type { TraceOutcome, TracePath, TraceResult, TraceStep } from '../../../server/src/trace/types';
import type { TreeItemSpec } from '../tree/treeNode';

/** The same plain item description as the Services view's nodes. */
export type TraceItemSpec = TreeItemSpec;

/** Command ids; package.json contributes them and traceView.ts registers them. */
export const TRACE_COMMANDS = {
  trace: 'iptablesLens.trace',
  reveal: 'iptablesLens.trace.revealRule',
  clear: 'iptablesLens.trace.clear',
} as const;

/** Where a click on a rule goes: the dump and the rule's place in it. */
export interface RuleRevealTarget {
  uri: string;
  line: number;
  start: number;
  end: number;
}

export interface TraceNode {
  readonly parent: TraceNode | undefined;
  getTreeItem(): TraceItemSpec;
  getChildren(): TraceNode[];
  /** The paths whose rules to highlight when this node is selected. */
  highlightedPaths(): TracePath[];
}

const VERDICT_ICONS: Record<TraceOutcome['verdict'], { id: string; color?: string }> = {
  ACCEPT: { id: 'pass-filled', color: 'testing.iconPassed' },
  DROP: { id: 'circle-slash', color: 'testing.iconFailed' },
  REJECT: { id: 'error', color: 'testing.iconFailed' },
  QUEUE: { id: 'inbox' },
  LOOP: { id: 'sync', color: 'testing.iconFailed' },
  INCOMPLETE: { id: 'warning', color: 'list.warningForeground' },
};

export class OutcomeNode implements TraceNode {
  readonly parent = undefined;

  constructor(
    private readonly result: TraceResult,
    private readonly outcome: TraceOutcome,
    private readonly uri: string,
    private readonly index: number,
  ) {}

  getTreeItem(): TraceItemSpec {
    const o = this.outcome;
    const masquerade = masqueradeText(o);
    const tooltip = [
      `${o.label}: ${outcomeProbabilityText(o)} of new connections`,
      masquerade,
      ...o.conditions.map((c) => `if ${c.holds ? '' : 'NOT '}${c.description}`),
    ].filter(Boolean);
    return {
      id: `outcome:${this.index}:${o.label}`,
      label: o.label,
      description: `${outcomeProbabilityText(o)}${masquerade ? ` · ${masquerade}` : ''}`,
      tooltip: tooltip.join('\n'),
      icon: VERDICT_ICONS[o.verdict],
      collapsible: this.index === 0 ? 'expanded' : 'collapsed',
      contextValue: 'iptablesLens.trace.outcome',
    };
  }

  getChildren(): TraceNode[] {
    return this.outcome.paths.map((id) => new PathNode(this, this.result.paths[id], this.uri));
  }

  highlightedPaths(): TracePath[] {
    return this.outcome.paths.map((id) => this.result.paths[id]);
  }
}

export class PathNode implements TraceNode {
  constructor(
    readonly parent: TraceNode,
    private readonly path: TracePath,
    private readonly uri: string,
  ) {}

  getTreeItem(): TraceItemSpec {
    const p = this.path;
    const assumptions = p.conditions.map((c) => `${c.holds ? '' : 'not '}${c.description}`);
    const rules = p.steps.filter((s) => s.rule).length;
    return {
      id: `path:${p.id}`,
      label: `Path ${p.id + 1}`,
      description: `${formatPercent(p.probability)} · ${rules} rules${p.snat ? ` · ${p.snat.kind}` : ''}${assumptions.length ? ` · assumes ${assumptions.length}` : ''}`,
      tooltip: assumptions.length ? `Assumes:\n${assumptions.join('\n')}` : undefined,
      icon: { id: 'git-commit' },
      collapsible: 'collapsed',
      contextValue: 'iptablesLens.trace.path',
    };
  }

  getChildren(): TraceNode[] {
    return this.path.steps.map((step, i) => new StepNode(this, step, this.path, this.uri, i));
  }

  highlightedPaths(): TracePath[] {
    return [this.path];
  }
}

export class StepNode implements TraceNode {
  constructor(
    readonly parent: TraceNode,
    private readonly step: TraceStep,
    private readonly path: TracePath,
    private readonly uri: string,
    private readonly index: number,
  ) {}

  getTreeItem(): TraceItemSpec {
    const s = this.step;
    const where = s.rule ? `line ${s.rule.location.line + 1}` : 'not in the dump';
    const target: RuleRevealTarget | undefined = s.rule
      ? { uri: this.uri, line: s.rule.location.line, start: s.rule.location.start, end: s.rule.location.end }
      : undefined;
    return {
      id: `path:${this.path.id}:step:${this.index}`,
      label: `${s.table}/${s.chain}${s.rule && s.rule.position > 0 ? ` #${s.rule.position}` : ''}: ${s.action}`,
      description: `${s.hook} · ${where}`,
      tooltip: s.rule?.text,
      icon: s.condition
        ? { id: 'question' }
        : s.probability !== undefined
          ? { id: 'symbol-operator' }
          : s.kind === 'policy'
            ? { id: 'shield' }
            : { id: 'arrow-right' },
      collapsible: 'none',
      contextValue: 'iptablesLens.trace.step',
      command: target ? { command: TRACE_COMMANDS.reveal, title: 'Go to Rule', arguments: [target] } : undefined,
    };
  }

  getChildren(): TraceNode[] {
    return [];
  }

  highlightedPaths(): TracePath[] {
    return [this.path];
  }
}

/** A line of information at the top: the packet traced, notes, or why there is nothing to show. */
export class MessageNode implements TraceNode {
  readonly parent = undefined;

  constructor(
    private readonly id: string,
    private readonly label: string,
    private readonly tooltip?: string,
    private readonly icon = 'info',
  ) {}

  getTreeItem(): TraceItemSpec {
    return {
      id: `message:${this.id}`,
      label: this.label,
      tooltip: this.tooltip,
      icon: { id: this.icon },
      collapsible: 'none',
      contextValue: 'iptablesLens.trace.message',
    };
  }

  getChildren(): TraceNode[] {
    return [];
  }

  highlightedPaths(): TracePath[] {
    return [];
  }
}

/** The roots of the view for a trace of the dump at `uri`: a header, the outcomes, then the notes. */
export function traceRoots(result: TraceResult | undefined, uri: string | undefined, packetText: string): TraceNode[] {
  if (!result || !uri) {
    return [new MessageNode('empty', 'Run "iptables Lens: Trace a Packet…" on an open dump.')];
  }
  const roots: TraceNode[] = [new MessageNode('packet', `${packetText} — ${result.hooks.join(' → ')}`, undefined, 'debug-start')];
  roots.push(...result.outcomes.map((o, i) => new OutcomeNode(result, o, uri, i)));
  result.notes.forEach((note, i) => roots.push(new MessageNode(`note:${i}`, note, note, 'note')));
  if (result.truncated) {
    roots.push(new MessageNode('truncated', 'Exploration cut short: some paths end INCOMPLETE.', undefined, 'warning'));
  }
  return roots;
}

/**
 * The distinct rule places of some paths, for the editor highlight, each with the share of traffic through it:
 * the most, over the combinations of answers to the trace's undecided questions, of the paths through it.
 */
export function visitedRules(paths: readonly TracePath[]): { line: number; start: number; end: number; probability: number }[] {
  const byPlace = new Map<string, { line: number; start: number; end: number; paths: TracePath[] }>();
  for (const path of paths) {
    for (const step of path.steps) {
      if (!step.rule || step.kind !== 'rule' || step.action.startsWith('not taken')) {
        continue;
      }
      const { line, start, end } = step.rule.location;
      const key = `${line}:${start}`;
      const entry = byPlace.get(key) ?? { line, start, end, paths: [] };
      if (!entry.paths.includes(path)) {
        entry.paths.push(path);
      }
      byPlace.set(key, entry);
    }
  }
  const scenarios = traceScenarios(paths);
  return [...byPlace.values()]
    .map(({ line, start, end, paths: through }) => ({
      line,
      start,
      end,
      probability: Math.min(1, Math.max(...scenarios.map((s) => scenarioTotal(through, s)))),
    }))
    .sort((a, b) => a.line - b.line);
}
