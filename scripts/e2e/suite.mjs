// What both end-to-end runners share: compiling test/e2e for the extension host, and laying out the
// workspace of real dumps the suite opens (copied from the corpus under the names users give them).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const testsOutDir = path.join(repoRoot, 'out', 'e2e');

/** [corpus file, name in the workspace]; test/e2e/harness.ts names the same files. */
const WORKSPACE_FILES = [
  // An `iptables -t nat -L -n -v` dump saved as .txt: Plain Text by extension, switched by content detection.
  ['seed-calico-nat-L-n-v.txt', 'seed-calico-nat-L-n-v.txt'],
  // A second copy, opened only by the content-detection test (the others may have the first open already).
  ['seed-calico-nat-L-n-v.txt', 'calico-nat-L-n-v.txt'],
  // iptables-save output under an extension the language claims.
  ['kube-proxy-TestOverallIPTablesRules.real-iptables-save', 'kube-proxy-overall.iptables-save'],
  // The same iptables-save output saved as .txt, to show detection can be turned off.
  ['kube-proxy-TestOverallIPTablesRules.real-iptables-save', 'kube-proxy-overall-saved.txt'],
  // `iptables-save | grep hostnames` saved as .log: only -A lines, Log by extension.
  ['k8s-docs-debug-service-iptables-save-grep.txt', 'hostnames-grep.log'],
  // `iptables -S` output saved as .txt.
  ['kube-proxy-TestOverallIPTablesRules.real-S.txt', 'kube-proxy-overall-S.txt'],
  // The kube-proxy unit-test expectation as iptables-restore input, claimed by its .rules extension.
  ['kubernetes-proxier_test-TestOverallIPTablesRules.iptables-restore', 'proxier-overall.rules'],
];

/** The corpus folder: $IPTABLES_LENS_CORPUS, or ../shared/corpus beside the repository (where CI has it too). */
export function findCorpus() {
  const candidates = [path.resolve(repoRoot, '..', 'shared', 'corpus')];
  if (process.env.IPTABLES_LENS_CORPUS) {
    candidates.unshift(path.resolve(process.env.IPTABLES_LENS_CORPUS));
  }
  return candidates.find((dir) => WORKSPACE_FILES.every(([source]) => fs.existsSync(path.join(dir, source))));
}

export function prepareWorkspace(workspace, corpusDir) {
  fs.mkdirSync(workspace, { recursive: true });
  for (const [source, target] of WORKSPACE_FILES) {
    fs.copyFileSync(path.join(corpusDir, source), path.join(workspace, target));
  }
}

/** Bundles test/e2e/*.ts to out/e2e/*.js (CommonJS; `vscode` and mocha come from the host and node_modules). */
export async function compileSuite() {
  const sourceDir = path.join(repoRoot, 'test', 'e2e');
  const entryPoints = fs
    .readdirSync(sourceDir)
    .filter((name) => name.endsWith('.ts'))
    .map((name) => path.join(sourceDir, name));
  fs.rmSync(testsOutDir, { recursive: true, force: true });
  await build({
    entryPoints,
    outdir: testsOutDir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'inline',
    external: ['vscode', 'mocha'],
    logLevel: 'warning',
  });
}
