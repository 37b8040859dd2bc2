// `iptables-lens services DUMP [--kubeconfig FILE] [--context C] [--namespace N] [--snapshot FILE] [--json]`:
// the Services view's model in a terminal. The cluster's services → ports → endpoints with their chain
// names, and whether each chain is in DUMP. Same code as the tree (servicesModel.ts), no vscode.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parseDump } from '../../../server/src/parse';
import { ClusterClient } from './clusterClient';
import type { ClusterError } from './result';
import { buildServicesModel, chainIndexFromDump } from './servicesModel';
import type { ChainLink, ServicesModel } from './servicesModel';
import { parseSnapshotText } from './snapshot';

export interface ServicesCommandIO {
  readFile(path: string): string;
  out(text: string): void;
  err(text: string): void;
}

export const SERVICES_USAGE = 'services DUMP [--kubeconfig FILE] [--context C] [--namespace N] [--snapshot FILE] [--json]';
export const SERVICES_SUMMARY = "the cluster's services, ports and endpoints, with their chains and whether DUMP has them";

const USAGE_ERROR = 2;
const CLUSTER_ERROR = 1;

function linkText(link: ChainLink): string {
  switch (link.state) {
    case 'in-dump':
      return `in dump (line ${(link.location?.dnatRule?.line ?? link.location?.ref.span?.line ?? -1) + 1})`;
    case 'missing':
      return `not in dump: ${link.reason}`;
    case 'no-dump':
      return '';
  }
}

/** The model as indented text, one line per namespace, service, port and endpoint. */
export function formatServicesModel(model: ServicesModel): string[] {
  const o = model.origin;
  const lines = [
    o.kind === 'cluster'
      ? `context ${o.context}${o.server ? ` (${o.server})` : ''}${o.endpointSource ? `, endpoints from ${o.endpointSource}` : ''}`
      : o.kind === 'snapshot'
        ? `snapshot ${o.file}${o.endpointSource ? `, endpoints from ${o.endpointSource}` : ''}`
        : `dump ${o.uri}`,
  ];
  for (const warning of model.warnings) {
    lines.push(`warning: ${warning.message}`);
  }
  for (const namespace of model.namespaces) {
    if (namespace.services.length === 0) {
      continue;
    }
    lines.push(namespace.name);
    for (const service of namespace.services) {
      lines.push(
        `  ${service.name}  ${service.type}${service.clusterIP ? ` ${service.clusterIP}` : ''}${service.note ? `  (${service.note})` : ''}`,
      );
      for (const port of service.ports) {
        lines.push(`    ${port.label}  ${port.link.chain}  ${linkText(port.link)}`.trimEnd());
        for (const e of port.endpoints) {
          const facts = [e.ready ? 'ready' : 'not-ready', e.node ? `node=${e.node}` : undefined, e.pod ? `pod=${e.pod}` : undefined]
            .filter(Boolean)
            .join(' ');
          lines.push(`      ${e.address}  ${facts}  ${e.link.chain}  ${linkText(e.link)}`.trimEnd());
        }
      }
    }
  }
  return lines;
}

function reportError(io: ServicesCommandIO, error: ClusterError): number {
  io.err(`iptables-lens: ${error.message}`);
  if (error.hint) {
    io.err(`  ${error.hint}`);
  }
  return CLUSTER_ERROR;
}

/** Runs the `services` command; resolves to the exit status (0, 1 for a cluster or snapshot error, 2 for usage). */
export async function runServicesCommand(args: string[], io: ServicesCommandIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        namespace: { type: 'string', short: 'n' },
        snapshot: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
  } catch (err) {
    io.err(`iptables-lens: ${err instanceof Error ? err.message : String(err)}`);
    io.err(`usage: iptables-lens ${SERVICES_USAGE}`);
    return USAGE_ERROR;
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    io.err(`usage: iptables-lens ${SERVICES_USAGE}`);
    return USAGE_ERROR;
  }
  const dumpPath = positionals[0];
  let dumpText: string;
  try {
    dumpText = io.readFile(dumpPath);
  } catch (err) {
    io.err(`iptables-lens: cannot read ${dumpPath}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    return USAGE_ERROR;
  }
  const index = chainIndexFromDump(pathToFileURL(dumpPath).href, parseDump(dumpText));

  let model: ServicesModel;
  if (values.snapshot) {
    let text: string;
    try {
      text = io.readFile(values.snapshot);
    } catch (err) {
      io.err(`iptables-lens: cannot read ${values.snapshot}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      return USAGE_ERROR;
    }
    const snapshot = parseSnapshotText(text, values.snapshot);
    if (!snapshot.ok) {
      return reportError(io, snapshot.error);
    }
    model = buildServicesModel(
      snapshot.value,
      { kind: 'snapshot', file: values.snapshot, endpointSource: snapshot.value.endpointSource },
      index,
    );
  } else {
    const client = ClusterClient.create({ kubeconfigPath: values.kubeconfig, context: values.context });
    if (!client.ok) {
      return reportError(io, client.error);
    }
    const snapshot = await client.value.snapshot(values.namespace);
    if (!snapshot.ok) {
      return reportError(io, snapshot.error);
    }
    model = buildServicesModel(
      snapshot.value,
      { kind: 'cluster', context: client.value.context, server: client.value.server, endpointSource: snapshot.value.endpointSource },
      index,
    );
  }
  if (values.namespace) {
    model = { ...model, namespaces: model.namespaces.filter((n) => n.name === values.namespace) };
  }
  if (values.json) {
    io.out(JSON.stringify(model, null, 2));
  } else {
    formatServicesModel(model).forEach((line) => io.out(line));
  }
  return 0;
}
