// Turns whatever @kubernetes/client-node throws (ApiException, node-fetch's FetchError, TLS errors) into a
// calm ClusterError that names the request and says what to do.
import type { ClusterError } from './result';

/** The request that failed, as RBAC sees it: `list services` in a namespace or cluster-wide. */
export interface ClusterAction {
  verb: string;
  /** Plural resource, with its group when it has one: `services`, `endpointslices.discovery.k8s.io`. */
  resource: string;
  namespace?: string;
}

/** What is known about the credentials in use, to tell an expired login from a wrong one. */
export interface CredentialFacts {
  user?: string;
  server?: string;
  /** When the token (a JWT's `exp`) or the client certificate stops being valid. */
  expiresAt?: Date;
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EAI_AGAIN', 'EPIPE']);
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function describeAction(action: ClusterAction): string {
  return `${action.verb} ${action.resource}${action.namespace ? ` in namespace "${action.namespace}"` : ' (all namespaces)'}`;
}

function errorCode(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = err;
  // node-fetch wraps the socket error; walk `cause` / `erroredSysCall` chains to the first code.
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') {
      return code;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function statusMessage(body: unknown): string | undefined {
  if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') {
    return (body as { message: string }).message;
  }
  if (typeof body === 'string' && body.trim().startsWith('{')) {
    try {
      return statusMessage(JSON.parse(body));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Maps an error from a cluster call to a ClusterError; never throws. */
export function toClusterError(err: unknown, action: ClusterAction, credentials: CredentialFacts = {}, now = new Date()): ClusterError {
  const what = describeAction(action);
  // ApiException carries `code`; a failed watch (client-node's Watch) carries `statusCode`.
  const e = err as { code?: unknown; statusCode?: unknown } | undefined;
  const numericCode = typeof e?.code === 'number' ? e.code : e?.statusCode;
  if (typeof numericCode === 'number' && numericCode >= 100) {
    const status = numericCode;
    const serverSays = statusMessage((err as { body?: unknown }).body);
    if (status === 401) {
      if (credentials.expiresAt && credentials.expiresAt.getTime() <= now.getTime()) {
        return {
          kind: 'expired',
          status,
          message: `Your credentials for ${credentials.server ?? 'the cluster'} expired at ${credentials.expiresAt.toISOString()}.`,
          hint: 'Log in again (refresh the token in your kubeconfig), then refresh this view.',
        };
      }
      return {
        kind: 'unauthorized',
        status,
        message: `The cluster did not accept your credentials (401) when trying to ${what}.`,
        hint: 'The token or certificate in your kubeconfig may have expired or been revoked: log in again, or check the user of this context.',
      };
    }
    if (status === 403) {
      return {
        kind: 'forbidden',
        status,
        message: `Not allowed to ${what}${credentials.user ? ` as user "${credentials.user}"` : ''}.`,
        hint: `Ask for a Role (or ClusterRole) that grants "${action.verb}" and "watch" on ${action.resource}, or filter the view to a namespace you can read.${serverSays ? ` The server said: ${serverSays}` : ''}`,
      };
    }
    if (status === 404) {
      return { kind: 'not-served', status, message: `The cluster does not serve ${action.resource} (404).` };
    }
    return {
      kind: 'other',
      status,
      message: `The cluster answered ${status} when trying to ${what}${serverSays ? `: ${serverSays}` : '.'}`,
    };
  }
  const code = errorCode(err);
  const text = err instanceof Error ? err.message : String(err);
  if (code && UNREACHABLE_CODES.has(code)) {
    return {
      kind: 'unreachable',
      message: `Cannot reach the cluster at ${credentials.server ?? 'its server address'} (${code}).`,
      hint: 'Check the VPN, tunnel or port-forward to the API server, or switch to another context. The view still works from an open dump or a snapshot file.',
    };
  }
  if (code && TLS_CODES.has(code)) {
    return {
      kind: 'tls',
      message: `The cluster's TLS certificate was not accepted (${code}).`,
      hint: 'Check certificate-authority(-data) of this cluster in your kubeconfig.',
    };
  }
  if (code === 'ETIMEDOUT' || /timed? ?out/i.test(text)) {
    return {
      kind: 'timeout',
      message: `The cluster at ${credentials.server ?? 'its server address'} did not answer in time when trying to ${what}.`,
      hint: 'Check the connection to the API server, then refresh.',
    };
  }
  return { kind: 'other', message: `Could not ${what}: ${firstLine(text)}` };
}

function firstLine(text: string): string {
  return text.split('\n')[0].slice(0, 300);
}

/** Whether an error says the API group or version is not served (so the next fallback applies). */
export function isNotServed(error: ClusterError): boolean {
  return error.kind === 'not-served';
}
