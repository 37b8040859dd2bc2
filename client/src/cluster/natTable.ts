// Fetches a node's live nat table by running `iptables-save -t nat` in that node's kube-proxy pod
// (kube-proxy's image ships the iptables tools), falling back to the nft and legacy variants. Where no
// kube-proxy pod runs, says why that may be rather than failing silently.
import type { V1Pod } from '@kubernetes/client-node';
import type { ClusterClient } from './clusterClient';
import { fail, ok } from './result';
import type { Result } from './result';

export interface KubeProxyPod {
  namespace: string;
  pod: string;
  node: string;
  container: string;
}

export interface NatTable {
  text: string;
  source: KubeProxyPod;
  command: string[];
  /** Something to tell the user about the result (IPVS or nftables mode). */
  note?: string;
}

export const KUBE_PROXY_NAMESPACE = 'kube-system';
export const KUBE_PROXY_LABEL = 'k8s-app=kube-proxy';

/** The commands tried in order: whichever iptables backend the image defaults to, then nft, then legacy. */
export const NAT_SAVE_COMMANDS: string[][] = [
  ['iptables-save', '-t', 'nat'],
  ['iptables-nft-save', '-t', 'nat'],
  ['iptables-legacy-save', '-t', 'nat'],
];

const NO_KUBE_PROXY_HINT =
  'Without a kube-proxy pod there is no nat table of kube-proxy to fetch: k3s and k0s run kube-proxy inside their own binary (run `iptables-save -t nat` on the node), ' +
  'Cilium and Calico eBPF replace kube-proxy, and kube-proxy in nftables mode writes no iptables rules.';

function toKubeProxyPod(pod: V1Pod): KubeProxyPod | undefined {
  const node = pod.spec?.nodeName;
  const name = pod.metadata?.name;
  if (!node || !name || pod.status?.phase !== 'Running') {
    return undefined;
  }
  const containers = pod.spec?.containers ?? [];
  const container = containers.find((c) => c.name === 'kube-proxy') ?? containers[0];
  return container ? { namespace: pod.metadata?.namespace ?? KUBE_PROXY_NAMESPACE, pod: name, node, container: container.name } : undefined;
}

/** Running kube-proxy pods (label `k8s-app=kube-proxy`, else a `kube-proxy-…` name in kube-system), one per node. */
export async function kubeProxyPods(client: ClusterClient): Promise<Result<KubeProxyPod[]>> {
  const labelled = await client.listPodsWithLabel(KUBE_PROXY_NAMESPACE, KUBE_PROXY_LABEL);
  if (!labelled.ok) {
    return labelled;
  }
  let pods = labelled.value;
  if (pods.length === 0) {
    const all = await client.listPods(KUBE_PROXY_NAMESPACE);
    if (!all.ok) {
      return all;
    }
    pods = all.value.filter((p) => p.metadata?.name?.startsWith('kube-proxy'));
  }
  return ok(
    pods
      .map(toKubeProxyPod)
      .filter((p): p is KubeProxyPod => p !== undefined)
      .sort((a, b) => a.node.localeCompare(b.node)),
  );
}

/** Runs the save commands in the kube-proxy pod of `node` until one prints a nat table. */
export async function fetchNatTable(client: ClusterClient, node: string): Promise<Result<NatTable>> {
  const pods = await kubeProxyPods(client);
  if (!pods.ok) {
    return pods;
  }
  if (pods.value.length === 0) {
    return fail({ kind: 'no-kube-proxy', message: `No running kube-proxy pod in ${KUBE_PROXY_NAMESPACE}.`, hint: NO_KUBE_PROXY_HINT });
  }
  const source = pods.value.find((p) => p.node === node);
  if (!source) {
    return fail({
      kind: 'no-kube-proxy',
      message: `No running kube-proxy pod on node ${node}.`,
      hint: `kube-proxy runs on: ${pods.value.map((p) => p.node).join(', ')}.`,
    });
  }
  const failures: string[] = [];
  for (const command of NAT_SAVE_COMMANDS) {
    const run = await client.exec(source.namespace, source.pod, source.container, command);
    if (!run.ok) {
      return run;
    }
    if (run.value.exitCode === 0 && /^\*nat$/m.test(run.value.stdout)) {
      return ok({ text: run.value.stdout, source, command, note: modeNote(run.value.stdout) });
    }
    failures.push(`${command[0]}: ${run.value.stderr.trim().split('\n')[0] || `exit code ${run.value.exitCode}`}`);
  }
  return fail({
    kind: 'exec-failed',
    message: `Could not print the nat table in ${source.namespace}/${source.pod} on ${node}.`,
    hint: failures.join('; '),
  });
}

/** What a nat table without KUBE-SVC chains means. */
function modeNote(text: string): string | undefined {
  if (/^:KUBE-SVC-/m.test(text)) {
    return undefined;
  }
  if (/KUBE-CLUSTER-IP|KUBE-LOAD-BALANCER/.test(text)) {
    return 'kube-proxy runs in IPVS mode: services are IPVS virtual servers (ipvsadm -Ln), not KUBE-SVC chains.';
  }
  return 'The nat table has no KUBE-SVC chains: kube-proxy may run in nftables mode (nft list table ip kube-proxy) or have no services to program yet.';
}
