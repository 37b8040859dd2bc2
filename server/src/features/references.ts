// Find references: every rule of the same table that jumps or goes to the chain at the cursor.
import type { Location, Position } from 'vscode-languageserver-types';
import { chainOccurrenceAt, rulesTargeting } from '../model/index';
import type { DumpDocument } from './document';
import { toLocation } from './lsp';

export function references(doc: DumpDocument, position: Position, includeDeclaration: boolean): Location[] {
  const occurrence = chainOccurrenceAt(doc.dump, position.line, position.character);
  if (!occurrence) {
    return [];
  }
  const result: Location[] = [];
  const declaration = occurrence.chain?.declaration;
  if (includeDeclaration && declaration) {
    result.push(toLocation(doc.uri, declaration));
  }
  for (const rule of rulesTargeting(occurrence.table, occurrence.name)) {
    if (rule.target) {
      result.push(toLocation(doc.uri, rule.target.span));
    }
  }
  return result;
}
