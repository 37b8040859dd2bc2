// One open dump as the features see it: its text split into lines, the parsed model, and the analyses
// computed from the model on first use (so a request that needs none of them pays for none).
import { parseLines, splitLines } from '../parse/index';
import type { Dump } from '../model/types';

export class DumpDocument {
  readonly dump: Dump;

  constructor(
    readonly uri: string,
    readonly version: number,
    readonly lines: readonly string[],
  ) {
    this.dump = parseLines(lines as string[]);
  }

  static fromText(uri: string, version: number, text: string): DumpDocument {
    return new DumpDocument(uri, version, splitLines(text));
  }
}
