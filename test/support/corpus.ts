// The real dumps every test reads: ../shared/corpus beside the repository (CI has it at the same place).
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export const CORPUS_DIR = path.resolve(__dirname, '../../../shared/corpus');

/** The corpus files this parser reads (the nftables ones are for later work). */
export function corpusFiles(): string[] {
  return readdirSync(CORPUS_DIR)
    .filter((f) => !f.endsWith('.md') && !f.endsWith('.nft'))
    .sort();
}

export function corpusPath(name: string): string {
  return path.join(CORPUS_DIR, name);
}

export function readCorpus(name: string): string {
  return readFileSync(corpusPath(name), 'utf8');
}
