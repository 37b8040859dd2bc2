// kube-proxy's chain names: the hash it uses to name service and endpoint chains, in both directions.
import * as crypto from 'node:crypto';

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** The 16-character suffix kube-proxy derives from a hash input. */
export function chainHash(input: string): string {
  return String.fromCharCode(...hashCharCodes(input, '', ''));
}

/**
 * Whether `name` from offset `start` on is exactly the 16-character hash of `a + b + c`. The check of every chain
 * name in a large dump compares characters, and hashes the parts without joining them into a string.
 */
export function hasChainHash(name: string, start: number, a: string, b = '', c = ''): boolean {
  if (name.length - start !== 16) {
    return false;
  }
  const codes = hashCharCodes(a, b, c);
  for (let i = 0; i < 16; i++) {
    if (name.charCodeAt(start + i) !== codes[i]) {
      return false;
    }
  }
  return true;
}

/** Reused by every hash: the 16 characters of the last one, and the digest they come from. */
const hashCodes = new Array<number>(16).fill(0);
const digest = new Uint8Array(32);

/**
 * The character codes of `base32(sha256(a + b + c))[:16]`, as kube-proxy writes the hash after a chain prefix:
 * RFC 4648 base32 (Go's `base32.StdEncoding`) of the digest's first 80 bits, 5 bits per character.
 */
function hashCharCodes(a: string, b: string, c: string): number[] {
  if (!sha256Ascii(a, b, c)) {
    digest.set(
      crypto
        .createHash('sha256')
        .update(a + b + c)
        .digest(),
    );
  }
  let buffer = 0;
  let bits = 0;
  let out = 0;
  for (let i = 0; i < 10; i++) {
    buffer = ((buffer << 8) | digest[i]) & 0xfff; // at most 4 bits are left over, plus the new 8
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      hashCodes[out++] = BASE32_ALPHABET.charCodeAt((buffer >>> bits) & 31);
    }
  }
  return hashCodes;
}

// SHA-256 (FIPS 180-4) of ASCII text, in JavaScript: kube-proxy's hash inputs (service port names, protocols,
// endpoint addresses) are short ASCII strings, and a large dump has 100,000 of them to check. Node's crypto costs
// about twice as much per call for such short inputs (a native call, a Buffer per digest, a joined string to
// encode), and its garbage slows the rest of the analysis; it still hashes anything that is not ASCII.
const ROUND_CONSTANTS = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
  0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
  0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
  0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
  0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
  0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const INITIAL_STATE = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
let message = new Uint8Array(128);
const schedule = new Int32Array(64);
const state = new Int32Array(8);

/** Puts SHA-256 of `a + b + c` in `digest`; false (and nothing done) when the text is not all ASCII. */
function sha256Ascii(a: string, b: string, c: string): boolean {
  const length = a.length + b.length + c.length;
  // The message, a 1 bit, zeros, and the length in bits as the last 8 bytes of a 64-byte block.
  const size = (length + 9 + 63) & ~63;
  if (message.length < size) {
    message = new Uint8Array(size * 2);
  }
  let at = copyAscii(c, copyAscii(b, copyAscii(a, 0)));
  if (at < 0) {
    return false;
  }
  message[at++] = 0x80;
  message.fill(0, at, size);
  const bitLength = length * 8;
  message[size - 5] = bitLength / 2 ** 32; // lengths past 512 MB never happen here, so four bytes and a bit suffice
  message[size - 4] = bitLength >>> 24;
  message[size - 3] = bitLength >>> 16;
  message[size - 2] = bitLength >>> 8;
  message[size - 1] = bitLength;
  state.set(INITIAL_STATE);
  for (let block = 0; block < size; block += 64) {
    compress(block);
  }
  for (let i = 0; i < 32; i++) {
    digest[i] = state[i >> 2] >>> (24 - 8 * (i & 3));
  }
  return true;
}

/** Copies `text` into `message` at `at`; the offset after it, or -1 when it is not ASCII (or `at` is -1). */
function copyAscii(text: string, at: number): number {
  for (let i = 0; i < text.length && at >= 0; i++) {
    const code = text.charCodeAt(i);
    message[at++] = code;
    if (code > 127) {
      return -1;
    }
  }
  return at;
}

const rotate = (x: number, n: number): number => (x >>> n) | (x << (32 - n));

/** One 64-byte block of `message` into `state`. */
function compress(block: number): void {
  const w = schedule;
  for (let i = 0; i < 16; i++) {
    const j = block + i * 4;
    w[i] = (message[j] << 24) | (message[j + 1] << 16) | (message[j + 2] << 8) | message[j + 3];
  }
  for (let i = 16; i < 64; i++) {
    const s0 = rotate(w[i - 15], 7) ^ rotate(w[i - 15], 18) ^ (w[i - 15] >>> 3);
    const s1 = rotate(w[i - 2], 17) ^ rotate(w[i - 2], 19) ^ (w[i - 2] >>> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  let a = state[0];
  let b = state[1];
  let c = state[2];
  let d = state[3];
  let e = state[4];
  let f = state[5];
  let g = state[6];
  let h = state[7];
  for (let i = 0; i < 64; i++) {
    const t1 = h + (rotate(e, 6) ^ rotate(e, 11) ^ rotate(e, 25)) + ((e & f) ^ (~e & g)) + ROUND_CONSTANTS[i] + w[i];
    const t2 = (rotate(a, 2) ^ rotate(a, 13) ^ rotate(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
  state[4] += e;
  state[5] += f;
  state[6] += g;
  state[7] += h;
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
