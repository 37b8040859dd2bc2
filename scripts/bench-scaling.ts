// `npm run bench:scaling`: is any request path quadratic in the dump's size? Measures, on generated kube-proxy
// dumps of 1k, 5k and 20k services, the CPU time of the paths that touch every service or every caller of a
// chain: the diagnostics the server publishes, references (the 200 most referenced chains, and KUBE-MARK-MASQ,
// the chain with the most callers), the `iptablesLens/services` answer (and the CLI's `services`), and the
// Services tree linked to a snapshot of the same cluster (what `services DUMP --snapshot FILE` and the view run).
// Prints per size each path's CPU time and time per service, and flags a path whose time per service grows by
// more than 1.5× from 5k to 20k services.
//
//   npx tsx scripts/bench-scaling.ts                       # 1k, 5k, 20k services, 3 runs each
//   npx tsx scripts/bench-scaling.ts --sizes 1000,5000 --runs 5
//
// Every figure is the minimum CPU time (process.cpuUsage) of several runs: other work on the machine inflates
// wall time and, less, CPU time; the minimum is the least disturbed run. All sizes are loaded first, into one
// heap, and each path's runs alternate between the sizes, so a burst of load elsewhere, or a bigger heap to
// collect, falls on every size alike rather than on the largest (measured one after the other, the 20k runs
// came out up to 2× slower per reference than the 5k ones for code that is one loop over the references). A path
// that takes under 200 ms is repeated within a run until it does, and divided. The kube-proxy analysis
// (`doc.kube`) runs once per document version whatever asks first; it is measured on its own ("kube analysis")
// and computed before the paths are timed, so the path figures are the paths' own cost with it subtracted.
//
// Paths that allocate one object per item (130,000 references of KUBE-MARK-MASQ, a Map of 130,000 chains at
// 20k services) cost more per item once what they build outgrows the CPU caches and V8's young generation,
// which a 5k-service answer fits in: their time per service grows by 1.3-1.8× from 5k to 20k from run to run
// though they do one step per item. The two baselines, which do nothing but that allocation, show how much.
//
// The snapshot is written from the generator's ground truth (`generate-dump.ts --format truth`): one Service per
// service, one EndpointSlice per service with every pod, and the pods, as `kubectl get
// svc,endpointslices,pods -A -o json` prints them. It is saved to .bench/snapshots/ so the CLI can be run by hand:
//   node server/out/cli.js services .bench/dumps/kube-20000-save.txt --snapshot .bench/snapshots/kube-20000-snapshot.json
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildServicesModel, chainIndexFromDump, dumpChainIndex } from '../client/src/cluster/servicesModel';
import type { DumpChainIndex, ModelOrigin, ServicesModel } from '../client/src/cluster/servicesModel';
import { parseSnapshotText } from '../client/src/cluster/snapshot';
import type { ClusterSnapshot } from '../client/src/cluster/snapshot';
import { formatServicesModel } from '../client/src/cluster/servicesCommand';
import { ContextNode } from '../client/src/tree/contextNode';
import type { ServicesTreeNode } from '../client/src/tree/treeNode';
import { diagnostics } from '../server/src/features/diagnostics';
import { DumpDocument } from '../server/src/features/document';
import { serviceCodeLenses, servicesOf } from '../server/src/features/kubeFeatures';
import { references } from '../server/src/features/references';
import type { Chain } from '../server/src/model/types';
import { generateKubeDump } from '../test/support/generateKubeDump';
import { kubectlSnapshot } from '../test/support/kubectlSnapshot';
import { BENCH_DIR, ensureDump } from './bench/dumps';

const USAGE = 'usage: bench-scaling.ts [--sizes 1000,5000,20000] [--runs 3]';
/** Per-service growth from the middle size to the largest that counts as not linear. */
const GROWTH_LIMIT = 1.5;
/**
 * A path shorter than this is repeated within a run until the run is this long: the timer's resolution, and a
 * collection that happens to fall in a short run, would otherwise decide the figure.
 */
const MIN_RUN_MS = 200;
/** A path faster than this at the largest size is not judged. */
const NEGLIGIBLE_MS = 1;

function parseOptions(argv: string[]): { sizes: number[]; runs: number } {
  const options = { sizes: [1000, 5000, 20000], runs: 3 };
  for (let i = 0; i < argv.length; i += 2) {
    const value = argv[i + 1];
    if (argv[i] === '--sizes' && value) {
      options.sizes = value.split(',').map(Number);
    } else if (argv[i] === '--runs' && value) {
      options.runs = Number(value);
    } else {
      throw new Error(USAGE);
    }
  }
  if (options.sizes.length < 2 || options.sizes.some((n) => !Number.isInteger(n) || n <= 0) || !(options.runs >= 1)) {
    throw new Error(USAGE);
  }
  return options;
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Every node of the tree, expanded, with its item: what the view computes when everything is expanded. */
function walkTree(node: ServicesTreeNode): number {
  node.getTreeItem();
  let count = 1;
  for (const child of node.getChildren()) {
    count += walkTree(child);
  }
  return count;
}

/** One dump and its cluster, ready for the paths: parsed, analysed, snapshot read, model built. */
interface Prepared {
  services: number;
  uri: string;
  doc: DumpDocument;
  /** The 200 chains with the most callers, and KUBE-MARK-MASQ (the most). */
  top: Chain[];
  masq: Chain;
  snapshotText: string;
  snapshot: ClusterSnapshot;
  origin: ModelOrigin;
  cliIndex: DumpChainIndex;
  model: ServicesModel;
}

/** A measured path: what one run does, and a line saying how much it handled (to check the inputs are right). */
interface BenchPath {
  name: string;
  run(p: Prepared): unknown;
  work(p: Prepared): string;
  /** Untimed, before each call of `run` (fresh inputs for work that is cached after the first call). */
  fresh?(p: Prepared): Prepared;
}

/** References from a chain's declaration, as an editor asks for them (with the declaration). */
function referencesAt(doc: DumpDocument, chain: Chain): number {
  return references(doc, { line: chain.declaration!.line, character: chain.declaration!.start }, true).length;
}

/** The paths, in the order measured (the kube analysis and the baseline are shown, not judged). */
const PATHS: BenchPath[] = [
  {
    name: 'kube analysis (doc.kube, subtracted below)',
    fresh: (p) => ({ ...p, doc: new DumpDocument(p.uri, 1, p.doc.lines, p.doc.dump) }),
    run: (p) => p.doc.kube,
    work: (p) => `${p.doc.kube.services.length} service ports`,
  },
  {
    name: 'diagnostics (features/diagnostics over doc.diagnostics)',
    run: (p) => diagnostics(p.doc.diagnostics),
    work: (p) => `${p.doc.diagnostics.length} findings`,
  },
  {
    // The generated dumps have fewer findings than the server publishes (5,000): this is the sorted branch.
    name: 'diagnostics over the limit (limit 100: sorted by severity)',
    run: (p) => diagnostics(p.doc.diagnostics, 100),
    work: (p) => `${p.doc.diagnostics.length} findings`,
  },
  {
    name: 'references: 200 most referenced chains',
    run: (p) => p.top.forEach((chain) => referencesAt(p.doc, chain)),
    work: (p) => `${p.top.reduce((sum, chain) => sum + referencesAt(p.doc, chain), 0)} locations`,
  },
  {
    name: 'references: KUBE-MARK-MASQ',
    run: (p) => referencesAt(p.doc, p.masq),
    work: (p) => `${referencesAt(p.doc, p.masq)} locations`,
  },
  {
    name: 'iptablesLens/services, CLI services --json (servicesOf + JSON)',
    run: (p) => JSON.stringify(servicesOf(p.doc)),
    work: (p) => `${(JSON.stringify(servicesOf(p.doc)).length / 1e6).toFixed(1)} MB`,
  },
  {
    // Not a path: a floor for those that build a map of every chain. V8's Map costs more per entry as it
    // outgrows the CPU caches (130,000 entries at 20k services), so such a path grows a little per service
    // though it does one set per chain.
    name: 'baseline: a Map of every kube-proxy chain name',
    run: (p) => {
      const chains = new Map<string, { name: string }>();
      for (const name of p.cliIndex.chains.keys()) {
        chains.set(name, { name });
      }
      return chains;
    },
    work: (p) => `${p.cliIndex.chains.size} entries`,
  },
  {
    // Not a path: a floor for those that return one object per reference.
    name: 'baseline: an array of one object per KUBE-MARK-MASQ caller',
    run: (p) => p.masq.referencedBy.map((rule) => ({ line: rule.line })),
    work: (p) => `${p.masq.referencedBy.length} objects`,
  },
  {
    name: 'code lenses (serviceCodeLenses)',
    run: (p) => serviceCodeLenses(p.doc),
    work: (p) => `${serviceCodeLenses(p.doc).length} lenses`,
  },
  {
    // The Services view in VS Code links against the chains of the server's answer.
    name: 'view: dumpChainIndex (server answer → chains)',
    run: (p) => dumpChainIndex(p.uri, p.doc.kube.services),
    work: (p) => `${dumpChainIndex(p.uri, p.doc.kube.services).chains.size} chains`,
  },
  // The CLI's `services DUMP --snapshot FILE` (and the view without a server): snapshot, chain index, model, text.
  {
    name: 'snapshot: parseSnapshotText (kubectl JSON)',
    run: (p) => parseSnapshotText(p.snapshotText, 'snapshot.json'),
    work: (p) => `${(p.snapshotText.length / 1e6).toFixed(1)} MB`,
  },
  {
    name: 'CLI: chainIndexFromDump',
    run: (p) => chainIndexFromDump(p.uri, p.doc.dump),
    work: (p) => `${p.cliIndex.chains.size} chains`,
  },
  {
    name: 'tree: buildServicesModel (snapshot ↔ dump chains)',
    run: (p) => buildServicesModel(p.snapshot, p.origin, p.cliIndex),
    work: (p) => linkSummary(p.model),
  },
  {
    name: 'CLI: formatServicesModel (text output)',
    run: (p) => formatServicesModel(p.model),
    work: (p) => `${formatServicesModel(p.model).length} lines`,
  },
  {
    name: 'tree: every node expanded (getChildren + getTreeItem)',
    run: (p) => walkTree(new ContextNode(p.model)),
    work: (p) => `${walkTree(new ContextNode(p.model))} nodes`,
  },
];

function prepare(services: number, log: (line: string) => void): Prepared {
  const file = ensureDump(services, 'save', log);
  const uri = pathToFileURL(file).href;
  const doc = DumpDocument.fromText(uri, 1, fs.readFileSync(file, 'utf8'));
  // Analysed now, so the paths below find the analysis cached, as every request after the first does.
  const servicePorts = doc.kube.services.length;
  const truth = generateKubeDump({ services, maxEndpoints: 10, seed: 1 });
  const snapshotText = JSON.stringify(kubectlSnapshot(truth.servicePorts), null, 1) + '\n';
  const snapshotFile = path.join(BENCH_DIR, 'snapshots', `kube-${services}-snapshot.json`);
  fs.mkdirSync(path.dirname(snapshotFile), { recursive: true });
  fs.writeFileSync(snapshotFile, snapshotText);
  log(
    `${services} services (${servicePorts} ports): ${path.relative(process.cwd(), file)}, snapshot ${path.relative(process.cwd(), snapshotFile)}`,
  );
  const parsed = parseSnapshotText(snapshotText, path.basename(snapshotFile));
  if (!parsed.ok) {
    throw new Error(parsed.error.message);
  }
  const chains = doc.dump.tables.flatMap((t) => [...t.chains.values()]).filter((c) => c.declaration);
  const masq = chains.find((c) => c.name === 'KUBE-MARK-MASQ' && c.table.name === 'nat');
  if (!masq) {
    throw new Error(`${file} has no nat KUBE-MARK-MASQ chain`);
  }
  const top = [...chains].sort((a, b) => b.referencedBy.length - a.referencedBy.length).slice(0, 200);
  const origin: ModelOrigin = { kind: 'snapshot', file: snapshotFile };
  const cliIndex = chainIndexFromDump(uri, doc.dump);
  const model = buildServicesModel(parsed.value, origin, cliIndex);
  return { services, uri, doc, top, masq, snapshotText, snapshot: parsed.value, origin, cliIndex, model };
}

/** Per size, the minimum CPU ms of `runs` runs of `path`, the sizes taking turns. */
function measure(path: BenchPath, prepared: Prepared[], runs: number): number[] {
  const input = (p: Prepared): Prepared => (path.fresh ? path.fresh(p) : p);
  // One untimed call per size (the JIT's first compilation, and how long a call takes): a short path is
  // repeated within a run until the run lasts MIN_RUN_MS.
  const repeats = prepared.map((p) => {
    const fresh = input(p);
    const start = cpuMs();
    path.run(fresh);
    return Math.max(1, Math.ceil(MIN_RUN_MS / Math.max(cpuMs() - start, 0.01)));
  });
  const best = prepared.map(() => Number.POSITIVE_INFINITY);
  for (let run = 0; run < runs; run++) {
    prepared.forEach((p, i) => {
      const inputs = Array.from({ length: repeats[i] }, () => input(p));
      const start = cpuMs();
      for (const one of inputs) {
        path.run(one);
      }
      best[i] = Math.min(best[i], (cpuMs() - start) / repeats[i]);
    });
  }
  return best;
}

function main(): void {
  const { sizes, runs } = parseOptions(process.argv.slice(2));
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const prepared = sizes.map((services) => prepare(services, log));

  // The table: per path, per size, ms and µs per service; the growth of the time per service from the
  // second-largest size to the largest.
  const [middle, largest] = [sizes.length - 2, sizes.length - 1];
  const header = [
    'path',
    ...sizes.map((n) => `${n / 1000}k: CPU ms (µs/service)`),
    `per service ${sizes[middle] / 1000}k → ${sizes[largest] / 1000}k`,
    `work at ${sizes[largest] / 1000}k`,
  ];
  const rows: string[][] = [];
  const flagged: string[] = [];
  for (const benchPath of PATHS) {
    log(`measuring ${benchPath.name}`);
    const ms = measure(benchPath, prepared, runs);
    const growth = ms[largest] / sizes[largest] / (ms[middle] / sizes[middle]);
    const judged = !benchPath.name.startsWith('kube analysis') && !benchPath.name.startsWith('baseline');
    // Under a millisecond at the largest size, a path is no problem whatever its growth.
    const negligible = ms[largest] < NEGLIGIBLE_MS;
    const flag = judged && !negligible && growth > GROWTH_LIMIT;
    if (flag) {
      flagged.push(benchPath.name);
    }
    rows.push([
      benchPath.name,
      ...ms.map((m, i) => `${m.toFixed(m < 10 ? 2 : 0)} (${((m * 1000) / sizes[i]).toFixed(2)})`),
      `${growth.toFixed(2)}×${negligible && judged ? ` (under ${NEGLIGIBLE_MS} ms)` : ''}${flag ? ' ⚠ superlinear' : ''}`,
      benchPath.work(prepared[largest]),
    ]);
  }
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  out(`Node ${process.version}, min CPU of ${runs} runs; path times exclude the kube analysis (computed before them).`);
  out('');
  out(`| ${header.join(' | ')} |`);
  out(`| ${header.map(() => '---').join(' | ')} |`);
  rows.forEach((row) => out(`| ${row.join(' | ')} |`));
  out('');
  out(
    flagged.length === 0
      ? `No path's time per service grows by more than ${GROWTH_LIMIT}× from ${sizes[middle]} to ${sizes[largest]} services.`
      : `Superlinear (time per service × more than ${GROWTH_LIMIT} from ${sizes[middle]} to ${sizes[largest]} services): ${flagged.join('; ')}. ` +
          'Compare with the baselines, which grow for the memory they use alone.',
  );
  process.exitCode = flagged.length === 0 ? 0 : 1;
}

/** How many ports and endpoints of the model found their chain in the dump: the snapshot must match the dump. */
function linkSummary(model: ServicesModel): string {
  let ports = 0;
  let linkedPorts = 0;
  let endpoints = 0;
  let linkedEndpoints = 0;
  for (const namespace of model.namespaces) {
    for (const service of namespace.services) {
      for (const port of service.ports) {
        ports++;
        linkedPorts += port.link.state === 'in-dump' ? 1 : 0;
        for (const endpoint of port.endpoints) {
          endpoints++;
          linkedEndpoints += endpoint.link.state === 'in-dump' ? 1 : 0;
        }
      }
    }
  }
  return `${linkedPorts}/${ports} ports, ${linkedEndpoints}/${endpoints} endpoints in the dump`;
}

main();
