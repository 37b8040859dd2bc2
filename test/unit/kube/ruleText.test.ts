import { strict as assert } from 'node:assert';
import { DISPATCH_KINDS } from '../../../server/src/kube/analysis';
import { chainKind } from '../../../server/src/kube/chainKinds';
import { fastListDispatchMatch, listDispatchMatch } from '../../../server/src/kube/ruleText';
import type { Dump, Rule } from '../../../server/src/model/types';
import { parseDump } from '../../../server/src/parse/index';
import { corpusFiles, readCorpus } from '../../support/corpus';
import { generateKubeDump, renderListing } from '../../support/generateKubeDump';

/** Every `-L` row of the dump. */
function listRows(dump: Dump): Rule[] {
  return dump.tables.filter((table) => table.format === 'list').flatMap((table) => [...table.chains.values()].flatMap((chain) => chain.rules));
}

/** The rows the fast read takes, checked against the read through ruleDetails; and the dispatch rows among them. */
function compareReads(dump: Dump, where: string): { dispatchRows: number; fastDispatchRows: number } {
  let dispatchRows = 0;
  let fastDispatchRows = 0;
  for (const rule of listRows(dump)) {
    const fast = fastListDispatchMatch(rule);
    if (fast !== undefined) {
      assert.deepEqual(fast, listDispatchMatch(rule), `${where}, line ${rule.line + 1}: ${rule.text}`);
    }
    if (DISPATCH_KINDS.has(chainKind(rule.chain.name))) {
      dispatchRows++;
      fastDispatchRows += fast === undefined ? 0 : 1;
    }
  }
  return { dispatchRows, fastDispatchRows };
}

describe('dispatch rows of -L output read by position', () => {
  it('read every row of the corpus as ruleDetails does, where they read it at all', () => {
    let dispatchRows = 0;
    for (const file of corpusFiles()) {
      dispatchRows += compareReads(parseDump(readCorpus(file)), file).dispatchRows;
    }
    assert.ok(dispatchRows > 20, `only ${dispatchRows} dispatch rows: the corpus lost its -L dumps of kube-proxy`);
  });

  for (const exactWithLineNumbers of [false, true]) {
    it(`read almost every dispatch row of a generated -L dump${exactWithLineNumbers ? ' (-x --line-numbers)' : ''}, as ruleDetails does`, () => {
      for (const seed of [1, 2, 3]) {
        const text = renderListing(generateKubeDump({ seed, services: 60, maxEndpoints: 4 }), { exactWithLineNumbers });
        const { dispatchRows, fastDispatchRows } = compareReads(parseDump(text), `seed ${seed}`);
        // The rows left to ruleDetails: the node ports jump (`ADDRTYPE match dst-type LOCAL`) and its like.
        assert.ok(dispatchRows > 60 && fastDispatchRows >= dispatchRows * 0.9, `${fastDispatchRows} of ${dispatchRows} dispatch rows read fast`);
      }
    });
  }

  it('leaves rows of other shapes to ruleDetails', () => {
    const header = 'Chain KUBE-SERVICES (2 references)\n pkts bytes target     prot opt in     out     source               destination         \n';
    const row = (rest: string): string => `    0     0 KUBE-SVC-TCOU7JCQXEZGVUNU  ${rest}`;
    const rows = [
      row('tcp  --  *      *       0.0.0.0/0           !10.96.0.10           /* kube-system/kube-dns:dns-tcp cluster IP */ tcp dpt:53'),
      row('!tcp  --  *      *       0.0.0.0/0            10.96.0.10           /* kube-system/kube-dns:dns-tcp cluster IP */ tcp dpt:53'),
      row('tcp  --  *      *       0.0.0.0/0            10.96.0.10           /* kube-system/kube-dns:dns-tcp cluster IP */ multiport dports 53,54'),
      row('tcp  --  *      *       0.0.0.0/0            10.96.0.10           /* kube-system/kube-dns:dns-tcp cluster IP tcp dpt:53'),
      row('tcp  --  *      *       0.0.0.0/0            10.96.0.10           /* kube-system/kube-dns:dns-tcp cluster IP */\ttcp dpt:53'),
      row('tcp  --  *      *       0.0.0.0/0            10.96.0.10           tcp dpt:53 /* kube-system/kube-dns:dns-tcp cluster IP */'),
      row('tcp  --  *      *       0.0.0.0/0            10.96.0.10           /* kube-system/kube-dns:dns-tcp cluster IP */ tcp dpt:domain'),
    ];
    const dump = parseDump(header + rows.join('\n') + '\n');
    const read = listRows(dump);
    assert.equal(read.length, rows.length);
    for (const rule of read) {
      assert.equal(fastListDispatchMatch(rule), undefined, rule.text);
    }
    // The same row in kube-proxy's shape is read fast, with its values.
    const plain = listRows(parseDump(header + row('tcp  --  *      *       0.0.0.0/0            10.96.0.10/32        /* kube-system/kube-dns:dns-tcp cluster IP */ tcp dpt:53') + '\n'))[0];
    assert.deepEqual(fastListDispatchMatch(plain), { comment: 'kube-system/kube-dns:dns-tcp cluster IP', destination: '10.96.0.10', destinationPort: 53, protocol: 'tcp' });
  });
});
