// Results as values: cluster access never throws into the tree or the CLI; a failure is a ClusterError to show.

/** What kind of failure, so the view can pick an icon and the words of what to do. */
export type ClusterErrorKind =
  | 'no-kubeconfig'
  | 'bad-kubeconfig'
  | 'no-context'
  | 'unreachable'
  | 'tls'
  | 'unauthorized'
  | 'expired'
  | 'forbidden'
  | 'not-served'
  | 'timeout'
  | 'bad-snapshot'
  | 'no-kube-proxy'
  | 'exec-failed'
  | 'other';

/** A failure in words a person can act on: `message` says what happened, `hint` what to do. */
export interface ClusterError {
  kind: ClusterErrorKind;
  message: string;
  hint?: string;
  /** The HTTP status, when the server answered. */
  status?: number;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ClusterError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T>(error: ClusterError): Result<T> {
  return { ok: false, error };
}
