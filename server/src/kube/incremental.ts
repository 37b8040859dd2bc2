// Brings a kube-proxy analysis up to date after rule-local edits (the parser re-read some rule lines in place,
// inserted or removed rule lines, or re-read an `-L` chain's rows, some of which may have left it or joined it) and
// edits that made, dropped, moved or renamed endpoint and service chains (a declaration retyped, a rule's chain name
// typed: see `ChainChanges`), by analysing again only what those rules and chains can change, so that a keystroke in a
// 20,000-service dump costs milliseconds instead of the seconds of a whole `analyzeKube`. An edit that adds or
// removes lines first moves the analysis's line numbers (`shiftKubeAnalysis`, one pass): blank lines need nothing
// else.
//
// What a fact of the analysis depends on (read off analysis.ts):
//   - a service port (the chain group KUBE-SVC/SVL/EXT/FW/XLB-<hash>, per table generation) on its own chains'
//     rules, on the endpoint chains they jump to, and on the dispatch rules (KUBE-SERVICES, KUBE-NODEPORTS …)
//     that jump to its chains or name it in a comment;
//   - an endpoint chain (KUBE-SEP) on its own rules and on every service port whose chains jump to it;
//   - a dispatch rule that only names a service port in a comment is routed to a port by the settled names of
//     all ports (first one wins), so it depends on every port's identity.
// So the affected set is closed over "a port and the endpoints it jumps to, an endpoint and the ports that jump
// to it", starting from the edited lines (with the rules they held before the edit, for the jumps that were
// removed). A small dump of just those chains, and the dispatch rules that concern them, goes through
// `analyzeKube` unchanged, and its facts replace the old ones in every map of the previous analysis.
//
// The splice is exact when the routing of comment-only dispatch rules cannot change but for the edited ones: every
// affected port keeps the name and protocol it had. An edited one that keeps naming the same port stays with it
// (analysed again, chains or not); one that names another port now (renamed, typed, pasted) is analysed with the
// port it had and every port of the name it gives now, among which the analysis of the scope routes it. Named ports
// may be made or gone by an edit (a "has no endpoints" rule deleted, pasted or renamed; a service chain's `-L`
// header retyped) when nothing outside the scope could be routed otherwise for them (`namedPortReason`). Service
// chains made or moved change the order of the ports, and so which of two ports of one name comes first: then no port
// outside the scope may have the name of one inside it. Otherwise (and for a closure too large to be worth it) the
// caller runs the whole analysis; `reason` says why.
import { chainOrder } from '../model/index';
import type { Chain, Dump, Rule, Table } from '../model/types';
import { analyzeKube, DISPATCH_KINDS } from './analysis';
import type { KubeAnalysis } from './analysis';
import { chainHash, SERVICE_CHAIN_PREFIXES, servicePortName } from './chainNames';
import { chainKind, hashSuffix, isServiceChainKind } from './chainKinds';
import { parseKubeComment } from './comments';
import type { CommentIdentity } from './comments';
import { dispatchMatch, ruleComment } from './ruleText';
import type { DumpEndpoint, DumpServicePort } from './types';
import type { LineShift } from '../parse/incremental';

/**
 * A rule line removed since the analysis was computed: the rule the analysis read there, and the service port
 * its line dispatched to (`dispatchByLine`), if any.
 */
export interface RemovedRule {
  rule: Rule;
  service?: DumpServicePort;
}

/**
 * Chains declared, made, dropped, moved or renamed since the analysis was computed (a declaration edited, see
 * parse/redeclare.ts; a rule's chain name edited, see `editLines`), each with the name it had then, and the lines of
 * the declarations edited (what the analysis said about a chain declared there goes with it).
 */
export interface ChainChanges {
  chains: ReadonlyMap<Chain, string>;
  lines: ReadonlySet<number>;
}

const NO_CHAIN_CHANGES: ChainChanges = { chains: new Map(), lines: new Set() };

/** The analysis after the edit, and how much of it was analysed again; or why it could not be done this way. */
export type KubeUpdate = { analysis: KubeAnalysis; services: number; endpoints: number } | { reason: string };

/** Past this many chains to analyse again, a whole analysis is about as cheap and surely right. */
const MAX_AFFECTED_CHAINS = 5_000;

/** Past this many named service ports made by one update, the analysis is whole (see `namedPortReason`). */
const MAX_NAMED_MADE = 16;

/**
 * The analysis of `dump` after the rules of some lines were re-read in place (`patchRuleLines`), derived from
 * `previous`, the analysis of the same model before those edits. `oldRules` holds, for every line edited since
 * `previous` was computed, the Rule object it had then (undefined for a rule line added since; a line that holds
 * no rule any more, an `-L` row that left its chain, counts as that rule removed),
 * `removedRules` the rule lines removed since (the line numbers of `previous` were moved with `shiftKubeAnalysis`
 * at each edit that added or removed lines), and `chainChanges` the chains made, dropped, moved or renamed since.
 * `previous` is consumed: its maps are updated in place
 * and belong to the result (the document it came from must not be used any more), unless a reason is returned,
 * in which case it is untouched.
 */
export function updateKubeAnalysis(
  dump: Dump,
  previous: KubeAnalysis,
  oldRules: ReadonlyMap<number, Rule | undefined>,
  removedRules: readonly RemovedRule[] = [],
  chainChanges: ChainChanges = NO_CHAIN_CHANGES,
): KubeUpdate {
  const scope = new AffectedScope(dump);
  const chainReason = addChangedChains(scope, previous, chainChanges.chains);
  if (chainReason !== undefined) {
    return { reason: chainReason };
  }
  const editedDispatchLines: number[] = [];
  /** Whether an edited comment-only dispatch rule names another port now (perhaps one of its own, made by the edit). */
  let namesAnotherPort = false;
  let byName: Map<string, DumpServicePort[]> | undefined;
  /**
   * The previous analysis's ports of a service port's name (`portKey`), in any protocol (indexed when first asked: a
   * block edit asks often).
   */
  const portsOf = (key: string): readonly DumpServicePort[] => {
    if (byName === undefined) {
      byName = new Map();
      for (const port of previous.services) {
        if (port.namespace !== undefined && port.name !== undefined && port.port !== undefined) {
          const portsNamed = byName.get(portKey(port.namespace, port.name, port.port));
          if (portsNamed === undefined) {
            byName.set(portKey(port.namespace, port.name, port.port), [port]);
          } else {
            portsNamed.push(port);
          }
        }
      }
    }
    return byName.get(key) ?? [];
  };
  let dispatchChains: Chain[] | undefined;
  /** The dispatch chains of the dump (found when first asked: each port without chains made is checked against them). */
  const dispatchChainsOf = (): readonly Chain[] =>
    (dispatchChains ??= dump.tables.flatMap((table) => [...table.chains.values()].filter((chain) => DISPATCH_KINDS.has(chainKind(chain.name)))));
  // Lines whose rule is gone while the line stays: what the analysis keyed by them goes too.
  const vacatedLines: number[] = [];
  const removals = [...removedRules];
  for (const [line, oldRule] of oldRules) {
    const rule = dump.lineOwners[line];
    if (oldRule !== undefined && (rule === undefined || !('bodyStart' in rule))) {
      removals.push({ rule: oldRule, service: previous.dispatchByLine.get(line) });
      vacatedLines.push(line);
    }
  }
  for (const removed of removals) {
    const rule = removed.rule;
    const kind = chainKind(rule.chain.name);
    if (isServiceChainKind(kind)) {
      scope.addEndpointTargets(rule, scope.addGroupOf(rule.chain));
    } else if (kind === 'endpoint') {
      scope.addEndpoint(rule.chain);
    } else if (DISPATCH_KINDS.has(kind)) {
      const role = scope.dispatchRole(rule);
      if (role.jumpsTo !== undefined) {
        scope.addGroup(role.jumpsTo.generation, role.jumpsTo.suffix);
      }
      if (removed.service !== undefined) {
        scope.addNamedService(removed.service, rule.table);
      } else if (role.names !== undefined) {
        return { reason: `a removed ${rule.chain.name} rule named a service port the analysis did not give it to` };
      }
    }
  }
  for (const [line, oldRule] of oldRules) {
    const rule = dump.lineOwners[line];
    if (rule === undefined || !('bodyStart' in rule)) {
      continue; // a removed rule (above), or a rule added since and gone again: the analysis never read it
    }
    if (oldRule !== undefined && rule.chain !== oldRule.chain) {
      return { reason: `line ${line + 1} is no longer a rule of chain ${oldRule.chain.name}` };
    }
    const kind = chainKind(rule.chain.name);
    if (isServiceChainKind(kind)) {
      // With the endpoint it jumped to before the edit, which loses a caller.
      const group = scope.addGroupOf(rule.chain);
      if (oldRule !== undefined) {
        scope.addEndpointTargets(oldRule, group);
      }
    } else if (kind === 'endpoint') {
      scope.addEndpoint(rule.chain);
    } else if (DISPATCH_KINDS.has(kind)) {
      // An added rule had no role before.
      const before = oldRule === undefined ? {} : scope.dispatchRole(oldRule);
      const after = scope.dispatchRole(rule);
      for (const role of [before, after]) {
        if (role.jumpsTo !== undefined) {
          scope.addGroup(role.jumpsTo.generation, role.jumpsTo.suffix);
        }
      }
      if (before.names !== undefined || after.names !== undefined) {
        // A rule that names a service port without jumping to its chains belongs to the first port of that name
        // and protocol (or to a port of its own, without chains): the port it had is analysed again, and when it
        // names another port now, every port of that name too (any protocol), among which the analysis of the scope
        // finds it (or makes it: a port without chains, which the checks after that analysis take only if nothing
        // else could be routed to it).
        const service = previous.dispatchByLine.get(line);
        if (service !== undefined) {
          scope.addNamedService(service, rule.table);
        }
        if (after.identity !== undefined && after.names !== before.names) {
          namesAnotherPort = true;
          for (const other of portsOf(portKey(after.identity.namespace, after.identity.name, after.identity.port))) {
            scope.addNamedService(other, rule.table);
          }
          // With no port of that name, the rule joins the chain group its chains' hash names, if the dump has one.
          scope.addGroupNamedBy(after.identity, dispatchMatch(rule).protocol, rule.table);
        }
      }
      editedDispatchLines.push(line);
    }
    // Rules of any other chain are not read by the analysis.
  }
  scope.close();
  if (scope.size > MAX_AFFECTED_CHAINS) {
    return { reason: `the edit reaches ${scope.size} chains` };
  }
  if (scope.groups.size === 0 && scope.endpoints.size === 0 && scope.chainless.size === 0 && !namesAnotherPort) {
    return { analysis: { ...previous }, services: 0, endpoints: 0 };
  }

  // The previous facts of the affected service ports: their service objects, and the dispatch rules they had.
  const oldServices = new Set<DumpServicePort>(scope.droppedServiceChains.values());
  /** Service chains made since: their port is new, or the one of the other chains of their group. */
  const madeChains = new Set<Chain>();
  /** Dispatch rules that jump to a service chain made since: they belonged to another port, or to none. */
  const jumpsToMade: Rule[] = [];
  for (const chains of scope.groups.values()) {
    for (const chain of chains) {
      const service = previous.serviceByChain.get(chain);
      if (chainChanges.chains.has(chain) && (service === undefined || scope.droppedServiceChains.has(chain))) {
        for (const rule of chain.referencedBy) {
          if (DISPATCH_KINDS.has(chainKind(rule.chain.name))) {
            jumpsToMade.push(rule);
          }
        }
        madeChains.add(chain);
      } else if (service !== undefined) {
        oldServices.add(service);
      } else {
        return { reason: `the previous analysis has no service port for ${chain.name}` };
      }
    }
  }
  for (const service of scope.chainless) {
    oldServices.add(service);
  }
  const dispatchLines = new Set<number>(editedDispatchLines);
  for (const service of oldServices) {
    for (const span of service.dispatchRules) {
      dispatchLines.add(span.line);
    }
  }
  for (const rule of jumpsToMade) {
    // A chain made under the name a dispatch rule jumps to (a service chain's `-L` header retyped back) takes the rule
    // from the port it was routed to by its comment, which must be analysed again with it; or from none.
    const service = previous.dispatchByLine.get(rule.line);
    if (service !== undefined && !oldServices.has(service)) {
      return { reason: `dispatch rules jump to ${rule.targetName}, made since, from a port the edit does not reach` };
    }
    dispatchLines.add(rule.line);
  }

  const sub = analyzeKube(scope.subDump(dispatchLines), true);

  // Each new service port must be one of the affected chain groups, under the name it had.
  const newByOld = new Map<DumpServicePort, DumpServicePort>();
  const oldByNew = new Map<DumpServicePort, DumpServicePort>();
  for (const [chain, service] of sub.serviceByChain) {
    const old = previous.serviceByChain.get(chain);
    if (madeChains.has(chain)) {
      continue; // a port of its own, or its group's (below)
    }
    if (old === undefined || (newByOld.get(old) ?? service) !== service || (oldByNew.get(service) ?? old) !== old) {
      return { reason: `the service ports of ${chain.name} do not match the previous analysis` };
    }
    newByOld.set(old, service);
    oldByNew.set(service, old);
  }
  // A port without chains is known by the rule that created it, the first that names it, and by its name (that rule
  // may name another port now: then the port it had is gone, and one of its name may be made at its next rule).
  const chainless = new Map([...scope.chainless].map((service) => [service.dispatchRules[0]?.line, service]));
  for (const service of sub.services) {
    const old = service.chains.length === 0 ? chainless.get(service.dispatchRules[0]?.line) : undefined;
    if (old !== undefined && !newByOld.has(old) && sameName(old, service)) {
      newByOld.set(old, service);
    }
  }
  // Ports made (chain groups of chains made, ports without chains of comment-only rules) and gone.
  const mapped = new Set(newByOld.values());
  const added = sub.services.filter((service) => !mapped.has(service));
  const removed = [...oldServices].filter((old) => !newByOld.has(old));
  const dropped = new Set(scope.droppedServiceChains.values());
  // Ports made or gone with a name (a rule's comment) or a comment-only dispatch rule could change where such rules
  // go, which is by name: see `namedPortReason`. Those without either (a chain group made of a chain without rules)
  // cannot.
  const named = (service: DumpServicePort): boolean =>
    service.dispatchRules.length > 0 || service.name !== undefined || service.portName !== undefined;
  if (added.filter(named).length > MAX_NAMED_MADE) {
    // Each is checked against every dispatch rule (a block of "has no endpoints" rules pasted makes hundreds).
    return { reason: `the edit makes more than ${MAX_NAMED_MADE} named service ports` };
  }
  for (const service of added) {
    // A port without chains, made by comment-only rules of the scope (a "has no endpoints" rule typed or pasted, the
    // port renamed in one's comment); a chain group made (a service chain's `-L` header retyped, a service chain's
    // rules given its name).
    const reason = named(service) ? namedPortReason(service, portsOf, dispatchChainsOf, oldServices, dispatchLines, true) : undefined;
    if (reason !== undefined) {
      return { reason };
    }
    // A chain group made takes the comment-only rules of a port without chains whose name and protocol hash to its
    // chains' names (`analyzeKube` keys such a port by that hash).
    const suffix = service.chains.length > 0 ? hashSuffix(service.chains[0].name) : undefined;
    const hashedHere =
      suffix === undefined
        ? undefined
        : previous.services.find((other) => other.chains.length === 0 && !oldServices.has(other) && nameHash(other) === suffix);
    if (hashedHere !== undefined) {
      return { reason: `the edit makes the chains of ${hashedHere.label}, a port without chains the edit does not reach` };
    }
    // A port left without chains (the chain group of its name gone) whose name and protocol hash to the names of a
    // chain group: the analysis puts its comment-only rules in that group, which the scope may not hold.
    const first = service.chains.length === 0 ? firstDispatchRule(dump, service) : undefined;
    const hash = first === undefined ? undefined : nameHash(service);
    if (first !== undefined && hash !== undefined && scope.hasGroup(first.table, hash)) {
      return { reason: `the edit leaves ${service.label} without chains, and chains are named by its hash` };
    }
  }
  for (const old of removed) {
    if (old.chains.length > 0 && !dropped.has(old)) {
      // A port with chains that no chain group explains any more.
      return { reason: 'the edit changes which service ports exist' };
    }
    // A port without chains whose rules are gone or name another port now, or a chain group gone: analysed with the
    // scope, the rules that named it went where a fresh analysis sends them.
    const reason = named(old) ? namedPortReason(old, portsOf, dispatchChainsOf, oldServices, dispatchLines, false) : undefined;
    if (reason !== undefined) {
      return { reason };
    }
  }
  if (added.length + removed.length > 0 && previous.services.length + added.length - removed.length === 0) {
    return { reason: 'the edit leaves no service port' };
  }
  const places = new Map<DumpServicePort, number>();
  for (const [old, service] of newByOld) {
    if (!sameName(old, service)) {
      return { reason: `the edit renames service port ${old.label} (now ${service.label})` };
    }
    const place = previous.services.indexOf(old);
    if (place < 0) {
      return { reason: `the previous analysis does not list service port ${old.label}` };
    }
    places.set(old, place);
  }
  // Service chains made, moved, or renamed (from or to a service chain's name).
  const serviceChainsChanged = [...chainChanges.chains].some(
    ([chain, nameBefore]) => isServiceChainKind(chainKind(chain.name)) || isServiceChainKind(chainKind(nameBefore)),
  );
  if (serviceChainsChanged) {
    // Service chains made or moved may put a port of the scope before or after a port of the same name outside it: a
    // rule that names that port without jumping to its chains goes to the first of them.
    const namesake = [...newByOld.values(), ...added].find((service) => hasNamesakeOutside(service, portsOf, oldServices));
    if (namesake !== undefined) {
      return { reason: `service chains moved, and a port the edit does not reach is also named ${namesake.label}` };
    }
  }
  // Every fact of the affected ports and endpoints sits on one of their lines (chains, dispatch rules), and no
  // fact of another port or endpoint does.
  const ownLines = new Set<number>([...dispatchLines, ...vacatedLines, ...chainChanges.lines]);
  for (const chain of scope.chainsWithFacts()) {
    if (chain.declaration !== undefined) {
      ownLines.add(chain.declaration.line);
    }
    for (const rule of chain.rules) {
      ownLines.add(rule.line);
    }
  }
  for (const diagnostic of sub.diagnostics) {
    if (!ownLines.has(diagnostic.span.line)) {
      return { reason: `a diagnostic falls outside the affected chains (line ${diagnostic.span.line + 1})` };
    }
  }

  // Splice: nothing can fail from here on, so `previous` is only changed once the result is certain.
  const oldEndpointFacts = new Set([...scope.endpoints].map((chain) => previous.endpointsByChain.get(chain)));
  let services = previous.services;
  for (const [old, service] of newByOld) {
    services[places.get(old)!] = service; // in place: a copy of 20,000 entries per keystroke is not needed
  }
  for (const chain of scope.droppedServiceChains.keys()) {
    previous.serviceByChain.delete(chain); // (a renamed one is set again below)
  }
  for (const [chain, service] of sub.serviceByChain) {
    previous.serviceByChain.set(chain, service);
  }
  if (serviceChainsChanged || added.length + removed.length > 0) {
    // Ports made or gone, service chains made, gone or moved: the ports in the order the analysis makes them.
    const gone = new Set(removed);
    services = services.filter((service) => !gone.has(service)).concat(added);
    if (serviceChainsChanged) {
      services = inAnalysisOrder(dump, previous.serviceByChain, services);
    }
    services = chainlessInReadingOrder(dump, services);
  }
  for (const chain of scope.endpoints) {
    const facts = sub.endpointsByChain.get(chain);
    if (facts !== undefined) {
      previous.endpointsByChain.set(chain, facts);
    } else {
      previous.endpointsByChain.delete(chain);
    }
  }
  const addresses = new Set<string>();
  for (const service of oldServices) {
    for (const ip of [...service.clusterIPs, ...service.externalIPs, ...service.loadBalancerIPs]) {
      addresses.add(ip);
    }
  }
  for (const facts of oldEndpointFacts) {
    if (facts?.ip !== undefined) {
      addresses.add(facts.ip);
    }
  }
  for (const address of addresses) {
    const facts = previous.addresses
      .get(address)
      ?.filter(
        (fact) =>
          (fact.service === undefined || !oldServices.has(fact.service)) &&
          (fact.endpoint === undefined || !oldEndpointFacts.has(fact.endpoint)),
      );
    if (facts === undefined || facts.length === 0) {
      previous.addresses.delete(address);
    } else {
      previous.addresses.set(address, facts);
    }
  }
  for (const [address, facts] of sub.addresses) {
    const kept = previous.addresses.get(address);
    previous.addresses.set(address, kept === undefined ? facts : kept.concat(facts));
  }
  for (const line of [...dispatchLines, ...vacatedLines]) {
    previous.dispatchByLine.delete(line);
  }
  for (const [line, service] of sub.dispatchByLine) {
    previous.dispatchByLine.set(line, service);
  }
  for (const chain of scope.chainsWithFacts()) {
    for (const rule of chain.rules) {
      previous.endpointRuleByLine.delete(rule.line);
    }
  }
  for (const line of vacatedLines) {
    previous.endpointRuleByLine.delete(line);
  }
  for (const [line, facts] of sub.endpointRuleByLine) {
    previous.endpointRuleByLine.set(line, facts);
  }
  const diagnostics = previous.diagnostics.filter((diagnostic) => !ownLines.has(diagnostic.span.line));
  for (const diagnostic of sub.diagnostics) {
    diagnostics.push(diagnostic);
  }
  return { analysis: { ...previous, services, diagnostics }, services: newByOld.size + added.length, endpoints: scope.endpoints.size };
}

/**
 * `services` in the order `analyzeKube` makes them: a chain group's port when it meets the group's first chain (tables
 * in order, each table's chains in order), then the ports without chains, which dispatch rules named, as they were.
 */
function inAnalysisOrder(dump: Dump, serviceByChain: ReadonlyMap<Chain, DumpServicePort>, services: readonly DumpServicePort[]): DumpServicePort[] {
  const listed = new Set(services);
  const ordered: DumpServicePort[] = [];
  const met = new Set<DumpServicePort>();
  for (const table of dump.tables) {
    for (const chain of table.chains.values()) {
      const service = serviceByChain.get(chain);
      if (service !== undefined && listed.has(service) && !met.has(service)) {
        met.add(service);
        ordered.push(service);
      }
    }
  }
  for (const service of services) {
    if (!met.has(service)) {
      ordered.push(service);
    }
  }
  return ordered;
}

/** The key of a service port's name, `namespace/name:port` ('' for an unnamed port, in either spelling). */
function portKey(namespace: string, name: string, port: string): string {
  return `${namespace}/${name}:${port}`;
}

/**
 * `services` with the ports without chains after the others in the order the analysis makes them: each at the first
 * comment-only dispatch rule that names it, dispatch chains read in their table's order (as `subDump` orders them),
 * tables in order. The others keep their order.
 */
function chainlessInReadingOrder(dump: Dump, services: readonly DumpServicePort[]): DumpServicePort[] {
  const withChains = services.filter((service) => service.chains.length > 0);
  const place = (rule: Rule | undefined): [number, number, number] =>
    rule === undefined ? [Number.POSITIVE_INFINITY, 0, 0] : [dump.tables.indexOf(rule.table), chainOrder(rule.table).get(rule.chain)!, rule.position];
  const ordered = services
    .filter((service) => service.chains.length === 0)
    .map((service) => ({ service, place: place(firstDispatchRule(dump, service)) }))
    .sort((a, b) => a.place[0] - b.place[0] || a.place[1] - b.place[1] || a.place[2] - b.place[2]);
  return withChains.concat(ordered.map((entry) => entry.service));
}

/** The rule of `dump` on the line of `service`'s first dispatch rule, if it is one. */
function firstDispatchRule(dump: Dump, service: DumpServicePort): Rule | undefined {
  const owner = service.dispatchRules.length === 0 ? undefined : dump.lineOwners[service.dispatchRules[0].line];
  return owner !== undefined && 'bodyStart' in owner ? owner : undefined;
}

/** The hash kube-proxy names a port's chains by (`analyzeKube` keys a port without chains by it), when it is named. */
function nameHash(service: DumpServicePort): string | undefined {
  return service.portName !== undefined && service.protocol !== undefined ? chainHash(service.portName + service.protocol) : undefined;
}

/** Whether a port of the previous analysis outside the scope (`oldServices`) has the name of `port` (any protocol). */
function hasNamesakeOutside(
  port: DumpServicePort,
  portsOf: (key: string) => readonly DumpServicePort[],
  oldServices: ReadonlySet<DumpServicePort>,
): boolean {
  const { namespace, name } = port;
  if (namespace === undefined || name === undefined || port.port === undefined) {
    return false;
  }
  return portsOf(portKey(namespace, name, port.port)).some((other) => !oldServices.has(other));
}

/**
 * Why a named service port made (`made`) or gone by an edit (a port without chains, a chain group) may not be what a
 * fresh analysis says, or undefined. Comment-only rules go to the first port of their service port's name
 * (`ns/name:port`, any protocol for a health check rule), so every port of that name must be in the scope
 * (`oldServices`), where the analysis of the scope could choose it; and a port made must be named by no rule outside
 * the scope's dispatch lines (one that found no port before, or another, a health check rule without a protocol,
 * could find it now). Ports of other names never take such rules. A port without a name, with dispatch rules (the
 * edit left them to no other port), cannot be checked so.
 */
function namedPortReason(
  port: DumpServicePort,
  portsOf: (key: string) => readonly DumpServicePort[],
  dispatchChainsOf: () => readonly Chain[],
  oldServices: ReadonlySet<DumpServicePort>,
  dispatchLines: ReadonlySet<number>,
  made: boolean,
): string | undefined {
  const { namespace, name } = port;
  if (namespace === undefined || name === undefined || port.port === undefined) {
    return 'the edit changes which service ports exist';
  }
  if (hasNamesakeOutside(port, portsOf, oldServices)) {
    return `the edit makes or removes service port ${port.portName}, which has a namesake`;
  }
  if (!made) {
    return undefined;
  }
  const needle = `${namespace}/${name}`;
  for (const chain of dispatchChainsOf()) {
    for (const rule of chain.rules) {
      if (rule.text.includes(needle) && !dispatchLines.has(rule.line)) {
        const comment = ruleComment(rule);
        const identity = comment === undefined ? undefined : parseKubeComment(comment);
        if (identity?.namespace === namespace && identity.name === name && identity.port === port.port) {
          return `line ${rule.line + 1} also names ${port.portName}, a port made by the edit`;
        }
      }
    }
  }
  return undefined;
}

/**
 * Puts the changed chains in `scope`, or says why the analysis must be whole. An endpoint chain (KUBE-SEP) made or
 * moved is analysed again with the service ports that jump to it now; one that is gone (or renamed) leaves the ports
 * that jumped to it (its previous facts name them) to be analysed again. A service port's chain (KUBE-SVC, SVL, EXT,
 * FW, XLB) made or moved is analysed again with its chain group (a chain made in a group of its own is a new service
 * port, which `updateKubeAnalysis` takes when nothing outside the edit can be routed otherwise for its name, and when
 * the dispatch rules that jump to it come from ports the edit reaches); one that is gone or renamed, with the group it
 * left (which may be gone too: its port, if named, is checked the same way) and the endpoints that group jumped to.
 * A dispatch chain made, dropped or renamed changes what dispatches to which port: the analysis is whole then. Other
 * chains are not read by the analysis.
 */
function addChangedChains(scope: AffectedScope, previous: KubeAnalysis, chains: ReadonlyMap<Chain, string>): string | undefined {
  if (chains.size > 0 && previous.services.length === 0) {
    return 'the dump had no service port (whether it has kube-proxy rules may change)';
  }
  for (const [chain, nameBefore] of chains) {
    const kindBefore = chainKind(nameBefore);
    const kind = chainKind(chain.name);
    if (DISPATCH_KINDS.has(kindBefore) || DISPATCH_KINDS.has(kind)) {
      return `dispatch chain ${chain.name} was declared, made, dropped or renamed`;
    }
    const service = previous.serviceByChain.get(chain);
    if (isServiceChainKind(kindBefore) || isServiceChainKind(kind) || service !== undefined) {
      const present = chain.table.chains.get(chain.name) === chain;
      if (service !== undefined && (!present || nameBefore !== chain.name)) {
        // Gone, or renamed (an `-L` header retyped): it leaves its group, and a renamed one is made in another.
        scope.droppedServiceChains.set(chain, service);
        scope.addNamedService(service, chain.table);
        for (const endpoint of [...service.endpoints, ...service.localEndpoints]) {
          const target = chain.table.chains.get(endpoint.chain.name);
          if (target !== undefined && chainKind(target.name) === 'endpoint') {
            scope.addEndpoint(target); // reached through the chain, perhaps, which no longer does
          }
        }
      }
      if (present && isServiceChainKind(kind)) {
        scope.addGroupOf(chain); // made, moved or renamed
      } else if (present && kind === 'endpoint') {
        scope.addEndpoint(chain); // renamed to an endpoint chain's name
      }
      continue;
    }
    const facts = previous.endpointsByChain.get(chain);
    for (const reached of facts?.reachedBy ?? []) {
      scope.addNamedService(reached.service, chain.table);
    }
    if (facts !== undefined || chainKind(chain.name) === 'endpoint') {
      scope.addEndpoint(chain);
    }
  }
  return undefined;
}

/**
 * Moves every line number `analysis` holds by `shift` (an edit that added or removed whole lines): the spans of
 * its service ports, endpoints, endpoint facts and diagnostics, and the keys of its by-line maps. What sat on a
 * removed line is dropped from the maps and diagnostics, and its spans get line -1 (or, when no line moves, keep
 * theirs): they belong to service ports and endpoints that the removed rules make `updateKubeAnalysis` analyse
 * again. Returns the service ports the removed lines dispatched to, by their line before the edit (for
 * `RemovedRule`).
 */
export function shiftKubeAnalysis(analysis: KubeAnalysis, shift: LineShift): Map<number, DumpServicePort> {
  const removedDispatch = new Map<number, DumpServicePort>();
  shiftKeys(analysis.dispatchByLine, shift, removedDispatch);
  shiftKeys(analysis.endpointRuleByLine, shift, new Map());
  if (shift.removed > 0) {
    analysis.diagnostics = analysis.diagnostics.filter((diagnostic) => !shift.isRemoved(diagnostic.span.line));
  }
  if (shift.delta === 0) {
    // No line moves (a line retyped: a rule commented out, its chain name edited). The spans on the lines replaced
    // belong to the service ports and endpoints that the rules removed there make `updateKubeAnalysis` analyse again,
    // which replaces them: no walk of the 100,000 endpoints of a 20,000-service dump to mark them.
    return removedDispatch;
  }
  shift.moveSpans((each) => {
    const endpoint = (e: DumpEndpoint): void => {
      each(e.chain.span);
      each(e.jumpRule);
      each(e.dnatRule);
      each(e.masqueradeRule);
    };
    // Indexed loops, not for…of: this runs once per edit, mostly before V8 optimises it, and an unoptimised for…of
    // allocates an iterator result per element (2 MB per edit at 20,000 services).
    const services = analysis.services;
    for (let i = 0; i < services.length; i++) {
      const service = services[i];
      const dispatchRules = service.dispatchRules;
      for (let j = 0; j < dispatchRules.length; j++) {
        each(dispatchRules[j]);
      }
      const chains = service.chains;
      for (let j = 0; j < chains.length; j++) {
        each(chains[j].span);
      }
      service.endpoints.forEach(endpoint);
      service.localEndpoints.forEach(endpoint);
    }
    // The endpoints that endpoint facts are reached by, and that endpoint rules hold, are those of the service
    // ports (the unit test of this function checks it on every dump it edits): 100,000 of them in a 20,000-service
    // dump, not walked three times.
    analysis.endpointsByChain.forEach((facts) => {
      each(facts.chain.span);
      each(facts.dnatRule);
      each(facts.masqueradeRule);
    });
    const diagnostics = analysis.diagnostics;
    for (let i = 0; i < diagnostics.length; i++) {
      each(diagnostics[i].span);
    }
  });
  return removedDispatch;
}

/**
 * Moves the line keys of `map` by `shift`, in place; the entries of removed lines go to `removed`. A new map
 * would be 8 MB at 20,000 services per line added or removed; in place, a key moved onto another key of the map
 * takes its entry over (rules of a chain are on consecutive lines), so only the first and last lines of each
 * run of keys add or delete an entry. The order of the map's entries changes (no one reads it).
 */
function shiftKeys<T>(map: Map<number, T>, shift: LineShift, removed: Map<number, T>): void {
  const { start, inserted, delta } = shift;
  if (delta === 0) {
    for (let line = start; line < start + shift.removed; line++) {
      const value = map.get(line);
      if (value !== undefined) {
        removed.set(line, value);
        map.delete(line);
      }
    }
    return;
  }
  let count = 0;
  map.forEach((_, line) => {
    if (line >= start) {
      count++;
    }
  });
  const lines = new Int32Array(count);
  const values = new Array<T>(count);
  let i = 0;
  map.forEach((value, line) => {
    if (line >= start) {
      lines[i] = line;
      values[i++] = value;
    }
  });
  // Whether an old key stays a key: a line moves onto it (the line `delta` above it had one, below the inserted lines).
  const stays = new Uint8Array(count);
  for (i = 0; i < count; i++) {
    stays[i] = lines[i] >= start + inserted && map.has(lines[i] - delta) ? 1 : 0;
  }
  for (i = 0; i < count; i++) {
    if (shift.isRemoved(lines[i])) {
      removed.set(lines[i], values[i]);
    } else {
      map.set(shift.line(lines[i]), values[i]);
    }
  }
  for (i = 0; i < count; i++) {
    if (stays[i] === 0) {
      map.delete(lines[i]);
    }
  }
}

/** Whether two analyses of a service port give it the same name and protocol (what comment-only rules are routed by). */
function sameName(a: DumpServicePort, b: DumpServicePort): boolean {
  return a.portName === b.portName && a.protocol === b.protocol && a.namespace === b.namespace && a.name === b.name && a.port === b.port;
}

/** The part of a dump an edit can change the analysis of: chain groups of service ports, endpoint chains. */
class AffectedScope {
  /** `generation#suffix` (the analysis's group key) → the group's chains. */
  readonly groups = new Map<string, Chain[]>();
  readonly endpoints = new Set<Chain>();
  /** Service ports without chains (known from comment-only dispatch rules): re-analysed from those rules alone. */
  readonly chainless = new Set<DumpServicePort>();
  /** Service chains gone or renamed since the analysis (declarations edited), and the ports they were of. */
  readonly droppedServiceChains = new Map<Chain, DumpServicePort>();
  /** Which occurrence of its name each table is: IPv4 and IPv6 dumps pasted together repeat `nat`. */
  private readonly generations = new Map<Table, number>();
  /** Groups and endpoints added but not yet followed to what they reach and what reaches them. */
  private readonly pending: (Chain[] | Chain)[] = [];
  size = 0;

  constructor(private readonly dump: Dump) {
    const seen = new Map<string, number>();
    for (const table of dump.tables) {
      const occurrence = seen.get(table.name) ?? 0;
      seen.set(table.name, occurrence + 1);
      this.generations.set(table, occurrence);
    }
  }

  /**
   * What the analysis reads a dispatch rule as: a jump to a service port's chains (when its target is a chain of a
   * group the dump has), or else the service port its comment names (with the rule's protocol, which the
   * analysis looks the port up by), or nothing.
   */
  dispatchRole(rule: Rule): { jumpsTo?: { generation: number; suffix: string }; names?: string; identity?: CommentIdentity } {
    const jumpsTo = this.targetGroup(rule);
    if (jumpsTo !== undefined) {
      return { jumpsTo };
    }
    const comment = ruleComment(rule);
    const identity = comment === undefined ? undefined : parseKubeComment(comment);
    if (identity === undefined) {
      return {};
    }
    const { namespace, name, port, legacyUnnamed, role } = identity;
    return { names: JSON.stringify([namespace, name, port, legacyUnnamed, role, dispatchMatch(rule).protocol]), identity };
  }

  /** The service port a comment-only dispatch rule of `table` belongs to: its chain group, or the port alone. */
  addNamedService(service: DumpServicePort, table: Table): void {
    const chain = service.chains[0];
    if (chain === undefined) {
      this.chainless.add(service);
    } else {
      this.addGroup(this.generationOf(table), hashSuffix(chain.name));
    }
  }

  /**
   * The chain group a comment-only rule naming `identity` (with `protocol`) joins when no port has that name: the one
   * whose chains' names end in the hash of that service port name and protocol (as `analyzeKube` keys it), if the
   * dump has such chains (a nameless group: its rules have no comments).
   */
  addGroupNamedBy(identity: CommentIdentity, protocol: string | undefined, table: Table): void {
    if (protocol === undefined) {
      return;
    }
    const generation = this.generationOf(table);
    const suffix = chainHash(servicePortName(identity.namespace, identity.name, identity.port, identity.legacyUnnamed) + protocol);
    if (this.groupChains(generation, suffix).length > 0) {
      this.addGroup(generation, suffix);
    }
  }

  /** Whether the dump has service chains in `table`'s generation whose names end in `suffix`. */
  hasGroup(table: Table, suffix: string): boolean {
    return this.groupChains(this.generationOf(table), suffix).length > 0;
  }

  /** The service port a dispatch rule jumps to, when its target is a chain of a group the dump has. */
  targetGroup(rule: Rule): { generation: number; suffix: string } | undefined {
    const target = rule.targetName;
    if (target === undefined || !isServiceChainKind(chainKind(target))) {
      return undefined;
    }
    const generation = this.generationOf(rule.table);
    const suffix = hashSuffix(target);
    return this.groupChains(generation, suffix).length > 0 ? { generation, suffix } : undefined;
  }

  /** Adds the group of a service chain; returns its chains. */
  addGroupOf(chain: Chain): Chain[] {
    return this.addGroup(this.generationOf(chain.table), hashSuffix(chain.name));
  }

  addGroup(generation: number, suffix: string): Chain[] {
    const key = `${generation}#${suffix}`;
    let chains = this.groups.get(key);
    if (chains === undefined) {
      chains = this.groupChains(generation, suffix);
      this.groups.set(key, chains);
      this.size += chains.length;
      this.pending.push(chains);
    }
    return chains;
  }

  addEndpoint(chain: Chain): void {
    if (!this.endpoints.has(chain)) {
      this.endpoints.add(chain);
      this.size++;
      this.pending.push(chain);
    }
  }

  /**
   * The endpoint chains a service chain's rule jumps to. The analysis looks a group's endpoints up by name in
   * the table of the group's first chain, so the name is looked up in every table the group has chains in.
   */
  addEndpointTargets(rule: Rule, group: readonly Chain[]): void {
    const target = rule.targetName;
    if (target === undefined || chainKind(target) !== 'endpoint') {
      return;
    }
    for (const table of new Set(group.map((chain) => chain.table))) {
      const chain = table.chains.get(target);
      if (chain !== undefined) {
        this.addEndpoint(chain);
      }
    }
  }

  /**
   * Closes the scope: every endpoint chain a group's rules jump to, and every group whose rules jump to an
   * endpoint chain (of that name, in any table of its generation, for the same lookup by name). Stops early
   * once the scope is too large to be worth it.
   */
  close(): void {
    for (let item = this.pending.pop(); item !== undefined && this.size <= MAX_AFFECTED_CHAINS; item = this.pending.pop()) {
      if (Array.isArray(item)) {
        for (const chain of item) {
          for (const rule of chain.rules) {
            this.addEndpointTargets(rule, item);
          }
        }
        continue;
      }
      const generation = this.generationOf(item.table);
      for (const table of this.dump.tables) {
        const named = this.generations.get(table) === generation ? table.chains.get(item.name) : undefined;
        for (const caller of named?.referencedBy ?? []) {
          if (isServiceChainKind(chainKind(caller.chain.name))) {
            this.addGroupOf(caller.chain);
          }
        }
      }
    }
  }

  private generationOf(table: Table): number {
    return this.generations.get(table) ?? 0;
  }

  *chains(): Iterable<Chain> {
    for (const chains of this.groups.values()) {
      yield* chains;
    }
    yield* this.endpoints;
  }

  /**
   * The chains whose lines hold the facts the update replaces: the scope's chains, and service chains renamed out of
   * their group (an `-L` header retyped to a name of no service chain: its rules no longer choose endpoints). Only
   * those the dump still has: a chain gone keeps the lines its rules had, which other rules may hold now (what sat on
   * its lines went with them, or is on `vacatedLines`).
   */
  *chainsWithFacts(): Iterable<Chain> {
    for (const chain of [...this.chains(), ...this.droppedServiceChains.keys()]) {
      if (chain.table.chains.get(chain.name) === chain) {
        yield chain;
      }
    }
  }

  /** The chains of group `suffix` in generation `generation`, in every table of that generation (as the analysis groups them). */
  private groupChains(generation: number, suffix: string): Chain[] {
    const chains: Chain[] = [];
    for (const table of this.dump.tables) {
      if (this.generations.get(table) !== generation) {
        continue;
      }
      for (const prefix of SERVICE_CHAIN_PREFIXES) {
        const chain = table.chains.get(prefix + suffix);
        if (chain !== undefined) {
          chains.push(chain);
        }
      }
    }
    return chains;
  }

  /**
   * A dump of the affected chains and the dispatch rules on `dispatchLines`, for `analyzeKube`. It keeps what the
   * analysis's results depend on: the tables in order (group keys count repeated table names), the chains of
   * each table in their order (the first identity, endpoint or IP found wins), the rules of each chain in order,
   * the line numbers (results are keyed by line) and the real Chain objects of the affected chains (results are
   * keyed by chain). Dispatch chains are views that hold only the given rules, placed in the copied table.
   */
  subDump(dispatchLines: ReadonlySet<number>): Dump {
    const tables: Table[] = this.dump.tables.map((table) => {
      const copy = Object.create(table) as Table;
      Object.defineProperty(copy, 'chains', { value: new Map<string, Chain>() });
      return copy;
    });
    const copyOf = new Map<Table, Table>(this.dump.tables.map((table, i) => [table, tables[i]]));
    /** The chains of each table for the copy: the model's chain (for its place in the table) and what goes in the copy. */
    const chosen = new Map<Table, [Chain, Chain][]>();
    const choose = (table: Table, chain: Chain, copy = chain): void => {
      const list = chosen.get(table);
      if (list === undefined) {
        chosen.set(table, [[chain, copy]]);
      } else {
        list.push([chain, copy]);
      }
    };
    for (const chain of this.chains()) {
      if (chain.table.chains.get(chain.name) === chain) {
        choose(chain.table, chain); // (not a chain that is gone: see addChangedChains)
      }
    }
    const dispatchRules = new Map<Chain, Rule[]>();
    for (const line of dispatchLines) {
      const rule = this.dump.lineOwners[line];
      if (rule === undefined || !('bodyStart' in rule) || !DISPATCH_KINDS.has(chainKind(rule.chain.name))) {
        continue; // (a line that dispatched before the edit and holds another chain's rule now: that chain is the scope's)
      }
      const rules = dispatchRules.get(rule.chain);
      if (rules === undefined) {
        dispatchRules.set(rule.chain, [rule]);
      } else {
        rules.push(rule);
      }
    }
    for (const [chain, rules] of dispatchRules) {
      rules.sort((a, b) => a.position - b.position);
      const table = copyOf.get(chain.table)!;
      // A view of the chain with only these rules: the model's chains may keep fields behind getters, which a
      // copy of own properties would lose.
      const view = Object.create(chain) as Chain;
      Object.defineProperty(view, 'table', { value: table });
      Object.defineProperty(view, 'rules', { value: rules });
      choose(chain.table, chain, view);
    }
    for (const [table, chains] of chosen) {
      const copy = copyOf.get(table)!;
      const order = chainOrder(table);
      chains.sort(([a], [b]) => order.get(a)! - order.get(b)!);
      for (const [, chain] of chains) {
        copy.chains.set(chain.name, chain);
      }
    }
    return { tables, lineOwners: this.dump.lineOwners, diagnostics: [], prompts: [], lineCount: this.dump.lineCount };
  }
}

