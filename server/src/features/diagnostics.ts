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

export function toDiagnostic(d: DumpDiagnostic): Diagnostic {
  return { range: toRange(d.span), severity: SEVERITY[d.severity], code: d.code, source: 'iptables-lens', message: d.message };
}

/** LSP diagnostics, most severe first when there are more than `limit`, plus one saying how many were left out. */
export function diagnostics(found: readonly DumpDiagnostic[], limit = MAX_DIAGNOSTICS): Diagnostic[] {
  if (found.length <= limit) {
    return found.map(toDiagnostic);
  }
  const order = ['error', 'warning', 'information', 'hint'];
  const sorted = [...found].sort((a, b) => order.indexOf(a.severity) - order.indexOf(b.severity) || a.span.line - b.span.line);
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
