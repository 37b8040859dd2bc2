// A trace as text for a terminal: the outcomes first (what most users want), then every path with the
// rules it went through (line numbers 1-based, as editors show them), then the tracer's notes.
import { formatPacketSpec } from './spec';
import type { TraceCondition, TraceOutcome, TracePath, TraceResult } from './types';

export function formatPercent(p: number): string {
  const percent = p * 100;
  const digits = Math.abs(percent - Math.round(percent)) < 1e-6 ? 0 : percent < 1 ? 3 : 1;
  return `${percent.toFixed(digits)}%`;
}

function conditionText(c: TraceCondition): string {
  return `${c.holds ? '' : 'NOT '}${c.description}`;
}

export function outcomeProbabilityText(outcome: TraceOutcome): string {
  if (!outcome.conditional) {
    return formatPercent(outcome.probability);
  }
  return `${formatPercent(outcome.probability)} (${formatPercent(outcome.probabilityRange.min)}–${formatPercent(outcome.probabilityRange.max)} depending on assumptions)`;
}

export function masqueradeText(outcome: TraceOutcome): string {
  const m = outcome.masquerade;
  if (outcome.verdict !== 'ACCEPT') {
    return '';
  }
  if (m.decision !== 'depends') {
    const snat = m.alternatives[0]?.snat;
    return m.decision === 'yes' ? `masqueraded (${snat?.kind === 'SNAT' ? `SNAT to ${snat.to}` : 'MASQUERADE'})` : 'not masqueraded';
  }
  const base = m.whenNoConditionHolds === undefined ? '' : `; ${m.whenNoConditionHolds ? 'masqueraded' : 'not'} when no assumption holds`;
  return `masquerade depends on assumptions${base}`;
}

function pathLines(path: TracePath): string[] {
  const lines = [
    `  path #${path.id}  ${formatPercent(path.probability)}  ${path.verdict}${path.reason ? ` (${path.reason})` : ''} → ${path.destination.ip}${path.destination.port === undefined ? '' : ':' + path.destination.port}${path.snat ? `  [${path.snat.kind}]` : ''}`,
  ];
  for (const c of path.conditions) {
    lines.push(`      assumes: ${conditionText(c)}`);
  }
  for (const step of path.steps) {
    const where = step.rule ? `line ${step.rule.location.line + 1}`.padEnd(10) : '(implicit)'.padEnd(10);
    lines.push(
      `      ${where} ${step.hook.padEnd(11)} ${step.table}/${step.chain}${step.rule && step.rule.position > 0 ? ` #${step.rule.position}` : ''}: ${step.action}`,
    );
  }
  return lines;
}

/** The whole trace as text; `withPaths` adds every path's steps. */
export function formatTrace(result: TraceResult, withPaths = true): string {
  const lines: string[] = [];
  lines.push(`Trace ${formatPacketSpec(result.packet)} — ${result.hooks.join(' → ') || 'no hook'}`);
  lines.push('');
  lines.push('Outcomes:');
  for (const outcome of result.outcomes) {
    const masquerade = masqueradeText(outcome);
    lines.push(`  ${outcomeProbabilityText(outcome).padEnd(8)} ${outcome.label}${masquerade ? `  — ${masquerade}` : ''}`);
    for (const c of outcome.conditions) {
      lines.push(`           if: ${conditionText(c)}`);
    }
  }
  if (result.cycles.length) {
    lines.push('', 'Cycles of jumps:');
    for (const cycle of result.cycles) {
      lines.push(`  ${cycle.join(' → ')}`);
    }
  }
  if (withPaths) {
    lines.push('', `Paths (${result.paths.length}, ${result.rulesEvaluated} rule evaluations):`);
    for (const path of result.paths) {
      lines.push(...pathLines(path));
    }
  }
  if (result.notes.length || result.truncated) {
    lines.push('', 'Notes:');
    if (result.truncated) {
      lines.push('  - The exploration was cut short (too many paths or too deep): INCOMPLETE outcomes are not followed further.');
    }
    for (const note of result.notes) {
      lines.push(`  - ${note}`);
    }
  }
  return lines.join('\n') + '\n';
}
