// Go to definition: from any occurrence of a chain name to where the chain is declared.
import type { Location, Position } from 'vscode-languageserver-types';
import { chainOccurrenceAt } from '../model/index';
import type { DumpDocument } from './document';
import { toLocation } from './lsp';

/** The declaration of the chain named at `position`; null on a built-in target or anything else. */
export function definition(doc: DumpDocument, position: Position): Location | null {
  const occurrence = chainOccurrenceAt(doc.dump, position.line, position.character);
  const declaration = occurrence?.chain?.declaration;
  return declaration ? toLocation(doc.uri, declaration) : null;
}
