// Hover text from kube-proxy knowledge: which service a chain is, where its traffic goes and with what share,
// what a statistic fragment really gives, what an IP is. LSP-agnostic: the server turns it into a Hover.
import { chainOccurrenceAt } from '../model/index';
import type { Dump, Rule, Span } from '../model/types';
import { addressFactsInOrder, endpointOfChain, serviceOfChain } from '../kube/analysis';
import type { AddressFact, EndpointChainFacts, KubeAnalysis } from '../kube/analysis';
import { chainKind, chainKindLabel } from '../kube/chainKinds';
import { statisticFragment } from '../kube/ruleText';
import type { DumpEndpoint, DumpServicePort } from '../kube/types';
import { percent } from '../kube/values';

/** A place in a document: 0-based line and UTF-16 character, as LSP counts them. */
export interface TextPosition {
  line: number;
  character: number;
}

/** Markdown for a hover, and the text it is about (for the editor to highlight). */
export interface KubeHover {
  contents: string;
  span?: Span;
}

/**
 * What kube-proxy knowledge says about the text at a position: a service chain name (service, IPs, policy,
 * endpoints with shares), an endpoint chain name (pod, the services that reach it), a `statistic` fragment
 * (its conditional probability and the share it gives), a cluster or endpoint IP, a dispatch rule (the
 * service it dispatches), or another kube-proxy, CNI or runtime chain (whose it is). Null when there is nothing
 * kube-specific here.
 */
export function kubeHover(dump: Dump, analysis: KubeAnalysis, position: TextPosition): KubeHover | null {
  const { line, character } = position;
  const occurrence = chainOccurrenceAt(dump, line, character);
  if (occurrence !== undefined) {
    const service = serviceOfChain(analysis, occurrence.name, occurrence.table);
    if (service !== undefined) {
      return { contents: describeService(service, occurrence.name), span: occurrence.span };
    }
    const endpoint = endpointOfChain(analysis, occurrence.name, occurrence.table);
    if (endpoint !== undefined) {
      return { contents: describeEndpointChain(endpoint), span: occurrence.span };
    }
    // Other kube-proxy, CNI and runtime chains: say whose they are (KUBE-MARK-MASQ, cali-…, DOCKER-USER).
    const kind = chainKind(occurrence.name);
    if (kind !== 'user' && kind !== 'builtin') {
      return { contents: `${code(occurrence.name)}: ${chainKindLabel(kind, occurrence.name)}`, span: occurrence.span };
    }
  }
  if (!analysis.hasKubeProxy) {
    return null;
  }
  const owner = dump.lineOwners[line];
  const rule = owner !== undefined && 'text' in owner && 'chain' in owner ? owner : undefined;
  if (rule === undefined) {
    return null;
  }
  const statistic = statisticFragment(rule);
  if (statistic !== undefined && character >= statistic.start && character <= statistic.end) {
    const facts = analysis.endpointRuleByLine.get(line);
    if (facts !== undefined) {
      return { contents: describeStatistic(facts, rule), span: statistic };
    }
  }
  const address = addressAt(rule.text, character);
  if (address !== undefined) {
    const facts = analysis.addresses.get(address.address);
    if (facts !== undefined) {
      return { contents: describeAddress(address.address, facts), span: { line, start: address.start, end: address.end } };
    }
  }
  const dispatched = analysis.dispatchByLine.get(line);
  if (dispatched !== undefined) {
    return { contents: `This rule dispatches **${escape(dispatched.label)}**.\n\n${describeService(dispatched, undefined)}` };
  }
  return null;
}

/** An IPv4 or IPv6 address under the cursor (a `/32` suffix, `!`, or `:port` around it are not part of it). */
export function addressAt(text: string, character: number): { address: string; start: number; end: number } | undefined {
  const isAddressChar = (code: number): boolean =>
    (code >= 48 && code <= 58) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102) || code === 46;
  let start = character;
  let end = character;
  while (start > 0 && isAddressChar(text.charCodeAt(start - 1))) {
    start--;
  }
  while (end < text.length && isAddressChar(text.charCodeAt(end))) {
    end++;
  }
  if (start === end) {
    return undefined;
  }
  const word = text.slice(start, end);
  // IPv4, possibly with a port (`to:10.0.0.1:80`): take the dotted quad that contains the cursor.
  const v4 = /\d{1,3}(?:\.\d{1,3}){3}/g;
  for (let match = v4.exec(word); match !== null; match = v4.exec(word)) {
    const s = start + match.index;
    const e = s + match[0].length;
    if (character >= s && character <= e) {
      return { address: match[0], start: s, end: e };
    }
  }
  if (word.includes('::') || word.split(':').length > 3) {
    const trimmed = word.replace(/^:+(?!:)/, '');
    return { address: trimmed, start: end - trimmed.length, end };
  }
  return undefined;
}

function escape(text: string): string {
  return text.replace(/([\\`*_[\]<>|])/g, '\\$1');
}

function code(text: string): string {
  return '`' + text + '`';
}

/** A hover stays readable: a service with thousands of endpoints lists the first ones and sums the rest. */
const MAX_ENDPOINT_ROWS = 50;

function endpointTable(endpoints: DumpEndpoint[], approximate: boolean): string[] {
  const observed = endpoints.some((endpoint) => endpoint.observedShare !== undefined);
  const rows: string[] = [];
  rows.push(observed ? '| endpoint | chain | probability | share | observed |' : '| endpoint | chain | probability | share |');
  rows.push(observed ? '|---|---|---:|---:|---:|' : '|---|---|---:|---:|');
  for (const endpoint of endpoints.slice(0, MAX_ENDPOINT_ROWS)) {
    const cells = [
      endpoint.address !== undefined ? code(endpoint.address) : '*(no DNAT)*',
      code(endpoint.chain.name),
      endpoint.probability === 1 ? '1 (rest)' : String(endpoint.probability),
      `**${percent(endpoint.share)}**`,
    ];
    if (observed) {
      cells.push(
        endpoint.observedShare !== undefined
          ? `${approximate ? '≈' : ''}${percent(endpoint.observedShare)} (${endpoint.observedPackets ?? 0} pkts)`
          : '—',
      );
    }
    rows.push(`| ${cells.join(' | ')} |`);
  }
  if (endpoints.length > MAX_ENDPOINT_ROWS) {
    const rest = endpoints.slice(MAX_ENDPOINT_ROWS);
    const share = rest.reduce((sum, endpoint) => sum + endpoint.share, 0);
    rows.push(`| … ${rest.length} more | | | ${percent(share)} together |${observed ? ' |' : ''}`);
  }
  return rows;
}

/** Markdown for a service port; `chainName` is the chain hovered, if any. */
export function describeService(service: DumpServicePort, chainName: string | undefined): string {
  const out: string[] = [];
  const title =
    service.namespace !== undefined && service.name !== undefined
      ? `**${escape(`${service.namespace}/${service.name}`)}** · port ${service.port !== undefined && service.port !== '' ? `${code(service.port)} ` : ''}` +
        `${service.servicePort ?? '?'}${service.protocol !== undefined ? `/${service.protocol}` : ''}`
      : `**${escape(service.label)}** (no comment names this service port)`;
  out.push(title);
  if (chainName !== undefined) {
    out.push('', `${code(chainName)}: ${chainKindLabel(chainKind(chainName), chainName)}`);
  }
  const facts: string[] = [];
  if (service.clusterIPs.length > 0) {
    facts.push(
      `cluster IP ${service.clusterIPs.map((ip) => code(service.servicePort !== undefined ? `${ip}:${service.servicePort}` : ip)).join(', ')}`,
    );
  }
  if (service.externalIPs.length > 0) {
    facts.push(`external IP ${service.externalIPs.map(code).join(', ')}`);
  }
  if (service.loadBalancerIPs.length > 0) {
    facts.push(`load-balancer IP ${service.loadBalancerIPs.map(code).join(', ')}`);
  }
  if (service.nodePorts.length > 0) {
    facts.push(`node port ${service.nodePorts.join(', ')}`);
  }
  if (service.healthCheckNodePort !== undefined) {
    facts.push(`health check node port ${service.healthCheckNodePort}`);
  }
  if (service.trafficPolicy !== undefined) {
    facts.push(
      service.trafficPolicy === 'Local'
        ? 'traffic policy **Local** (external traffic goes only to endpoints on this node)'
        : 'traffic policy **Cluster**',
    );
  }
  if (service.affinitySeconds !== undefined) {
    facts.push(`session affinity **ClientIP** for ${service.affinitySeconds} s (\`-m recent\`)`);
  }
  if (service.hashMatches === true) {
    facts.push(`chain names match kube-proxy's hash of ${code(service.portName ?? '')} + ${service.protocol ?? ''}`);
  } else if (service.hashMatches === false) {
    facts.push(`⚠ chain names do **not** match kube-proxy's hash of ${code(service.portName ?? '')}: hand-edited, or not kube-proxy's`);
  }
  if (facts.length > 0) {
    out.push('', ...facts.map((fact) => `- ${fact}`));
  }
  const approximate = service.observedApproximate === true;
  if (service.endpoints.length > 0) {
    out.push('', `**${service.endpoints.length} endpoint${service.endpoints.length === 1 ? '' : 's'}** (cluster-wide, in rule order):`, '');
    out.push(...endpointTable(service.endpoints, approximate));
  }
  if (service.localEndpoints.length > 0) {
    out.push(
      '',
      `**${service.localEndpoints.length} node-local endpoint${service.localEndpoints.length === 1 ? '' : 's'}** (Local policy chain):`,
      '',
    );
    out.push(...endpointTable(service.localEndpoints, approximate));
  }
  if (service.endpoints.length === 0 && service.localEndpoints.length === 0) {
    out.push('', service.noEndpoints ? "**No endpoints**: kube-proxy rejects this service port's traffic." : 'No endpoints in this dump.');
  }
  if (service.unassignedShare !== undefined) {
    out.push('', `⚠ ${percent(service.unassignedShare)} of the traffic is assigned to no endpoint (the last rule has a statistic match).`);
  }
  if (approximate) {
    out.push('', '*Observed shares use counters printed with K/M/G suffixes, so they are approximate.*');
  }
  return out.join('\n');
}

function describeEndpointChain(endpoint: EndpointChainFacts): string {
  const out: string[] = [];
  out.push(`**${code(endpoint.chain.name)}**: ${chainKindLabel('endpoint')}`);
  out.push('');
  if (endpoint.address !== undefined) {
    out.push(`Pod endpoint ${code(endpoint.address)}${endpoint.protocol !== undefined ? ` (${endpoint.protocol})` : ''}`);
  } else {
    out.push('⚠ No DNAT rule: traffic sent here reaches no pod.');
  }
  if (endpoint.reachedBy.length > 0) {
    out.push('', 'Reached from:');
    for (const reach of endpoint.reachedBy) {
      const observed =
        reach.endpoint.observedShare !== undefined
          ? `, observed ${reach.service.observedApproximate === true ? '≈' : ''}${percent(reach.endpoint.observedShare)} (${reach.endpoint.observedPackets ?? 0} pkts)`
          : '';
      out.push(
        `- **${escape(reach.service.label)}** via ${code(reach.serviceChain)}: probability ${reach.endpoint.probability === 1 ? '1 (rest)' : reach.endpoint.probability} → share **${percent(reach.endpoint.share)}**${observed}` +
          (reach.endpoint.affinitySeconds !== undefined ? `, session affinity ${reach.endpoint.affinitySeconds} s` : ''),
      );
    }
  } else if (endpoint.identity !== undefined) {
    out.push(
      '',
      `Service port ${code(`${endpoint.identity.namespace}/${endpoint.identity.name}${endpoint.identity.port !== '' ? `:${endpoint.identity.port}` : ''}`)} (from its comments); no service chain in this dump jumps here.`,
    );
  }
  if (endpoint.masqueradeRule !== undefined) {
    out.push('', `Hairpin masquerade on line ${endpoint.masqueradeRule.line + 1} (the pod reaching itself through the service is SNATed).`);
  }
  if (endpoint.hashMatches === true) {
    out.push('', "Name matches kube-proxy's hash of the service port and address.");
  } else if (endpoint.hashMatches === false) {
    out.push('', "⚠ Name does **not** match kube-proxy's hash of the service port and address.");
  }
  return out.join('\n');
}

function describeStatistic(
  facts: { service: DumpServicePort; endpoint: DumpEndpoint; probability: number; share: number; reaching: number; affinity: boolean },
  rule: Rule,
): string {
  const target =
    facts.endpoint.address !== undefined
      ? `${code(facts.endpoint.address)} (${code(facts.endpoint.chain.name)})`
      : code(facts.endpoint.chain.name);
  const out: string[] = [];
  out.push(`**statistic: probability ${facts.probability}** (conditional)`);
  out.push('');
  out.push(
    `A packet that gets this far in ${code(rule.chain.name)} (${percent(facts.reaching)} of ${escape(facts.service.label)}'s traffic) ` +
      `matches with probability ${facts.probability}, so endpoint ${target} gets **${percent(facts.share)}** of the service port's traffic.`,
  );
  out.push('', `Left for the rules below: ${percent(Math.max(0, facts.reaching - facts.share))}.`);
  if (facts.endpoint.observedShare !== undefined) {
    out.push(
      '',
      `Observed: ${facts.service.observedApproximate === true ? '≈' : ''}${percent(facts.endpoint.observedShare)} (${facts.endpoint.observedPackets ?? 0} packets).`,
    );
  }
  return out.join('\n');
}

/** What `address` is, one paragraph per fact (`addressFactsInOrder`). */
function describeAddress(address: string, facts: AddressFact[]): string {
  const out: string[] = [];
  for (const fact of addressFactsInOrder(facts)) {
    if (fact.service !== undefined) {
      const role = fact.role === 'cluster-ip' ? 'cluster IP' : fact.role === 'external-ip' ? 'external IP' : 'load-balancer IP';
      const endpoints = [...fact.service.endpoints, ...fact.service.localEndpoints.filter((e) => !fact.service?.endpoints.includes(e))];
      const where =
        endpoints.length === 0
          ? 'no endpoints'
          : endpoints
              .slice(0, 8)
              .map((endpoint) => `${code(endpoint.address ?? endpoint.chain.name)} ${percent(endpoint.share)}`)
              .join(', ') + (endpoints.length > 8 ? `, … (${endpoints.length} in all)` : '');
      out.push(`${code(address)} is the **${role}** of **${escape(fact.service.label)}** → ${where}`);
    } else if (fact.endpoint !== undefined) {
      const services = [...new Set(fact.endpoint.reachedBy.map((reach) => reach.service.label))];
      out.push(
        `${code(address)} is a **pod endpoint** (${code(fact.endpoint.address ?? address)}, ${code(fact.endpoint.chain.name)})` +
          (services.length > 0 ? ` of ${services.map((label) => `**${escape(label)}**`).join(', ')}` : ''),
      );
    }
  }
  return out.join('\n\n');
}
