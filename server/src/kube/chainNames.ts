// kube-proxy's chain names: the hash it uses to name service and endpoint chains, in both directions.
import * as crypto from 'node:crypto';

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 (no padding), as Go's `base32.StdEncoding` writes it. */
function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) {
    out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  }
  return out;
}

// One-shot `crypto.hash` (Node 20.12+) costs about half of createHash().update().digest(), which matters when a
// large dump's 100,000 endpoint chains are all checked.
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'buffer') => Buffer }).hash;

function sha256(input: string): Uint8Array {
  return oneShotHash !== undefined ? oneShotHash('sha256', input, 'buffer') : crypto.createHash('sha256').update(input).digest();
}

/** The 16-character suffix kube-proxy derives from a hash input. */
export function chainHash(input: string): string {
  // 16 base32 characters are 80 bits: the first 10 bytes of the digest.
  return base32(sha256(input).subarray(0, 10));
}

/**
 * kube-proxy's service port name: `namespace/name:port`, or `namespace/name` for an unnamed port
 * (kube-proxy 1.19 and later). `legacyUnnamed` gives the pre-1.19 form `namespace/name:`.
 */
export function servicePortName(namespace: string, name: string, port: string, legacyUnnamed = false): string {
  if (port === '' && !legacyUnnamed) {
    return `${namespace}/${name}`;
  }
  return `${namespace}/${name}:${port}`;
}

/** The chain prefixes kube-proxy hashes a service port into. */
export const SERVICE_CHAIN_PREFIXES = ['KUBE-SVC-', 'KUBE-SVL-', 'KUBE-EXT-', 'KUBE-FW-', 'KUBE-XLB-'] as const;
export type ServiceChainPrefix = (typeof SERVICE_CHAIN_PREFIXES)[number];

/** `KUBE-SVC-…` (or another prefix) for a service port name and protocol (`tcp`, `udp`, `sctp`, any case). */
export function serviceChainName(portName: string, protocol: string, prefix: ServiceChainPrefix = 'KUBE-SVC-'): string {
  return prefix + chainHash(portName + protocol.toLowerCase());
}

/** `KUBE-SEP-…` for an endpoint `ip:port` of a service port. IPv6 endpoints are written `[addr]:port`. */
export function endpointChainName(portName: string, protocol: string, endpoint: string): string {
  return 'KUBE-SEP-' + chainHash(portName + protocol.toLowerCase() + endpoint);
}

/** Every chain name kube-proxy may create for one service port, so a tree or a check can look them up. */
export interface ServicePortChainNames {
  portName: string;
  svc: string;
  svl: string;
  ext: string;
  fw: string;
  xlb: string;
}

/** The chain names of a service port, for both the current and the pre-1.19 unnamed-port spelling. */
export function serviceChainNames(
  namespace: string,
  name: string,
  port: string,
  protocol: string,
  legacyUnnamed = false,
): ServicePortChainNames {
  const portName = servicePortName(namespace, name, port, legacyUnnamed);
  return {
    portName,
    svc: serviceChainName(portName, protocol, 'KUBE-SVC-'),
    svl: serviceChainName(portName, protocol, 'KUBE-SVL-'),
    ext: serviceChainName(portName, protocol, 'KUBE-EXT-'),
    fw: serviceChainName(portName, protocol, 'KUBE-FW-'),
    xlb: serviceChainName(portName, protocol, 'KUBE-XLB-'),
  };
}

/** Formats an endpoint as kube-proxy hashes it: `ip:port`, or `[ip]:port` for IPv6. */
export function endpointString(ip: string, port: number | string): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
