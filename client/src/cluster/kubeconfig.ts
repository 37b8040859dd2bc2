// Finds and merges kubeconfig files the way kubectl does, without client-node's two surprises: a missing
// file named in KUBECONFIG is skipped (client-node throws ENOENT), and no kubeconfig at all is an error
// to show (client-node silently points at http://localhost:8080).
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { CredentialFacts } from './errors';
import { fail, ok } from './result';
import type { Result } from './result';

export interface KubeconfigOptions {
  /** An explicit file (`--kubeconfig`, or the extension's setting); it must exist. */
  kubeconfigPath?: string;
  /** The context to use instead of the current one. */
  context?: string;
  /** Defaults to process.env; tests pass their own. */
  env?: NodeJS.ProcessEnv;
  /** Defaults to os.homedir(). */
  homeDir?: string;
}

export interface LoadedKubeconfig {
  kubeConfig: KubeConfig;
  /** The files merged, in precedence order. */
  files: string[];
  /** Files named in KUBECONFIG that do not exist (kubectl skips them too). */
  skipped: string[];
  contexts: string[];
  currentContext: string;
  server?: string;
}

/** The candidate files in kubectl's order: KUBECONFIG's list if set, else ~/.kube/config. */
export function kubeconfigCandidates(
  env: NodeJS.ProcessEnv = process.env,
  homeDir: string = os.homedir(),
): { fromEnv: boolean; files: string[] } {
  const fromEnv = env.KUBECONFIG;
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    const files = fromEnv.split(path.delimiter).filter((p) => p.trim() !== '');
    return { fromEnv: true, files: [...new Set(files)] };
  }
  return { fromEnv: false, files: [path.join(homeDir, '.kube', 'config')] };
}

export interface MergedKubeconfig {
  kubeConfig: KubeConfig;
  files: string[];
  skipped: string[];
  /** The first current-context set by any file ('' if none). */
  currentContext: string;
  contexts: string[];
}

/** Finds and merges the kubeconfig files (kubectl's precedence), without choosing a context. */
export function mergeKubeconfigFiles(options: KubeconfigOptions = {}): Result<MergedKubeconfig> {
  let files: string[];
  let skipped: string[] = [];
  if (options.kubeconfigPath) {
    if (!fs.existsSync(options.kubeconfigPath)) {
      return fail({
        kind: 'no-kubeconfig',
        message: `The kubeconfig file ${options.kubeconfigPath} does not exist.`,
        hint: 'Fix the path, or clear it to use KUBECONFIG / ~/.kube/config.',
      });
    }
    files = [options.kubeconfigPath];
  } else {
    const candidates = kubeconfigCandidates(options.env, options.homeDir);
    files = candidates.files.filter((f) => fs.existsSync(f));
    skipped = candidates.files.filter((f) => !files.includes(f));
    if (files.length === 0) {
      const where = candidates.fromEnv
        ? `KUBECONFIG names no existing file (${candidates.files.join(path.delimiter)})`
        : `there is no ${candidates.files[0]} and KUBECONFIG is not set`;
      return fail({
        kind: 'no-kubeconfig',
        message: `No kubeconfig found: ${where}.`,
        hint: 'Point KUBECONFIG or the iptablesLens.kubeconfig setting at a kubeconfig, or work offline from an open dump or a snapshot file.',
      });
    }
  }

  const kubeConfig = new KubeConfig();
  let currentContext = '';
  for (const file of files) {
    const one = new KubeConfig();
    try {
      one.loadFromFile(file);
    } catch (err) {
      return fail({
        kind: 'bad-kubeconfig',
        message: `Cannot read kubeconfig ${file}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      });
    }
    // kubectl's merge: the first file to name a cluster, user or context wins, and so does the first current-context.
    for (const cluster of one.getClusters()) {
      if (!kubeConfig.getCluster(cluster.name)) {
        kubeConfig.addCluster(cluster);
      }
    }
    for (const user of one.getUsers()) {
      if (!kubeConfig.getUser(user.name)) {
        kubeConfig.addUser(user);
      }
    }
    for (const context of one.getContexts()) {
      if (!kubeConfig.getContextObject(context.name)) {
        kubeConfig.addContext(context);
      }
    }
    if (!currentContext && one.getCurrentContext()) {
      currentContext = one.getCurrentContext();
    }
  }
  return ok({ kubeConfig, files, skipped, currentContext, contexts: kubeConfig.getContexts().map((c) => c.name) });
}

/** Loads the kubeconfig and selects the given (or current) context; every failure is a ClusterError value. */
export function loadKubeconfig(options: KubeconfigOptions = {}): Result<LoadedKubeconfig> {
  const merged = mergeKubeconfigFiles(options);
  if (!merged.ok) {
    return merged;
  }
  const { kubeConfig, files, skipped, currentContext } = merged.value;
  const contexts = kubeConfig.getContexts().map((c) => c.name);
  const wanted = options.context || currentContext;
  if (!wanted) {
    return fail({
      kind: 'no-context',
      message: contexts.length ? 'The kubeconfig sets no current context.' : `The kubeconfig (${files.join(', ')}) has no contexts.`,
      hint: contexts.length ? `Pick one of: ${contexts.join(', ')}.` : 'Add a context with `kubectl config set-context`.',
    });
  }
  if (!kubeConfig.getContextObject(wanted)) {
    return fail({
      kind: 'no-context',
      message: `The kubeconfig has no context "${wanted}".`,
      hint: contexts.length ? `Pick one of: ${contexts.join(', ')}.` : undefined,
    });
  }
  kubeConfig.setCurrentContext(wanted);
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) {
    return fail({ kind: 'bad-kubeconfig', message: `Context "${wanted}" names a cluster that the kubeconfig does not define.` });
  }
  return ok({ kubeConfig, files, skipped, contexts, currentContext: wanted, server: cluster.server });
}

/** What can be told about the current user's credentials without asking the server: who and until when. */
export function credentialFacts(kubeConfig: KubeConfig): CredentialFacts {
  const facts: CredentialFacts = { server: kubeConfig.getCurrentCluster()?.server };
  const user = kubeConfig.getCurrentUser();
  if (!user) {
    return facts;
  }
  const token = user.token ?? (user.authProvider?.config as { 'access-token'?: string; 'id-token'?: string } | undefined)?.['id-token'];
  const tokenExpiry = token ? jwtExpiry(token) : undefined;
  if (tokenExpiry) {
    facts.expiresAt = tokenExpiry;
  } else {
    try {
      const pem = user.certData ? Buffer.from(user.certData, 'base64') : user.certFile ? fs.readFileSync(user.certFile) : undefined;
      if (pem) {
        facts.expiresAt = new Date(new X509Certificate(pem).validTo);
      }
    } catch {
      // An unreadable certificate is the TLS layer's to report.
    }
  }
  return facts;
}

/** The `exp` claim of a JWT bearer token, or undefined for an opaque token. */
export function jwtExpiry(token: string): Date | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) {
    return undefined;
  }
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : undefined;
  } catch {
    return undefined;
  }
}
