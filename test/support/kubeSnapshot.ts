// Two kube-proxy analyses compared field by field: what the tests of the analysis's incremental updates check an
// updated analysis against (a fresh analysis of the same text).
import { strict as assert } from 'node:assert';
import type { EndpointChainFacts, KubeAnalysis } from '../../server/src/kube/analysis';
import type { DumpServicePort } from '../../server/src/kube/types';
import type { Chain, Dump } from '../../server/src/model/types';

/** JSON with object keys sorted, so that equal values give equal text whatever order their fields were set in. */
function stable(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(stable).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stable(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const sorted = (list: string[]): string[] => [...list].sort();

/**
 * Every field of a KubeAnalysis in a form two analyses of the same text (made from different model objects)
 * can be compared in: chains by table position and name, service ports and endpoint facts by value, maps as
 * sorted lists of entries. A service port is written out in full once (every field, its endpoints in rule
 * order); the maps refer to it by its place in the sorted list of those texts.
 */
export function canonical(analysis: KubeAnalysis, dump: Dump): Record<string, unknown> {
  const chainKey = (chain: Chain): string => `${dump.tables.indexOf(chain.table)}:${chain.table.name}/${chain.name}`;
  const texts = new Map<DumpServicePort, string>();
  const textOf = (service: DumpServicePort): string => {
    let text = texts.get(service);
    if (text === undefined) {
      text = stable(service);
      texts.set(service, text);
    }
    return text;
  };
  const services = sorted(analysis.services.map(textOf));
  const ids = new Map(services.map((text, i) => [text, `service#${i}`]));
  // A service port the maps refer to but the list does not hold is written out in full, so it cannot pass unseen.
  const ref = (service: DumpServicePort): string => ids.get(textOf(service)) ?? `unlisted ${textOf(service)}`;
  const factTexts = new Map<EndpointChainFacts, string>();
  const factsText = (facts: EndpointChainFacts): string => {
    let text = factTexts.get(facts);
    if (text === undefined) {
      text = stable({ ...facts, reachedBy: sorted(facts.reachedBy.map((reach) => stable({ ...reach, service: ref(reach.service) }))) });
      factTexts.set(facts, text);
    }
    return text;
  };
  return {
    services,
    serviceByChain: sorted([...analysis.serviceByChain].map(([chain, service]) => `${chainKey(chain)} -> ${ref(service)}`)),
    endpointsByChain: sorted([...analysis.endpointsByChain].map(([chain, facts]) => `${chainKey(chain)} -> ${factsText(facts)}`)),
    tables: analysis.tables.map((table) => `${dump.tables.indexOf(table)}:${table.name}`),
    addresses: sorted(
      [...analysis.addresses].map(
        ([address, facts]) =>
          `${address} -> ${stable(
            sorted(
              facts.map((fact) =>
                stable({
                  role: fact.role,
                  service: fact.service && ref(fact.service),
                  endpoint: fact.endpoint && factsText(fact.endpoint),
                }),
              ),
            ),
          )}`,
      ),
    ),
    dispatchByLine: sorted([...analysis.dispatchByLine].map(([line, service]) => `${line} -> ${ref(service)}`)),
    endpointRuleByLine: sorted(
      [...analysis.endpointRuleByLine].map(
        ([line, facts]) =>
          `${line} -> ${stable({
            service: ref(facts.service),
            endpoint: facts.endpoint,
            local: facts.local,
            probability: facts.probability,
            share: facts.share,
            reaching: facts.reaching,
            affinity: facts.affinity,
          })}`,
      ),
    ),
    diagnostics: sorted(analysis.diagnostics.map(stable)),
    hasKubeProxy: analysis.hasKubeProxy,
  };
}

export function assertSameAnalysis(
  actual: KubeAnalysis,
  actualDump: Dump,
  expected: KubeAnalysis,
  expectedDump: Dump,
  context: string,
): void {
  const a = canonical(actual, actualDump);
  const e = canonical(expected, expectedDump);
  for (const field of Object.keys(e)) {
    assert.deepStrictEqual(a[field], e[field], `${context}: ${field} differs`);
  }
  assert.deepStrictEqual(Object.keys(a).sort(), Object.keys(e).sort());
  // Every field of the interface is covered above.
  assert.deepStrictEqual(Object.keys(expected).sort(), Object.keys(e).sort());
}
