// Reads the service identity out of the comments kube-proxy writes, in the forms of every release.
//
// kube-proxy names the service port in almost every rule comment: "ns/svc:port cluster IP",
// "ns/svc:port -> 10.0.0.1:80", "masquerade traffic for ns/svc:port external destinations", "portal for
// ns/svc:" (userspace era) … The identity is one `namespace/name[:port]` token; the words after it say
// what the rule is for.

/** What a comment says about the rule it sits on. */
export type KubeCommentRole =
  | 'cluster-ip'
  | 'external-ip'
  | 'loadbalancer-ip'
  | 'no-endpoints'
  | 'no-local-endpoints'
  | 'health-check-node-port'
  | 'firewall-drop'
  | 'endpoint' // "ns/svc:port -> 10.0.0.1:80"
  | 'bare' // just "ns/svc:port"
  | 'other'; // "masquerade traffic for …", "Balancing rule 0 for …", "portal for …"

/** A service port named in a comment. */
export interface CommentIdentity {
  namespace: string;
  name: string;
  /** The port's name; '' for an unnamed port. */
  port: string;
  /** Written `ns/name:` (the pre-1.19 spelling of an unnamed port). */
  legacyUnnamed: boolean;
  role: KubeCommentRole;
  /** For `endpoint`: the `ip:port` after the arrow. */
  endpoint?: string;
  /** For `firewall-drop`: the KUBE-FW chain named. */
  firewallChain?: string;
}

// namespace: DNS-1123 label; service name: DNS-1035 label; port name: IANA service name (letters, digits, '-').
const IDENTITY = /(^|[\s"'])([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\/([a-z](?:[-a-z0-9]*[a-z0-9])?)(:[A-Za-z0-9-]*)?(?=$|[\s"'])/;

/**
 * The service port a kube-proxy comment names, and the role the words around it give the rule; undefined when
 * the comment names none ("kubernetes service portals", "cali:…").
 */
export function parseKubeComment(comment: string): CommentIdentity | undefined {
  const match = IDENTITY.exec(comment);
  if (match === null) {
    return undefined;
  }
  const portPart = match[4];
  const identity: CommentIdentity = {
    namespace: match[2],
    name: match[3],
    port: portPart === undefined ? '' : portPart.slice(1),
    legacyUnnamed: portPart === ':',
    role: 'other',
  };
  const before = comment.slice(0, match.index + match[1].length).trim();
  // `-L` may leave "*" of a "*/" glued to the last word ("cluster IP*/"), so trailing stars are dropped.
  const after = comment
    .slice(match.index + match[0].length)
    .trim()
    .replace(/\*+$/, '')
    .trim();
  if (before !== '') {
    identity.role = 'other';
    return identity;
  }
  if (after === '') {
    identity.role = 'bare';
  } else if (after.startsWith('cluster IP')) {
    identity.role = 'cluster-ip';
  } else if (after.startsWith('external IP')) {
    identity.role = 'external-ip';
  } else if (after.startsWith('loadbalancer IP')) {
    identity.role = 'loadbalancer-ip';
  } else if (after.startsWith('has no endpoints')) {
    identity.role = 'no-endpoints';
  } else if (after.startsWith('has no local endpoints')) {
    identity.role = 'no-local-endpoints';
  } else if (after.startsWith('health check node port')) {
    identity.role = 'health-check-node-port';
  } else if (after.startsWith('traffic not accepted by')) {
    identity.role = 'firewall-drop';
    const chain = /KUBE-FW-[A-Z0-9]+/.exec(after);
    if (chain !== null) {
      identity.firewallChain = chain[0];
    }
  } else if (after.startsWith('->')) {
    identity.role = 'endpoint';
    const endpoint = after.slice(2).trim().split(/\s+/)[0];
    if (endpoint !== '') {
      identity.endpoint = endpoint;
    }
  }
  return identity;
}
