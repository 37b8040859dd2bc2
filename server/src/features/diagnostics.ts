// Diagnostics: the parser's and the analyses' findings as LSP diagnostics, capped so a file of garbage
// cannot flood the editor.
import { DiagnosticSeverity } from 'vscode-languageserver-types';
import type { Diagnostic } from 'vscode-languageserver-types';
import type { DumpDiagnostic } from '../model/types';
import { toRange } from './lsp';

const SEVERITY = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
} as const;

export const MAX_DIAGNOSTICS = 5000;

const SEVERITY_ORDER: readonly DumpDiagnostic['severity'][] = ['error', 'warning', 'information', 'hint'];

/**
 * The order diagnostics are told in (the editor's list, the CLI's `check`): by place, then severity, code and
 * message. A total order: the same text gives the same list however its model was made (an edit updated in place
 * appends the findings of the lines it read again).
 */
export function diagnosticOrder(a: DumpDiagnostic, b: DumpDiagnostic): number {
  return (
    a.span.line - b.span.line ||
    a.span.start - b.span.start ||
    a.span.end - b.span.end ||
    SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) ||
    compareText(a.code, b.code) ||
    compareText(a.message, b.message)
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function toDiagnostic(d: DumpDiagnostic): Diagnostic {
  return { range: toRange(d.span), severity: SEVERITY[d.severity], code: d.code, source: 'iptables-lens', message: d.message };
}

/**
 * LSP diagnostics in `diagnosticOrder`; when there are more than `limit`, the most severe first, plus one saying how
 * many were left out.
 */
export function diagnostics(found: readonly DumpDiagnostic[], limit = MAX_DIAGNOSTICS): Diagnostic[] {
  if (found.length <= limit) {
    return [...found].sort(diagnosticOrder).map(toDiagnostic);
  }
  const sorted = [...found].sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) || diagnosticOrder(a, b));
  const shown = sorted.slice(0, limit).map(toDiagnostic);
  const first = sorted[0].span;
  shown.push({
    range: toRange({ line: first.line, start: 0, end: 0 }),
    severity: DiagnosticSeverity.Information,
    source: 'iptables-lens',
    code: 'too-many-diagnostics',
    message: `${found.length - limit} more findings not shown (${found.length} in all). Run \`iptables-lens check\` for the full list.`,
  });
  return shown;
}
