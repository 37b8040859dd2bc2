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

/** Reused by every hash: the 16 characters of the last one. */
const hashCodes = new Array<number>(16).fill(0);

/**
 * The character codes of `base32(sha256(a + b + c))[:16]`, as kube-proxy writes the hash after a chain prefix:
 * RFC 4648 base32 (Go's `base32.StdEncoding`) of the digest's first 80 bits, 5 bits per character.
 */
function hashCharCodes(a: string, b: string, c: string): number[] {
  if (!sha256Ascii(a, b, c)) {
    const bytes = crypto
      .createHash('sha256')
      .update(a + b + c)
      .digest();
    for (let i = 0; i < 3; i++) {
      state[i] = bytes.readInt32BE(i * 4);
    }
  }
  // The first 80 bits are the first two and a half state words; character k is bits 5k … 5k+4 of them.
  for (let k = 0; k < 16; k++) {
    const offset = 5 * k;
    const word = state[offset >>> 5];
    const bit = offset & 31;
    const value = bit <= 27 ? word >>> (27 - bit) : (word << (bit - 27)) | (state[(offset >>> 5) + 1] >>> (59 - bit));
    hashCodes[k] = BASE32_ALPHABET.charCodeAt(value & 31);
  }
  return hashCodes;
}

// SHA-256 (FIPS 180-4) of ASCII text, in JavaScript: kube-proxy's hash inputs (service port names, protocols,
// endpoint addresses) are short ASCII strings, and a large dump has 100,000 of them to check. Node's crypto costs
// about twice as much per call for such short inputs (a native call, a Buffer per digest, a joined string to
// encode), and its garbage slows the rest of the analysis; it still hashes anything that is not ASCII.
// The text goes straight into big-endian 32-bit message words (no byte buffer), and the rounds keep the working
// variables in locals: about 0.4 µs per name instead of 1.5 µs.
const ROUND_CONSTANTS = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
  0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
  0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
  0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
  0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
  0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const INITIAL_STATE = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
/** The padded message as 32-bit big-endian words, 16 per 64-byte block. */
let words = new Int32Array(64);
const schedule = new Int32Array(64);
const state = new Int32Array(8);

/** Puts SHA-256 of `a + b + c` in `state`; false (and nothing done) when the text is not all ASCII. */
function sha256Ascii(a: string, b: string, c: string): boolean {
  const length = a.length + b.length + c.length;
  // The message, a 1 bit, zeros, and the length in bits as the last 8 bytes of a 64-byte block.
  const count = ((length + 9 + 63) >> 6) * 16;
  if (words.length < count) {
    words = new Int32Array(count * 2);
  }
  words.fill(0, 0, count);
  const at = copyAscii(c, copyAscii(b, copyAscii(a, 0)));
  if (at < 0) {
    return false;
  }
  words[at >> 2] |= 0x80 << (24 - 8 * (at & 3));
  // Lengths past 512 MB never happen here, so the low word of the bit length suffices.
  words[count - 1] = length * 8;
  state.set(INITIAL_STATE);
  for (let block = 0; block < count; block += 16) {
    compress(block);
  }
  return true;
}

/** Puts the characters of `text` into `words` from byte offset `at`; the offset after it, or -1 when it is not ASCII (or `at` is -1). */
function copyAscii(text: string, at: number): number {
  if (at < 0) {
    return -1;
  }
  const w = words;
  for (let i = 0; i < text.length; i++, at++) {
    const code = text.charCodeAt(i);
    if (code > 127) {
      return -1;
    }
    w[at >> 2] |= code << (24 - 8 * (at & 3));
  }
  return at;
}

/** One 64-byte block (16 words of `words` from `block`) into `state`. */
function compress(block: number): void {
  const w = schedule;
  const m = words;
  for (let i = 0; i < 16; i++) {
    w[i] = m[block + i];
  }
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15];
    const y = w[i - 2];
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
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
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + ROUND_CONSTANTS[i] + w[i]) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
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
