// Targets that are iptables extensions rather than chains: a `-j NAME` that is one of these needs no chain.

/** Standard verdicts and the xtables target extensions shipped with iptables 1.4–1.8. */
export const BUILTIN_TARGETS: ReadonlySet<string> = new Set([
  'ACCEPT', 'DROP', 'RETURN', 'QUEUE', 'REJECT',
  'DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'NETMAP',
  'MARK', 'CONNMARK', 'CONNSECMARK', 'SECMARK',
  'LOG', 'ULOG', 'NFLOG', 'NFQUEUE', 'NOTRACK', 'CT', 'TRACE',
  'TCPMSS', 'TCPOPTSTRIP', 'TOS', 'TTL', 'HL', 'DSCP', 'ECN', 'CLASSIFY', 'CLUSTERIP',
  'IDLETIMER', 'LED', 'RATEEST', 'SET', 'TEE', 'TPROXY', 'CHECKSUM', 'AUDIT', 'HMARK', 'SYNPROXY',
  'DNPT', 'SNPT', 'MIRROR', 'SAME', 'IPMARK', 'JUMP',
]);

/** Whether `name` is a target extension or verdict rather than a chain. */
export function isBuiltinTarget(name: string): boolean {
  return BUILTIN_TARGETS.has(name);
}
