// Conversions from the model's one-line spans to LSP ranges and locations.
import type { Location, Range } from 'vscode-languageserver-types';
import type { Span } from '../model/types';

export function toRange(span: Span): Range {
  return { start: { line: span.line, character: span.start }, end: { line: span.line, character: span.end } };
}

export function toLocation(uri: string, span: Span): Location {
  return { uri, range: toRange(span) };
}

/** A range from the start of `startLine` to the end of `endLine` (for outline ranges). */
export function lineRange(lines: readonly string[], startLine: number, endLine: number): Range {
  return { start: { line: startLine, character: 0 }, end: { line: endLine, character: lines[endLine]?.length ?? 0 } };
}
