// Loads syntaxes/iptables.tmLanguage.json with the same engine VS Code uses (vscode-textmate on the
// Oniguruma WebAssembly build) and tokenizes text line by line, so tests can assert real scopes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as oniguruma from 'vscode-oniguruma';
import * as vsctm from 'vscode-textmate';

export const GRAMMAR_PATH = path.resolve(__dirname, '../../syntaxes/iptables.tmLanguage.json');
export const SCOPE_NAME = 'source.iptables';

/** One token of one line: its text, its column range and its scope stack (root scope first). */
export interface ScopedToken {
  text: string;
  start: number;
  end: number;
  scopes: string[];
}

/** The tokens of one line of a document, with the line's text and 0-based number. */
export interface TokenizedLine {
  lineNumber: number;
  text: string;
  tokens: ScopedToken[];
}

let registryPromise: Promise<vsctm.IGrammar> | undefined;

/** The iptables grammar, loaded once per test process. */
export function loadIptablesGrammar(): Promise<vsctm.IGrammar> {
  registryPromise ??= (async () => {
    const wasmPath = require.resolve('vscode-oniguruma/release/onig.wasm');
    const wasm = fs.readFileSync(wasmPath);
    await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
    const registry = new vsctm.Registry({
      onigLib: Promise.resolve({
        createOnigScanner: (sources: string[]) => new oniguruma.OnigScanner(sources),
        createOnigString: (text: string) => new oniguruma.OnigString(text),
      }),
      loadGrammar: async (scopeName: string) => {
        if (scopeName !== SCOPE_NAME) {
          return null;
        }
        const content = fs.readFileSync(GRAMMAR_PATH, 'utf8');
        return vsctm.parseRawGrammar(content, GRAMMAR_PATH);
      },
    });
    const grammar = await registry.loadGrammar(SCOPE_NAME);
    if (!grammar) {
      throw new Error(`grammar ${SCOPE_NAME} did not load from ${GRAMMAR_PATH}`);
    }
    return grammar;
  })();
  return registryPromise;
}

/** Tokenizes `text` the way the editor does: line by line, carrying the rule stack across lines. */
export function tokenizeText(grammar: vsctm.IGrammar, text: string): TokenizedLine[] {
  const lines = text.split(/\r?\n/);
  let ruleStack: vsctm.StateStack = vsctm.INITIAL;
  return lines.map((line, lineNumber) => {
    const result = grammar.tokenizeLine(line, ruleStack);
    ruleStack = result.ruleStack;
    const tokens = result.tokens.map((token) => ({
      text: line.substring(token.startIndex, Math.min(token.endIndex, line.length)),
      start: token.startIndex,
      end: Math.min(token.endIndex, line.length),
      scopes: token.scopes,
    }));
    return { lineNumber, text: line, tokens };
  });
}

/** The scope stack of the token covering column `column`, or undefined past the end of the line. */
export function scopesAt(line: TokenizedLine, column: number): string[] | undefined {
  return line.tokens.find((token) => token.start <= column && column < token.end)?.scopes;
}

/** Whether any scope in `scopes` equals `scope` or starts with `scope + '.'`. */
export function hasScope(scopes: readonly string[] | undefined, scope: string): boolean {
  return (scopes ?? []).some((s) => s === scope || s.startsWith(scope + '.'));
}

/** The tokens of a line whose text is exactly `text` (a line may hold the same word more than once). */
export function tokensWithText(line: TokenizedLine, text: string): ScopedToken[] {
  return line.tokens.filter((token) => token.text === text);
}
