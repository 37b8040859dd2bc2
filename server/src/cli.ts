#!/usr/bin/env node
// The language server's features from a terminal, for scripts and CI: `iptables-lens <command> DUMP …`.
// A public interface: command names, options and JSON shapes are documented in the README.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { DocumentSymbol } from 'vscode-languageserver-types';
import { DumpDocument } from './features/document';
import { definition } from './features/definition';
import { diagnosticOrder } from './features/diagnostics';
import { hover } from './features/hover';
import { implementationLocations, kubeHoverSection, kubeOutline, servicesOf } from './features/kubeFeatures';
import { references } from './features/references';
import type { DumpServicePort } from './kube/types';
import { runTraceCommand } from './trace/command';

export interface CliIO {
  readFile(path: string): string;
  out(text: string): void;
  err(text: string): void;
}

interface Command {
  usage: string;
  summary: string;
  run(args: string[], io: CliIO): number | Promise<number>;
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
      const doc = load(positionals[0], io);
      const symbols = kubeOutline(doc);
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
      const found = load(file, io).diagnostics.sort(diagnosticOrder);
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
      return atPosition(args, io, this.usage, (doc, position) => hover(doc, position, () => kubeHoverSection(doc, position)));
    },
  },
  implementation: {
    usage: 'implementation DUMP LINE:COL [--json]',
    summary: 'jump to endpoint: the DNAT rules behind the service or endpoint at LINE:COL',
    run(args, io) {
      return atPosition(args, io, this.usage, (doc, position) => implementationLocations(doc, position));
    },
  },
  services: {
    usage: 'services DUMP [--json] | services DUMP (--kubeconfig FILE [--context C] | --snapshot FILE) [--namespace N] [--json]',
    summary: "the dump's kube-proxy services with endpoints and shares; with a cluster or snapshot, its services linked to DUMP",
    run(args, io) {
      if (args.some((a) => /^--(kubeconfig|context|snapshot|namespace)(=|$)|^-n$/.test(a))) {
        return clusterServicesCommand(args, io);
      }
      const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' } }, allowPositionals: true });
      if (positionals.length !== 1) {
        return usage(io, this.usage);
      }
      const { services } = servicesOf(load(positionals[0], io));
      if (values.json) {
        io.out(JSON.stringify({ services }, null, 2));
      } else {
        printServices(services, io);
      }
      return 0;
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

function printServices(services: DumpServicePort[], io: CliIO): void {
  if (services.length === 0) {
    io.out('(no kube-proxy services in this dump)');
  }
  for (const service of services) {
    const ips = service.clusterIPs.length ? `  cluster IP ${service.clusterIPs.join(', ')}${service.servicePort !== undefined ? `:${service.servicePort}` : ''}` : '';
    io.out(`${service.label}${ips}  [${service.chains.map((c) => c.name).join(', ')}]${service.noEndpoints ? '  no endpoints' : ''}`);
    for (const endpoint of service.endpoints) {
      const observed = endpoint.observedShare !== undefined ? `, observed ${(endpoint.observedShare * 100).toFixed(1)}%` : '';
      io.out(`  ${(endpoint.address ?? '(no DNAT)').padEnd(24)} ${(endpoint.share * 100).toFixed(1).padStart(5)}%${observed}  ${endpoint.chain.name}${endpoint.dnatRule ? `  line ${endpoint.dnatRule.line + 1}` : ''}`);
    }
  }
}

/**
 * `services` against a cluster or a snapshot runs the Services view's own model (client/src/cluster), which
 * bundles @kubernetes/client-node: `npm run build` writes it to dist/services-cli.js.
 */
async function clusterServicesCommand(args: string[], io: CliIO): Promise<number> {
  const bundle = path.resolve(__dirname, '../../dist/services-cli.js');
  if (!existsSync(bundle)) {
    io.err(`iptables-lens: ${bundle} is missing: run \`npm run build\` first.`);
    return USAGE_ERROR;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { runServicesCommand } = require(bundle) as { runServicesCommand(args: string[], io: CliIO): Promise<number> };
  return runServicesCommand(args, io);
}

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

/** Runs the CLI; resolves to the exit status. */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
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
    return await command.run(args, io);
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
  void runCli(process.argv.slice(2), io).then((status) => {
    process.exitCode = status;
  });
}
