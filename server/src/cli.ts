#!/usr/bin/env node
// The language server's features from a terminal, for scripts and CI: `iptables-lens <command> DUMP …`.
// A public interface: command names, options and JSON shapes are documented in the README.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { DocumentSymbol } from 'vscode-languageserver-types';
import { DumpDocument } from './features/document';
import { definition } from './features/definition';
import { hover } from './features/hover';
import { references } from './features/references';
import { documentSymbols } from './features/symbols';
import { runTraceCommand } from './trace/command';

export interface CliIO {
  readFile(path: string): string;
  out(text: string): void;
  err(text: string): void;
}

interface Command {
  usage: string;
  summary: string;
  run(args: string[], io: CliIO): number;
}

const USAGE_ERROR = 2;

function load(path: string, io: CliIO): DumpDocument {
  return DumpDocument.fromText(pathToFileURL(path).href, 1, io.readFile(path));
}

/** `LINE:COL`, both 1-based as editors show them → 0-based position. */
function parsePosition(text: string | undefined): { line: number; character: number } | undefined {
  const match = /^(\d+):(\d+)$/.exec(text ?? '');
  return match ? { line: Number(match[1]) - 1, character: Number(match[2]) - 1 } : undefined;
}

function printSymbols(symbols: DocumentSymbol[], io: CliIO): void {
  for (const table of symbols) {
    io.out(`${table.name}  (${table.detail ?? ''})  line ${table.range.start.line + 1}`);
    for (const chain of table.children ?? []) {
      io.out(`  ${chain.name}  ${chain.detail ?? ''}  line ${chain.selectionRange.start.line + 1}`);
    }
  }
}

const commands: Record<string, Command> = {
  symbols: {
    usage: 'symbols DUMP [--json]',
    summary: 'the outline: tables and their chains',
    run(args, io) {
      const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' } }, allowPositionals: true });
      if (positionals.length !== 1) {
        return usage(io, this.usage);
      }
      const symbols = documentSymbols(load(positionals[0], io));
      if (values.json) {
        io.out(JSON.stringify(symbols, null, 2));
      } else {
        printSymbols(symbols, io);
      }
      return 0;
    },
  },
  check: {
    usage: 'check DUMP [--json]',
    summary: 'diagnostics as file:line:col: severity: message; exit status 1 when there is an error',
    run(args, io) {
      const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' } }, allowPositionals: true });
      if (positionals.length !== 1) {
        return usage(io, this.usage);
      }
      const file = positionals[0];
      const found = [...load(file, io).dump.diagnostics].sort((a, b) => a.span.line - b.span.line || a.span.start - b.span.start);
      if (values.json) {
        io.out(JSON.stringify(found.map((d) => ({ file, line: d.span.line + 1, column: d.span.start + 1, endColumn: d.span.end + 1, severity: d.severity, code: d.code, message: d.message })), null, 2));
      } else {
        for (const d of found) {
          io.out(`${file}:${d.span.line + 1}:${d.span.start + 1}: ${d.severity}: ${d.message} [${d.code}]`);
        }
      }
      return found.some((d) => d.severity === 'error') ? 1 : 0;
    },
  },
  definition: {
    usage: 'definition DUMP LINE:COL [--json]',
    summary: 'where the chain named at LINE:COL is declared',
    run(args, io) {
      return atPosition(args, io, this.usage, (doc, position) => definition(doc, position));
    },
  },
  references: {
    usage: 'references DUMP LINE:COL [--json]',
    summary: 'the rules that jump to the chain named at LINE:COL',
    run(args, io) {
      return atPosition(args, io, this.usage, (doc, position) => references(doc, position, true));
    },
  },
  hover: {
    usage: 'hover DUMP LINE:COL [--json]',
    summary: 'the hover text at LINE:COL',
    run(args, io) {
      return atPosition(args, io, this.usage, (doc, position) => hover(doc, position));
    },
  },
  trace: {
    usage: 'trace DUMP --dst IP[:PORT] [--proto tcp] [--src IP] [--from pod|node|external] [--json]',
    summary: 'every path a packet can take through the rules, with outcomes and probabilities',
    run(args, io) {
      return runTraceCommand(args, io.readFile, io.out);
    },
  },
};

function atPosition(args: string[], io: CliIO, usageText: string, feature: (doc: DumpDocument, position: { line: number; character: number }) => unknown): number {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' } }, allowPositionals: true });
  const position = parsePosition(positionals[1]);
  if (positionals.length !== 2 || !position) {
    return usage(io, usageText);
  }
  const result = feature(load(positionals[0], io), position);
  if (values.json) {
    io.out(JSON.stringify(result ?? null, null, 2));
  } else {
    io.out(formatResult(result));
  }
  return 0;
}

/** Plain-text form of a feature result: locations as file:line:col, hovers as their markdown. */
function formatResult(result: unknown): string {
  if (result === null || result === undefined || (Array.isArray(result) && result.length === 0)) {
    return '(nothing here)';
  }
  const items = Array.isArray(result) ? result : [result];
  return items
    .map((item: { uri?: string; range?: { start: { line: number; character: number } }; contents?: { value: string } }) => {
      if (item.contents) {
        return item.contents.value;
      }
      if (item.uri && item.range) {
        return `${new URL(item.uri).pathname}:${item.range.start.line + 1}:${item.range.start.character + 1}`;
      }
      return JSON.stringify(item);
    })
    .join('\n');
}

function usage(io: CliIO, text?: string): number {
  if (text) {
    io.err(`usage: iptables-lens ${text}`);
    return USAGE_ERROR;
  }
  io.err('usage: iptables-lens <command> [arguments]\n\ncommands:');
  for (const command of Object.values(commands)) {
    io.err(`  ${command.usage.padEnd(44)} ${command.summary}`);
  }
  return USAGE_ERROR;
}

/** Runs the CLI; returns the exit status. */
export function runCli(argv: string[], io: CliIO): number {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    usage(io);
    return name ? 0 : USAGE_ERROR;
  }
  const command = commands[name];
  if (!command) {
    io.err(`iptables-lens: unknown command '${name}'`);
    return usage(io);
  }
  try {
    return command.run(args, io);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') {
      io.err(`iptables-lens: cannot read ${(error as NodeJS.ErrnoException).path ?? 'file'}: ${code}`);
      return USAGE_ERROR;
    }
    if (code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`iptables-lens: ${(error as Error).message}`);
      return usage(io, command.usage);
    }
    throw error;
  }
}

/** The commands table, so later subcommands can be registered next to these. */
export function registerCommand(name: string, command: Command): void {
  commands[name] = command;
}

if (require.main === module) {
  // `iptables-lens symbols big.txt | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') {
      process.exit(process.exitCode ?? 0);
    }
    throw error;
  });
  const io: CliIO = {
    readFile: (path) => readFileSync(path, 'utf8'),
    out: (text) => process.stdout.write(text + '\n'),
    err: (text) => process.stderr.write(text + '\n'),
  };
  process.exitCode = runCli(process.argv.slice(2), io);
}
