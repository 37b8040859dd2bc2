// kube-proxy's chain-name hash (chainNames.ts hashes ASCII with its own SHA-256): checked against Node's crypto
// for every length across the padding boundaries and several blocks, and against chain names kube-proxy wrote.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { chainHash, endpointChainName, hasChainHash, serviceChainName } from '../../../server/src/kube/chainNames';

/** The reference: base32 (RFC 4648) of the first 10 bytes of Node's SHA-256, as kube-proxy computes it. */
function referenceHash(input: string): string {
  const digest = crypto.createHash('sha256').update(input, 'utf8').digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const byte of digest.subarray(0, 10)) {
    bits += byte.toString(2).padStart(8, '0');
  }
  let out = '';
  for (let i = 0; i < 80; i += 5) {
    out += alphabet[parseInt(bits.slice(i, i + 5), 2)];
  }
  return out;
}

/** A deterministic pseudo-random printable ASCII string of `length` characters. */
function asciiText(length: number, seed: number): string {
  let x = seed * 2654435761 + 1;
  let out = '';
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    out += String.fromCharCode(32 + (x % 95));
  }
  return out;
}

describe('kube-proxy chain-name hash', () => {
  it('equals SHA-256 from Node for every length from 0 to 300 characters', () => {
    for (let length = 0; length <= 300; length++) {
      for (let seed = 1; seed <= 3; seed++) {
        const text = asciiText(length, seed * 1000 + length);
        assert.equal(chainHash(text), referenceHash(text), `length ${length}, seed ${seed}`);
      }
    }
  });

  it('hashes non-ASCII text (through Node) the same way', () => {
    for (const text of ['ns/café:80tcp', 'ns/名前:httpudp10.0.0.1:80', 'x\u0080y', 'ü'.repeat(70)]) {
      assert.equal(chainHash(text), referenceHash(text), text);
    }
  });

  it('checks a name in place from the parts of its hash input, whatever the split', () => {
    const input = 'default/my-nginx:http' + 'tcp' + '10.200.165.70:80';
    const name = 'KUBE-SEP-' + referenceHash(input);
    for (let i = 0; i <= input.length; i += 7) {
      for (let j = i; j <= input.length; j += 11) {
        assert.ok(hasChainHash(name, 9, input.slice(0, i), input.slice(i, j), input.slice(j)), `${i} ${j}`);
      }
    }
    assert.equal(hasChainHash(name, 9, input + 'x'), false);
    assert.equal(hasChainHash(name, 8, input), false, 'wrong offset');
    assert.equal(hasChainHash(name.slice(0, -1), 9, input), false, 'short name');
  });

  it('gives the chain names kube-proxy wrote in the seed dump', () => {
    // ../shared/corpus/SOURCES.md: default/my-nginx (unnamed port 80/tcp, kube-proxy before 1.19 wrote `ns/name:`).
    assert.equal(serviceChainName('default/my-nginx:', 'tcp'), 'KUBE-SVC-BEPXDJBUHFCSYIC3');
    assert.equal(endpointChainName('default/my-nginx:', 'tcp', '10.200.165.70:80'), 'KUBE-SEP-AOFVCMQOP4BSPNKH');
  });
});
