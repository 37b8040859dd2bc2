import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { looksLikeIptablesDump, DUMP_SNIFF_LINES } from '../../client/src/dumpContent';
import { CORPUS_DIR, readCorpus } from '../support/corpus';

describe('looksLikeIptablesDump', () => {
  const corpus = readdirSync(CORPUS_DIR).filter((name) => !name.endsWith('.md'));
  const iptables = corpus.filter((name) => !name.endsWith('.nft'));
  const nftables = corpus.filter((name) => name.endsWith('.nft'));

  it('has dumps of every kind to look at', () => {
    assert.ok(iptables.length >= 10);
    assert.ok(nftables.length >= 1);
  });

  for (const name of iptables) {
    it(`recognises ${name}`, () => {
      assert.equal(looksLikeIptablesDump(readCorpus(name)), true);
    });
  }

  for (const name of nftables) {
    it(`leaves nftables output alone: ${name}`, () => {
      assert.equal(looksLikeIptablesDump(readCorpus(name)), false);
    });
  }

  it('recognises CRLF line endings and a few lines copied from a terminal', () => {
    const list = readCorpus('seed-calico-nat-L-n-v.txt').split('\n').slice(0, 6).join('\r\n');
    assert.equal(looksLikeIptablesDump(list), true);
    assert.equal(looksLikeIptablesDump('*nat\n:PREROUTING ACCEPT [0:0]\n'), true);
    assert.equal(looksLikeIptablesDump('-P INPUT ACCEPT\n-N KUBE-SERVICES\n'), true);
  });

  it('needs more than one line that merely looks like a dump', () => {
    assert.equal(looksLikeIptablesDump(''), false);
    assert.equal(looksLikeIptablesDump('COMMIT\n'), false);
    assert.equal(looksLikeIptablesDump('-A INPUT -j ACCEPT\n'), false);
    assert.equal(looksLikeIptablesDump('Chain INPUT (policy ACCEPT)\n'), false);
  });

  it('leaves prose, scripts and logs that mention iptables alone', () => {
    const prose = [
      'Notes from the incident review',
      '',
      'We ran iptables -A INPUT to add a rule, then looked at Chain INPUT in the output.',
      'COMMIT the change only after iptables-save shows it.',
      'The "-A KUBE-SERVICES" lines come from kube-proxy.',
    ].join('\n');
    assert.equal(looksLikeIptablesDump(prose), false);
    const script = ['#!/bin/sh', 'set -e', 'iptables -N MYCHAIN', 'iptables -A INPUT -j MYCHAIN', 'iptables -A MYCHAIN -j DROP'].join('\n');
    assert.equal(looksLikeIptablesDump(script), false);
    const log = [
      'I1126 05:40:00.000000       1 proxier.go:800] "Syncing iptables rules"',
      'I1126 05:40:00.100000       1 proxier.go:1500] "Reloading service iptables data" numServices=6',
      '-A KUBE-SERVICES is mentioned once here',
    ].join('\n');
    assert.equal(looksLikeIptablesDump(log), false);
  });

  it(`looks at the first ${DUMP_SNIFF_LINES} lines only`, () => {
    const dump = readCorpus('kube-proxy-TestOverallIPTablesRules.real-S.txt');
    const filler = Array.from({ length: DUMP_SNIFF_LINES }, (_, i) => `log line ${i}`).join('\n');
    assert.equal(looksLikeIptablesDump(`${filler}\n${dump}`), false);
    const shortFiller = Array.from({ length: 5 }, (_, i) => `log line ${i}`).join('\n');
    assert.equal(looksLikeIptablesDump(`${shortFiller}\n${dump}`), true);
  });
});
