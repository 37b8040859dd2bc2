// Incremental edits: a model patched line by line must equal a fresh parse of the edited text, on every
// corpus dump, for edits that stay inside rules (patched) and for those that do not (parsed again).
import { strict as assert } from 'node:assert';
import { DumpDocument } from '../../../server/src/features/document';
import type { TextEdit } from '../../../server/src/features/document';
import type { Dump } from '../../../server/src/model/types';
import { parseLines } from '../../../server/src/parse/index';
import { patchRuleLines } from '../../../server/src/parse/incremental';
import { corpusFiles, readCorpus } from '../../support/corpus';
import { generateKubeDump, renderListing, renderSave } from '../../support/generateKubeDump';
import { modelSnapshot } from '../../support/modelSnapshot';
import { seededRandom } from '../../support/random';

function edit(line: number, character: number, endCharacter: number, text: string): TextEdit {
  return { range: { start: { line, character }, end: { line, character: endCharacter } }, text };
}

/** Lines of rules whose target is a chain of the same table (so an edit there moves a reference). */
function ruleLines(dump: Dump): number[] {
  const lines: number[] = [];
  dump.lineOwners.forEach((owner, line) => {
    if (owner && 'bodyStart' in owner) {
      lines.push(line);
    }
  });
  return lines;
}

describe('incremental edits', () => {
  for (const file of corpusFiles()) {
    it(`patches rule lines of ${file} as a fresh parse reads them`, () => {
      let doc = DumpDocument.fromText('file:///x', 1, readCorpus(file));
      const rules = ruleLines(doc.dump);
      const picks = [0, Math.floor(rules.length / 3), Math.floor(rules.length / 2), rules.length - 1]
        .map((i) => rules[i])
        .filter((l) => l !== undefined);
      let version = 1;
      for (const line of picks) {
        const text = doc.lines[line];
        const target = doc.dump.lineOwners[line];
        const targetSpan = target && 'bodyStart' in target ? target.target?.span : undefined;
        const edits: TextEdit[][] = [
          [edit(line, text.length, text.length, 'x')], // typing at the end
          [edit(line, text.length, text.length + 1, '')], // and back
          ...(targetSpan ? [[edit(line, targetSpan.end - 1, targetSpan.end, 'Q')]] : []), // a jump to a chain that does not exist
          [edit(line, 0, 0, '#')], // a rule turned into a comment: not local
          [edit(line, 0, 1, '')],
          [edit(line, text.length, text.length, '\n')], // a new line: not local
          [edit(line, text.length, text.length, '')],
        ];
        for (const change of edits) {
          doc = doc.withEdits(++version, change);
          assert.deepEqual(
            modelSnapshot(doc.dump),
            modelSnapshot(parseLines(doc.lines.slice())),
            `${file} line ${line} after ${JSON.stringify(change)}`,
          );
        }
      }
    });
  }

  it('reads only the edited rule when the edit stays inside it', () => {
    const lines = ['*nat', ':PREROUTING ACCEPT [0:0]', ':A - [0:0]', ':B - [0:0]', '-A PREROUTING -j A', '-A A -p tcp -j B', 'COMMIT'];
    const dump = parseLines(lines.slice());
    const edited = lines.slice();
    edited[5] = '-A A -p udp -j RETURN';
    assert.equal(patchRuleLines(dump, edited, 5, 5), true);
    assert.deepEqual(modelSnapshot(dump), modelSnapshot(parseLines(edited.slice())));
    edited[2] = ':C - [0:0]';
    assert.equal(patchRuleLines(dump, edited, 2, 2), false, 'a declaration is not a rule edit');
  });
});

/**
 * A random edit that adds or removes whole lines anywhere (not only among rules): Enter at the end or start of a
 * line, deleting a line or two, a line copied from elsewhere pasted above or below a line.
 */
function randomLineEdit(lines: readonly string[], random: () => number): TextEdit {
  const line = Math.floor(random() * lines.length);
  const at = (l: number, c: number): { line: number; character: number } => ({ line: l, character: c });
  const insertAt = (l: number, c: number, text: string): TextEdit => ({ range: { start: at(l, c), end: at(l, c) }, text });
  const choice = random();
  if (choice < 0.25) {
    return insertAt(line, lines[line].length, '\n');
  }
  if (choice < 0.4) {
    return insertAt(line, 0, '\n');
  }
  if (choice < 0.7 && line + 2 < lines.length) {
    const last = random() < 0.8 ? line : line + 1;
    return { range: { start: at(line, 0), end: at(last + 1, 0) }, text: '' };
  }
  const copied = lines[Math.max(0, Math.min(lines.length - 1, line + Math.floor(random() * 41) - 20))];
  return random() < 0.5 ? insertAt(line, 0, `${copied}\n`) : insertAt(line, lines[line].length, `\n${copied}`);
}

/** Whether `text` looks like a rule: `-A` in save output, a row with counters in `-L -v` output. */
function looksLikeRule(text: string): boolean {
  return text.startsWith('-A ') || /^\s*\d+[KMG]?\s+\d/.test(text);
}

/**
 * 2–40 lines removed, or copied from near by and pasted, or 2–40 rule lines each given a character, in one change;
 * mostly runs of rule lines (a block with a declaration in it is parsed again, which tests little).
 */
function randomBlockEdit(lines: readonly string[], random: () => number): TextEdit[] {
  const at = (l: number, c: number): { line: number; character: number } => ({ line: l, character: c });
  const size = 2 + Math.floor(random() * 39);
  /** From `line`, the end of a run of at most `size` lines, rule lines only unless `any`. */
  const runEnd = (line: number, any: boolean): number => {
    let end = line;
    while (end < lines.length && end - line < size && (any || looksLikeRule(lines[end]))) {
      end++;
    }
    return end;
  };
  let line = Math.floor(random() * lines.length);
  const any = random() < 0.2;
  for (let tries = 0; !any && tries < 50 && !looksLikeRule(lines[line]); tries++) {
    line = Math.floor(random() * lines.length);
  }
  const choice = random();
  const end = runEnd(line, any);
  if (choice < 0.35 && end > line && end < lines.length) {
    return [{ range: { start: at(line, 0), end: at(end, 0) }, text: '' }];
  }
  if (choice < 0.7) {
    const from = Math.max(0, Math.min(lines.length - 1, line + Math.floor(random() * 81) - 40));
    const to = Math.max(from + 1, runEnd(from, any));
    return [{ range: { start: at(line, 0), end: at(line, 0) }, text: `${lines.slice(from, to).join('\n')}\n` }];
  }
  const edits: TextEdit[] = [];
  for (let l = line; l < end; l++) {
    edits.push({ range: { start: at(l, lines[l].length), end: at(l, lines[l].length) }, text: ' ' });
  }
  return edits.length > 0 ? edits : [{ range: { start: at(line, 0), end: at(line, 0) }, text: '\n' }];
}

describe('incremental edits that add or remove lines', () => {
  const texts: [string, () => string][] = corpusFiles().map((file) => [file, () => readCorpus(file)]);
  texts.push(['generated save', () => renderSave(generateKubeDump({ seed: 21, services: 15 }))]);
  texts.push([
    'generated -L -n -v --line-numbers',
    () => renderListing(generateKubeDump({ seed: 22, services: 15 }), { exactWithLineNumbers: true }),
  ]);
  const paths = new Map<string, number>();

  for (const [name, text] of texts) {
    it(`updates the model of ${name} as a fresh parse reads it (or parses again)`, () => {
      const random = seededRandom(name.length * 31 + 7);
      let doc = DumpDocument.fromText('file:///x', 1, text());
      for (let step = 0; step < 150; step++) {
        const change = randomLineEdit(doc.lines, random);
        doc = doc.withEdits(doc.version + 1, [change]);
        const parsed = doc.parseComputation!;
        const path = parsed.incremental ? parsed.edit : 'parsed';
        paths.set(path, (paths.get(path) ?? 0) + 1);
        assert.deepStrictEqual(
          modelSnapshot(doc.dump),
          modelSnapshot(parseLines(doc.lines.slice())),
          `${name} step ${step}: ${JSON.stringify(change)}`,
        );
      }
    });
  }

  it('took the in-place paths for many of those edits', () => {
    for (const path of ['blank-lines', 'rules-inserted', 'rules-removed', 'list-rows']) {
      assert.ok((paths.get(path) ?? 0) > 80, `${path}: ${paths.get(path) ?? 0} of ${JSON.stringify([...paths])}`);
    }
  });

  // Blocks of lines removed or pasted, and many rule lines edited in one change (as a replace-all sends them): many
  // rules of one chain and many jumps to one chain at once, which the model takes in one pass per chain.
  const blockPaths = new Map<string, number>();
  const blockTexts = [
    ...texts,
    ['generated save, 80 services', () => renderSave(generateKubeDump({ seed: 23, services: 80 }))] as [string, () => string],
  ];
  for (const [name, text] of blockTexts) {
    it(`follows blocks of lines removed, pasted and edited together in ${name}`, () => {
      const random = seededRandom(name.length * 17 + 3);
      let doc = DumpDocument.fromText('file:///x', 1, text());
      for (let step = 0; step < 60; step++) {
        const changes = randomBlockEdit(doc.lines, random);
        doc = doc.withEdits(doc.version + 1, changes);
        const parsed = doc.parseComputation!;
        const path = parsed.incremental ? parsed.edit : 'parsed';
        blockPaths.set(path, (blockPaths.get(path) ?? 0) + 1);
        assert.deepStrictEqual(
          modelSnapshot(doc.dump),
          modelSnapshot(parseLines(doc.lines.slice())),
          `${name} step ${step}: ${JSON.stringify(changes).slice(0, 2000)}`,
        );
      }
    });
  }

  it('took the in-place paths for many of those blocks', () => {
    for (const path of ['rules-inserted', 'rules-removed', 'rule-lines']) {
      assert.ok((blockPaths.get(path) ?? 0) > 25, `${path}: ${blockPaths.get(path) ?? 0} of ${JSON.stringify([...blockPaths])}`);
    }
  });

  /**
   * What a user annotating a dump does: `#` typed at the start of a random line (a rule commented out, or a header,
   * a declaration, a blank line), a leading `#` deleted (a rule back in), a note typed on a line of its own, a
   * comment edited or deleted, Enter at the end of a comment.
   */
  function randomCommentEdit(lines: readonly string[], random: () => number): TextEdit {
    const at = (l: number, c: number): { line: number; character: number } => ({ line: l, character: c });
    const insertAt = (l: number, c: number, text: string): TextEdit => ({ range: { start: at(l, c), end: at(l, c) }, text });
    const comments = lines.flatMap((text, line) => (/^ *#/.test(text) ? [line] : []));
    const line = Math.floor(random() * lines.length);
    const comment = comments[Math.floor(random() * comments.length)];
    const choice = random();
    if (comment === undefined || choice < 0.3) {
      // In the first column, or after the indentation (where VS Code's comment toggle puts it).
      return insertAt(line, random() < 0.5 ? 0 : /^ */.exec(lines[line])![0].length, random() < 0.5 ? '#' : '# ');
    }
    if (choice < 0.5) {
      const hash = lines[comment].indexOf('#');
      return { range: { start: at(comment, hash), end: at(comment, hash + 1) }, text: '' };
    }
    if (choice < 0.65) {
      return random() < 0.5 ? insertAt(line, 0, '# a note\n') : insertAt(line, lines[line].length, '\n# a note');
    }
    if (choice < 0.8) {
      return insertAt(comment, lines[comment].length, random() < 0.5 ? ' typed' : '\n');
    }
    return comment + 1 < lines.length ? { range: { start: at(comment, 0), end: at(comment + 1, 0) }, text: '' } : insertAt(comment, 1, ' ');
  }

  const commentPaths = new Map<string, number>();
  for (const [name, text] of texts) {
    it(`follows comments typed, edited and deleted, and rules commented out and back in, in ${name}`, () => {
      const random = seededRandom(name.length * 53 + 11);
      let doc = DumpDocument.fromText('file:///x', 1, text());
      for (let step = 0; step < 80; step++) {
        const change = randomCommentEdit(doc.lines, random);
        doc = doc.withEdits(doc.version + 1, [change]);
        const parsed = doc.parseComputation!;
        const path = parsed.incremental ? parsed.edit : 'parsed';
        commentPaths.set(path, (commentPaths.get(path) ?? 0) + 1);
        assert.deepStrictEqual(
          modelSnapshot(doc.dump),
          modelSnapshot(parseLines(doc.lines.slice())),
          `${name} step ${step}: ${JSON.stringify(change)}`,
        );
      }
    });
  }

  it('took the in-place paths for most of those comments', () => {
    for (const [path, least] of [
      ['comment-lines', 300],
      ['lines-replaced', 150],
    ] as const) {
      assert.ok((commentPaths.get(path) ?? 0) > least, `${path}: ${commentPaths.get(path) ?? 0} of ${JSON.stringify([...commentPaths])}`);
    }
  });

  const save = [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':A - [0:0]',
    ':B - [0:0]',
    '-A PREROUTING -j A',
    '-A A -p tcp -j B',
    '-A A -j RETURN',
    'COMMIT',
  ];
  const list = [
    'Chain INPUT (policy ACCEPT)',
    'target     prot opt source               destination',
    'A          all  --  0.0.0.0/0            0.0.0.0/0',
    '',
    'Chain A (1 references)',
    'target     prot opt source               destination',
    'RETURN     tcp  --  0.0.0.0/0            0.0.0.0/0',
    'ACCEPT     udp  --  0.0.0.0/0            0.0.0.0/0',
    '',
  ];
  const listWithBlank = [...list.slice(0, 7), '', ...list.slice(7)];
  const listVerbose = [
    'Chain INPUT (policy ACCEPT 0 packets, 0 bytes)',
    ' pkts bytes target     prot opt in     out     source               destination',
    '    0     0 A          all  --  *      *       0.0.0.0/0            0.0.0.0/0',
    '    5   300 A          tcp  --  *      *       0.0.0.0/0            0.0.0.0/0',
    '',
    'Chain A (2 references)',
    ' pkts bytes target     prot opt in     out     source               destination',
    '    0     0 RETURN     all  --  *      *       0.0.0.0/0            0.0.0.0/0',
    '',
  ];
  const listMark = (name: string): string[] => [
    'Chain FORWARD (policy ACCEPT 0 packets, 0 bytes)',
    `Chain ${name} (1 references)`,
    '    0     0 MARK       all  --  *      *       0.0.0.0/0            0.0.0.0/0            MARK or 0x4000',
    '',
    'Chain X (0 references)',
    '    0     0 MARK       all  --  *      *       0.0.0.0/0            0.0.0.0/0            MARK or 0x4000',
  ];
  const listWithGarbage = [...list.slice(0, 6), 'this is no row', ...list.slice(6)];
  // Found by a walk of random edits: rows above a column header, and one below it.
  const listUnderBrokenHeader = [
    'Chain INPUT (policy ACCEPT 0 packets, 0 bytes)',
    '    0     0 KUBE-EXTERNAL-SERVICES  0    --  *      *       0.0.0.0/0            0.0.0.0/0            ctstate NEW',
    '    0     0 DNAT       6    --  *      *       0.0.0.0/0            0.0.0.0/0            /* auth/users-52:web */ tcp to:10.244.0.78:8443',
    ' pkts bytes target     prot opt in     out     source               destination         ',
    '    0     0 KUBE-MARK-MASQ  6    --  *      *      !10.244.0.0/14        10.96.0.92           /* shop/orders-83 cluster IP */ tcp dpt:80',
  ];
  const listWithoutColumnHeaders = [
    'Chain KUBE-EXT-A (4 references)',
    '    0     0 KUBE-SVC-X27LE4BHSL4DOUIK  0    --  *      *       0.0.0.0/0            0.0.0.0/0',
    '',
  ];
  const cases: [string, string[], TextEdit, ParsePath][] = [
    ['Enter at the end of a save rule', save, edit(5, save[5].length, save[5].length, '\n'), 'blank-lines'],
    [
      'a blank line removed',
      [...save.slice(0, 6), '', ...save.slice(6)],
      { range: { start: { line: 5, character: save[5].length }, end: { line: 6, character: 0 } }, text: '' },
      'blank-lines',
    ],
    ["a rule pasted among its chain's rules", save, edit(6, 0, 0, '-A A -p udp -j B\n'), 'rules-inserted'],
    ['a rule of another chain pasted', save, edit(6, 0, 0, '-A PREROUTING -j B\n'), 'rules-inserted'],
    [
      'a rule line deleted',
      save,
      { range: { start: { line: 5, character: 0 }, end: { line: 6, character: 0 } }, text: '' },
      'rules-removed',
    ],
    ['Enter after the last row of an -L chain', list, edit(7, list[7].length, list[7].length, '\n'), 'blank-lines'],
    ["an -L row pasted among its chain's rows", list, edit(7, 0, 0, `${list[6]}\n`), 'list-rows'],
    [
      'Enter between the rows of an -L chain (the rows below are no longer its)',
      list,
      edit(6, list[6].length, list[6].length, '\n'),
      'list-rows',
    ],
    [
      'the blank line between the rows of an -L chain deleted (they are its rows again)',
      listWithBlank,
      { range: { start: { line: 6, character: list[6].length }, end: { line: 7, character: 0 } }, text: '' },
      'list-rows',
    ],
    ['Enter at the end of an -L chain header (no row is its)', list, edit(4, list[4].length, list[4].length, '\n'), 'list-rows'],
    ['Enter at the end of an -L column header', list, edit(5, list[5].length, list[5].length, '\n'), 'list-rows'],
    ['Enter at the start of an -L chain header', list, edit(4, 0, 0, '\n'), 'blank-lines'],
    ['Enter at the start of the first -L row', list, edit(6, 0, 0, '\n'), 'list-rows'],
    ['a row no chain holds edited', listWithBlank, edit(8, 0, 1, 'D'), 'list-rows'],
    [
      'a row no chain holds deleted',
      listWithBlank,
      { range: { start: { line: 8, character: 0 }, end: { line: 9, character: 0 } }, text: '' },
      'list-rows',
    ],
    ['an -L row cleared (a blank line in its place)', list, edit(6, 0, list[6].length, ''), 'list-rows'],
    ['an -L row cut short (no longer a row)', list, edit(6, 20, list[6].length, ''), 'list-rows'],
    ['a blank line between -L rows filled with a row', listWithBlank, edit(7, 0, 0, list[7]), 'list-rows'],
    ['an -L row turned into a chain header', list, edit(6, 0, list[6].length, 'Chain C (0 references)'), 'parsed'],
    ['an -L row turned into a comment', list, edit(6, 0, 0, '# '), 'lines-replaced'],
    ['an indented -L -v row commented out after its indentation (as the editor toggles it)', listVerbose, edit(2, 4, 4, '# '), 'list-rows'],
    [
      'an indented comment deleted: the -L -v row is back',
      [...listVerbose.slice(0, 2), `    # ${listVerbose[2].slice(4)}`, ...listVerbose.slice(3)],
      edit(2, 4, 6, ''),
      'list-rows',
    ],
    ['a character typed in a declaration (the chain is made by its first rule)', save, edit(2, 2, 2, 'Z'), 'declaration'],
    ['a declaration commented out (its chain is made by its first rule)', save, edit(2, 0, 0, '#'), 'declaration'],
    ['the declaration of a chain only jumped to commented out (the jumps are errors)', save, edit(3, 0, 0, '#'), 'declaration'],
    ['a declaration of a chain rules jump to typed', [...save.slice(0, 3), ':C - [0:0]', ...save.slice(4)], edit(3, 1, 2, 'B'), 'declaration'],
    ['`:` typed on an empty line among the declarations', [...save.slice(0, 3), '', ...save.slice(3)], edit(3, 0, 0, ':'), 'declaration'],
    ['a declaration finished on its own line', [...save.slice(0, 3), ':C ', ...save.slice(3)], edit(3, 3, 3, '-'), 'declaration'],
    ['a rule commented out', save, edit(5, 0, 0, '#'), 'lines-replaced'],
    ['a rule commented back in', [...save.slice(0, 5), `#${save[5]}`, ...save.slice(6)], edit(5, 0, 1, ''), 'lines-replaced'],
    ['the last rule of a table commented out (the table ends at COMMIT)', save, edit(6, 0, 0, '# '), 'lines-replaced'],
    ['a comment line typed below a rule', save, edit(5, save[5].length, save[5].length, '\n# note'), 'comment-lines'],
    ['a comment line typed above the first table', save, edit(0, 0, 0, '# note\n'), 'comment-lines'],
    ['a comment line typed after COMMIT', save, edit(7, 6, 6, '\n# note'), 'comment-lines'],
    ['# typed on an empty line', [...save.slice(0, 6), '', ...save.slice(6)], edit(6, 0, 0, '#'), 'comment-lines'],
    ['a comment edited', [...save.slice(0, 6), '# note', ...save.slice(6)], edit(6, 6, 6, 's'), 'comment-lines'],
    ['Enter at the end of a comment line', [...save.slice(0, 6), '# note', ...save.slice(6)], edit(6, 6, 6, '\n'), 'blank-lines'],
    [
      'a comment line deleted',
      [...save.slice(0, 6), '# note', ...save.slice(6)],
      { range: { start: { line: 5, character: save[5].length }, end: { line: 6, character: 6 } }, text: '' },
      'comment-lines',
    ],
    ["a comment line typed among an -L chain's rows", list, edit(6, list[6].length, list[6].length, '\n# note'), 'comment-lines'],
    ['the blank line before an -L chain header turned into a comment', list, edit(3, 0, 0, '# x'), 'comment-lines'],
    [
      "Enter at the end of an -L chain's last row, above a comment and a blank line (which end the rows anyway)",
      [...list.slice(0, 3), '# note', ...list.slice(3)],
      edit(2, list[2].length, list[2].length, '\n'),
      'blank-lines',
    ],
    // The blank line ended the chain's rows: as a comment it no longer does, and the rows below become the chain's.
    ["a blank line between an -L chain's rows turned into a comment", listWithBlank, edit(7, 0, 0, '#'), 'parsed'],
    [
      'a `# Generated by ip6tables-save` line typed above a table (it makes the next table IPv6)',
      save,
      edit(0, 0, 0, '# Generated by ip6tables-save v1.8.9\n'),
      'parsed',
    ],
    ['a root prompt typed as a comment (it names the table below)', save, edit(7, 6, 6, '\n# iptables -t filter -L -n'), 'parsed'],
    [
      'an -L chain header deleted',
      list,
      { range: { start: { line: 4, character: 0 }, end: { line: 5, character: 0 } }, text: '' },
      'parsed',
    ],
    ['a declaration pasted', save, edit(3, 0, 0, ':C - [0:0]\n'), 'parsed'],
    // Its chain is made last in the table, where a fresh parse makes it (with its error and hint).
    ['a rule of an undeclared chain pasted', save, edit(6, 0, 0, '-A C -j ACCEPT\n'), 'rules-inserted'],
    // A fresh parse would make C before D, which the model has made already.
    [
      'a rule of an undeclared chain pasted above one of another',
      [...save.slice(0, 6), '-A D -j ACCEPT', ...save.slice(6)],
      edit(5, 0, 0, '-A C -j ACCEPT\n'),
      'parsed',
    ],
    // A fresh parse would give the jump to C its chain.
    [
      'a rule of an undeclared chain pasted below a jump to it',
      [...save.slice(0, 6), '-A A -j C', ...save.slice(6)],
      edit(7, 0, 0, '-A C -j ACCEPT\n'),
      'parsed',
    ],
    [
      'the only rule of an undeclared chain deleted',
      [...save.slice(0, 6), '-A C -j ACCEPT', ...save.slice(6)],
      { range: { start: { line: 6, character: 0 }, end: { line: 7, character: 0 } }, text: '' },
      'rules-removed',
    ],
    ['a rule typed on an empty line', [...save.slice(0, 6), '', ...save.slice(6)], edit(6, 0, 0, '-A A -j B'), 'lines-replaced'],
    ["a rule's chain name edited to a chain no line declares", save, edit(5, 4, 4, 'X'), 'lines-replaced'],
    ['an -I rule pasted', save, edit(6, 0, 0, '-I A -j ACCEPT\n'), 'parsed'],
    [
      'COMMIT deleted',
      save,
      { range: { start: { line: 6, character: save[6].length }, end: { line: 7, character: 4 } }, text: '' },
      'parsed',
    ],
    ['a declaration deleted', save, { range: { start: { line: 3, character: 0 }, end: { line: 4, character: 0 } }, text: '' }, 'parsed'],
    ['a rule line split in two (a rule and a line no reader takes)', save, edit(5, 8, 8, '\n'), 'lines-replaced'],
    [
      'the two halves of a rule line joined again',
      [...save.slice(0, 5), '-A A -p ', 'tcp -j B', ...save.slice(6)],
      { range: { start: { line: 5, character: 8 }, end: { line: 6, character: 0 } }, text: '' },
      'lines-replaced',
    ],
    ['a rule line split in two rules', save, edit(5, 11, 11, '\n-A A'), 'lines-replaced'],
    ['a line no reader takes typed below a rule', save, edit(5, save[5].length, save[5].length, '\nx'), 'rules-inserted'],
    ['two lines no reader takes and a rule pasted', save, edit(6, 0, 0, 'x\ny\n-A A -j B\n'), 'rules-inserted'],
    [
      'a line no reader takes deleted',
      [...save.slice(0, 6), 'x', ...save.slice(6)],
      { range: { start: { line: 5, character: save[5].length }, end: { line: 6, character: 1 } }, text: '' },
      'rules-removed',
    ],
    [
      'a line no reader takes deleted below the table header (no rule or declaration above it)',
      [save[0], 'x', ...save.slice(1)],
      { range: { start: { line: 0, character: save[0].length }, end: { line: 1, character: 1 } }, text: '' },
      'parsed',
    ],
    [
      'a shell prompt typed below a rule (it names the tables below)',
      save,
      edit(5, save[5].length, save[5].length, '\n$ iptables -t filter -L'),
      'parsed',
    ],
    ['a line no reader takes typed after COMMIT', save, edit(7, 6, 6, '\nx'), 'parsed'],
    ['a line no reader takes typed below an -L row', list, edit(6, list[6].length, list[6].length, '\nx y'), 'list-rows'],
    // `:C X - [0:0]` declares nothing (a bad declaration): chain C, which a rule made, keeps its error and hint.
    [
      'a declaration retyped to declare nothing, its first word the name of a chain a rule made',
      ['*nat', ':PREROUTING ACCEPT [0:0]', ':CX - [0:0]', '-A PREROUTING -j CX', '-A C -j RETURN', 'COMMIT'],
      edit(2, 2, 2, ' '),
      'declaration',
    ],
    // The error of a line that is no row names the chain whose rows it is among: retyped with the chain's header.
    ['an -L chain header retyped above a line that is no row', listWithGarbage, edit(4, 7, 7, 'B'), 'declaration'],
    // A listing without a table name is named after its chains (KUBE-SVC-… are nat's): retyped, it may be filter's.
    [
      'the only chain of an unnamed -L listing retyped to a name no table is known by',
      ['Chain KUBE-SVC-KGCYQ3SE53RKYGKY (1 references)', 'target     prot opt source               destination'],
      edit(0, 6, 31, 'web'),
      'parsed',
    ],
    // MARK is a target: the rows that jump to MARK jump to a chain named MARK, and to nothing that is an error without it.
    ["an -L chain header retyped to a built-in target's name", listMark('KUBE-MARK-MASQ'), edit(1, 6, 20, 'MARK'), 'parsed'],
    ["an -L chain header retyped from a built-in target's name", listMark('MARK'), edit(1, 10, 10, 'X'), 'parsed'],
    [
      "a rule's chain name retyped to a built-in target's name (the rule makes a chain MARK)",
      ['*mangle', ':PREROUTING ACCEPT [0:0]', ':X - [0:0]', '-A PREROUTING -j MARK --set-mark 1', '-A X -j ACCEPT', 'COMMIT'],
      edit(4, 3, 4, 'MARK'),
      'parsed',
    ],
    [
      "a save declaration retyped from a built-in target's name",
      ['*mangle', ':PREROUTING ACCEPT [0:0]', ':MARK - [0:0]', '-A PREROUTING -j MARK --set-mark 1', 'COMMIT'],
      edit(2, 5, 5, 'X'),
      'parsed',
    ],
    // A MASQUERADE target names an unnamed listing nat: edited away, the table is filter's.
    [
      "the only MASQUERADE row's target edited in an unnamed -L listing",
      ['Chain cali-nat-outgoing (1 references)', '   13   780 MASQUERADE  all  --  *      *       0.0.0.0/0            0.0.0.0/0'],
      edit(1, 19, 19, 'x'),
      'parsed',
    ],
    // Without a column header, the columns are guessed from each row: `0 0 0 0 --` is a numbered row with counters
    // and no target, which the row typed over reads as too.
    ["a row's target deleted in an -L listing without column headers", listWithoutColumnHeaders, edit(1, 12, 37, '0'), 'rule-lines'],
    ["a row typed below another in an -L listing without column headers", listWithoutColumnHeaders, edit(1, listWithoutColumnHeaders[1].length, listWithoutColumnHeaders[1].length, '\n    0     0 0  0    --  *      *       0.0.0.0/0            0.0.0.0/0'), 'list-rows'],
    // The rows below a column header broken are read again, in guessed columns, as a fresh parse reads them: a rule
    // kept must not say it was read under a header (a row typed next to it would be read in that header's columns).
    ['an -L column header broken above a row', listUnderBrokenHeader, edit(3, 16, 17, ''), 'list-rows'],
  ];
  for (const [what, lines, change, expected] of cases) {
    it(`${what}: ${expected === 'parsed' ? 'parses again' : `updates the model in place (${expected})`}`, () => {
      const doc = DumpDocument.fromText('file:///x', 1, lines.join('\n')).withEdits(2, [change]);
      const parsed = doc.parseComputation!;
      assert.equal(parsed.incremental ? parsed.edit : 'parsed', expected);
      assert.deepStrictEqual(modelSnapshot(doc.dump), modelSnapshot(parseLines(doc.lines.slice())));
    });
  }
});

type ParsePath =
  'blank-lines' | 'comment-lines' | 'rules-inserted' | 'rules-removed' | 'lines-replaced' | 'list-rows' | 'rule-lines' | 'declaration' | 'parsed';

describe('a rule typed character by character on a new line, and its chain name edited (in place), equal a fresh parse', function () {
  this.timeout(300000);
  const texts: [string, string][] = [
    ['generated save', renderSave(generateKubeDump({ seed: 23, services: 40, maxEndpoints: 4 }))],
    // Corpus dumps in save format with plain `-A` rules (some have `[packets:bytes]` before them).
    ...corpusFiles()
      .map((file): [string, string] => [file, readCorpus(file)])
      .filter(([, text]) => text.includes('\nCOMMIT') && text.split('\n').filter((line) => line.startsWith('-A ')).length > 10),
  ];
  const tally = new Map<string, number>();
  const count = (doc: DumpDocument): void => {
    const made = doc.parseComputation;
    const key = made?.incremental ? made.edit : 'parsed';
    tally.set(key, (tally.get(key) ?? 0) + 1);
  };
  const check = (doc: DumpDocument, what: string): void => {
    count(doc);
    assert.deepEqual(modelSnapshot(doc.dump), modelSnapshot(parseLines(doc.lines.slice())), what);
  };

  for (const [name, text] of texts) {
    it(`${name}: types a rule below rules in the middle and at the end of a table, then deletes it`, () => {
      let doc = DumpDocument.fromText('file:///typed', 1, text);
      const rules = ruleLines(doc.dump).filter((line) => doc.lines[line].startsWith('-A '));
      assert.ok(rules.length > 2, `${name}: ${rules.length} -A rules`);
      let version = 1;
      for (const at of [rules[Math.floor(rules.length / 2)], rules[rules.length - 1]]) {
        const chain = /^-A (\S+)/.exec(doc.lines[at])![1];
        const other = /^-A (\S+)/.exec(doc.lines[rules[0]])![1];
        // Enter at the end of the rule, then a rule typed on the new line: a chain that exists (the rule's), one
        // character at a time through the names of chains that do not (K, KU …), to a jump to another chain.
        const end = doc.lines[at].length;
        doc = doc.withEdits(++version, [edit(at, end, end, '\n')]);
        check(doc, `${name}: Enter after line ${at}`);
        const typed = `-A ${chain} -s 10.0.0.1/32 -j ${other}`;
        for (let i = 0; i < typed.length; i++) {
          doc = doc.withEdits(++version, [edit(at + 1, i, i, typed[i])]);
          check(doc, `${name}: ${JSON.stringify(typed.slice(0, i + 1))} typed below line ${at}`);
        }
        // Its chain name edited: a character typed in it (a chain no line declares), and deleted again.
        const inName = '-A '.length + Math.floor(chain.length / 2);
        doc = doc.withEdits(++version, [edit(at + 1, inName, inName, 'Z')]);
        check(doc, `${name}: Z typed in the chain name below line ${at}`);
        doc = doc.withEdits(++version, [edit(at + 1, inName, inName + 1, '')]);
        check(doc, `${name}: Z deleted below line ${at}`);
        // Backspace to the start of the line, then the empty line joined to the rule above.
        for (let i = typed.length; i > 0; i--) {
          doc = doc.withEdits(++version, [edit(at + 1, i - 1, i, '')]);
          check(doc, `${name}: ${JSON.stringify(typed.slice(0, i - 1))} left below line ${at}`);
        }
        doc = doc.withEdits(++version, [{ range: { start: { line: at, character: end }, end: { line: at + 1, character: 0 } }, text: '' }]);
        check(doc, `${name}: the empty line below line ${at} deleted`);
        assert.equal(doc.lines.join('\n'), text);
      }
    });
  }

  it('places the callers of a chain in table order after chains were made and dropped by chain names typed and deleted', () => {
    // A chain made by a rule, then dropped, leaves the table with as many chains as before the next one is made: the
    // order of chains kept to place the callers of a chain must not be taken for the new table's.
    let doc = DumpDocument.fromText('file:///made-twice', 1, texts[0][1]);
    // Service chains' jumps to endpoint chains and endpoint chains' rules in turn, across the dump: a rule moved to a
    // chain made needs the order of chains (made then, with that chain), a rule moved back may not (its jump is its
    // target's last caller again), and the next chain made finds an order of as many chains.
    const sep = doc.lines.flatMap((line, i) => (/^-A KUBE-SEP-/.test(line) ? [i] : []));
    const svc = doc.lines.flatMap((line, i) => (/^-A KUBE-SVC-.* -j KUBE-SEP-/.test(line) ? [i] : []));
    for (let pick = 0; pick < 30; pick++) {
      const rules = pick % 2 === 0 ? svc : sep;
      const at = rules[Math.floor((pick * rules.length) / 30)];
      const nameEnd = doc.lines[at].indexOf(' ', 3);
      doc = doc.withEdits(doc.version + 1, [edit(at, nameEnd, nameEnd, 'Z')]);
      check(doc, `Z typed in the chain name of line ${at + 1}`);
      doc = doc.withEdits(doc.version + 1, [edit(at, nameEnd, nameEnd + 1, '')]);
      check(doc, `Z deleted in the chain name of line ${at + 1}`);
    }
  });

  it('followed nearly every keystroke in place', () => {
    const parsed = tally.get('parsed') ?? 0;
    const all = [...tally.values()].reduce((a, b) => a + b, 0);
    assert.ok(all > 300, `${all} edits`);
    assert.ok(parsed <= all / 20, `parsed whole ${parsed} times of ${all}: ${JSON.stringify([...tally])}`);
  });
});

/**
 * `check(doc, what)` compares a document after edits with a fresh parse of its text: the model, the kube-proxy
 * analysis's services (reused after an edit that changes no chain, made again after one that does) and the
 * diagnostics. `tally` counts how the model of each checked document was made (not when `counted` is false).
 */
function freshParseCheck(): { tally: Map<string, number>; check: (doc: DumpDocument, what: string, counted?: boolean) => void } {
  const tally = new Map<string, number>();
  const check = (doc: DumpDocument, what: string, counted = true): void => {
    const made = doc.parseComputation;
    const key = made?.incremental ? made.edit : 'parsed';
    if (counted) {
      tally.set(key, (tally.get(key) ?? 0) + 1);
    }
    const fresh = DumpDocument.fromText('file:///fresh', 1, doc.lines.join('\n'));
    assert.deepEqual(modelSnapshot(doc.dump), modelSnapshot(fresh.dump), what);
    assert.deepEqual(JSON.parse(JSON.stringify(doc.kube.services)), JSON.parse(JSON.stringify(fresh.kube.services)), `${what}: services`);
    assert.deepEqual(
      doc.diagnostics.map((d) => JSON.stringify(d)).sort(),
      fresh.diagnostics.map((d) => JSON.stringify(d)).sort(),
      `${what}: diagnostics`,
    );
  };
  return { tally, check };
}

describe('a `Chain` header retyped in -L output (in place) equals a fresh parse', function () {
  this.timeout(300000);
  const texts: [string, string][] = [
    ['generated -L', renderListing(generateKubeDump({ seed: 41, services: 30, maxEndpoints: 3 }))],
    ...corpusFiles()
      .map((file): [string, string] => [file, readCorpus(file)])
      .filter(([, text]) => /^Chain \S+ \(\d+ references\)/m.test(text)),
  ];
  const { tally, check } = freshParseCheck();

  for (const [name, text] of texts) {
    it(`${name}: types in user chains' headers, then deletes what it typed`, () => {
      let doc = DumpDocument.fromText('file:///listed', 1, text);
      const headers = doc.lines.flatMap((line, i) => (/^Chain \S+ \(\d+ references\)/.test(line) ? [i] : []));
      const picks = [...new Set([headers[0], headers[Math.floor(headers.length / 2)], headers[headers.length - 1]])];
      let version = 1;
      for (const at of picks) {
        const line = doc.lines[at];
        const nameEnd = line.indexOf(' ', 6);
        // In the name (a chain nothing jumps to: the jumps to the old name are errors), a second character, both
        // deleted (the chain takes its jumps back).
        doc = doc.withEdits(++version, [edit(at, nameEnd - 1, nameEnd - 1, 'Q')]);
        check(doc, `${name}: Q typed in the header on line ${at}`);
        doc = doc.withEdits(++version, [edit(at, nameEnd, nameEnd, 'R')]);
        check(doc, `${name}: R typed after it`);
        doc = doc.withEdits(++version, [edit(at, nameEnd - 1, nameEnd + 1, '')]);
        check(doc, `${name}: both deleted`);
        // The references iptables counted.
        const count = line.indexOf('(') + 1;
        doc = doc.withEdits(++version, [edit(at, count, count, '1')]);
        check(doc, `${name}: a digit typed in the references on line ${at}`);
        doc = doc.withEdits(++version, [edit(at, count, count + 1, '')]);
        check(doc, `${name}: deleted`);
        // The name of another chain of the table (a header repeated: the next table's listing), and back.
        const other = doc.lines[headers.find((l) => l !== at)!].slice(6).split(' ')[0];
        doc = doc.withEdits(++version, [edit(at, 6, nameEnd, other)]);
        check(doc, `${name}: line ${at} lists ${other} again`);
        doc = doc.withEdits(++version, [edit(at, 6, 6 + other.length, line.slice(6, nameEnd))]);
        check(doc, `${name}: line ${at} as it was`);
        assert.equal(doc.lines[at], line);
      }
      assert.equal(doc.lines.join('\n'), text);
    });
  }

  it('follows random characters typed into and deleted from headers as a fresh parse reads them', () => {
    const random = seededRandom(43);
    let doc = DumpDocument.fromText('file:///random-headers', 1, renderListing(generateKubeDump({ seed: 47, services: 10, maxEndpoints: 3 })));
    let version = 1;
    for (let i = 0; i < 200; i++) {
      // A `Chain` line (or what typing left of one), a place after `Chain `, a character or one deleted.
      const headers = doc.lines.flatMap((line, n) => (line.startsWith('Chain ') ? [n] : []));
      const at = headers[Math.floor(random() * headers.length)];
      const line = doc.lines[at];
      const place = 6 + Math.floor(random() * (line.length - 6));
      const change = random() < 0.5 || place >= line.length ? edit(at, place, place, ' (-AQK1'[Math.floor(random() * 7)]) : edit(at, place, place + 1, '');
      doc = doc.withEdits(++version, [change]);
      check(doc, `random edit ${i}: ${JSON.stringify(change)} on ${JSON.stringify(line)}`, false);
    }
  });

  it('followed most of those edits in place', () => {
    const all = [...tally.values()].reduce((a, b) => a + b, 0);
    const inPlace = tally.get('declaration') ?? 0;
    assert.ok(all > 50, `${all} edits`);
    assert.ok(inPlace >= all * 0.6, `in place ${inPlace} of ${all}: ${JSON.stringify([...tally])}`);
  });
});

describe('a chain declaration typed, retyped or deleted in a save table (in place) equals a fresh parse', function () {
  this.timeout(300000);
  const texts: [string, string][] = [
    ['generated save', renderSave(generateKubeDump({ seed: 29, services: 40, maxEndpoints: 4 }))],
    ...corpusFiles()
      .map((file): [string, string] => [file, readCorpus(file)])
      .filter(([, text]) => text.includes('\nCOMMIT') && /^:\S+ \S+/m.test(text)),
  ];
  const { tally, check } = freshParseCheck();

  for (const [name, text] of texts) {
    it(`${name}: types in declarations' names and counters, then deletes what it typed`, () => {
      let doc = DumpDocument.fromText('file:///declared', 1, text);
      const declarations = doc.lines.flatMap((line, i) => (/^:\S+ \S+/.test(line) ? [i] : []));
      const withRules = declarations.filter((line) => {
        const owner = doc.dump.lineOwners[line];
        return owner !== undefined && 'rules' in owner && owner.rules.length > 0 && !owner.builtin;
      });
      const picks = [...new Set([declarations[0], withRules[0], withRules[Math.floor(withRules.length / 2)], withRules[withRules.length - 1], declarations[declarations.length - 1]])].filter(
        (line) => line !== undefined,
      );
      let version = 1;
      for (const at of picks) {
        const line = doc.lines[at];
        const nameEnd = line.indexOf(' ');
        const middle = Math.ceil(nameEnd / 2);
        // In the name: a chain no line declared (the old one is then made by its first rule), then a second
        // character (that chain goes), both deleted again (the old chain declared again, in its place).
        doc = doc.withEdits(++version, [edit(at, middle, middle, 'Q')]);
        check(doc, `${name}: Q typed in the name on line ${at}`);
        doc = doc.withEdits(++version, [edit(at, middle + 1, middle + 1, 'R')]);
        check(doc, `${name}: R typed after it`);
        doc = doc.withEdits(++version, [edit(at, middle, middle + 2, '')]);
        check(doc, `${name}: both deleted`);
        // The name of another declared chain: declared twice (a whole parse), and back.
        const other = doc.lines[declarations.find((l) => l !== at)!].slice(1).split(' ')[0];
        doc = doc.withEdits(++version, [edit(at, 1, nameEnd, other)]);
        check(doc, `${name}: line ${at} declares ${other} too`);
        doc = doc.withEdits(++version, [edit(at, 1, 1 + other.length, line.slice(1, nameEnd))]);
        check(doc, `${name}: line ${at} as it was`);
        // At the end of the line: the counters or the policy.
        doc = doc.withEdits(++version, [edit(at, line.length - 1, line.length - 1, '7')]);
        check(doc, `${name}: 7 typed at the end of line ${at}`);
        doc = doc.withEdits(++version, [edit(at, line.length - 1, line.length, '')]);
        check(doc, `${name}: deleted`);
        assert.equal(doc.lines[at], line);
      }
      // A declaration typed on a line of its own below another, character by character (no declaration until the
      // policy is typed), then deleted the same way; a declaration commented out and back in; one deleted to an empty
      // line from its end and typed again.
      if (withRules.length > 0) {
        const at = withRules[Math.floor(withRules.length / 2)];
        const end = doc.lines[at].length;
        doc = doc.withEdits(++version, [edit(at, end, end, '\n')]);
        check(doc, `${name}: Enter after line ${at}`);
        const typed = ':KUBE-NEW-CHAIN - [0:0]';
        for (let i = 0; i < typed.length; i++) {
          doc = doc.withEdits(++version, [edit(at + 1, i, i, typed[i])]);
          check(doc, `${name}: ${JSON.stringify(typed.slice(0, i + 1))} typed below line ${at}`);
        }
        for (let i = typed.length; i > 0; i--) {
          doc = doc.withEdits(++version, [edit(at + 1, i - 1, i, '')]);
          check(doc, `${name}: ${JSON.stringify(typed.slice(0, i - 1))} left below line ${at}`);
        }
        doc = doc.withEdits(++version, [{ range: { start: { line: at, character: end }, end: { line: at + 1, character: 0 } }, text: '' }]);
        check(doc, `${name}: the empty line below line ${at} deleted`);
        doc = doc.withEdits(++version, [edit(at, 0, 0, '#')]);
        check(doc, `${name}: line ${at} commented out`);
        doc = doc.withEdits(++version, [edit(at, 0, 1, '')]);
        check(doc, `${name}: line ${at} back in`);
        const declared = doc.lines[at];
        for (let i = declared.length; i > 0; i--) {
          doc = doc.withEdits(++version, [edit(at, i - 1, i, '')]);
          check(doc, `${name}: ${JSON.stringify(declared.slice(0, i - 1))} left of line ${at}`);
        }
        for (let i = 0; i < declared.length; i++) {
          doc = doc.withEdits(++version, [edit(at, i, i, declared[i])]);
          check(doc, `${name}: ${JSON.stringify(declared.slice(0, i + 1))} typed again on line ${at}`);
        }
      }
      // Two chains no line declares at once: the later one's first, then the earlier one's, which a fresh parse
      // makes first (at its first rule); then both declared again.
      if (withRules.length >= 2) {
        const [early, late] = [withRules[0], withRules[withRules.length - 1]];
        for (const at of [late, early]) {
          doc = doc.withEdits(++version, [edit(at, 2, 2, 'Q')]);
          check(doc, `${name}: Q typed in the name on line ${at}`);
        }
        for (const at of [late, early]) {
          doc = doc.withEdits(++version, [edit(at, 2, 3, '')]);
          check(doc, `${name}: Q deleted on line ${at}`);
        }
      }
      assert.equal(doc.lines.join('\n'), text);
    });
  }

  it('declares a chain whose rules come before the line as a fresh parse does (where its first rule made it)', () => {
    const text = ['*filter', ':INPUT ACCEPT [0:0]', ':A - [0:0]', '-A INPUT -j A', '-A INPUT -j B', '-A B -j ACCEPT', ':C - [0:0]', '-A C -j DROP', 'COMMIT'].join('\n');
    let doc = DumpDocument.fromText('file:///late', 1, text);
    doc = doc.withEdits(2, [edit(6, 1, 2, 'B')]);
    check(doc, 'C renamed B, whose rule is above', false);
    doc = doc.withEdits(3, [edit(6, 1, 2, 'C')]);
    check(doc, 'and back', false);
    doc = doc.withEdits(4, [edit(2, 1, 2, 'B')]);
    check(doc, 'A renamed B, above its rule', false);
  });

  it('types a declaration on, or below, a line that changes how the lines after it read', () => {
    // A `# Generated by ip6tables-save` line (the next table's family) and a pasted prompt (the table below).
    for (const marker of ['# Generated by ip6tables-save v1.8.7 on Thu Nov 26 10:00:00 2026', '$ sudo iptables-save -t nat']) {
      const text = ['*filter', ':INPUT ACCEPT [0:0]', ':A - [0:0]', '-A INPUT -j A', marker, '', 'COMMIT', '*nat', ':PREROUTING ACCEPT [0:0]', 'COMMIT'].join('\n');
      for (const line of [4, 5]) {
        let doc = DumpDocument.fromText('file:///marker', 1, text);
        let version = 1;
        for (const typed of [':', ':B', ':B -']) {
          doc = doc.withEdits(++version, [edit(line, 0, typed.length - 1, typed)]);
          check(doc, `${JSON.stringify(typed)} typed at the start of line ${line} below ${JSON.stringify(marker)}`, false);
        }
      }
    }
  });

  it('follows random characters typed into and deleted from declarations as a fresh parse reads them', () => {
    const random = seededRandom(31);
    const text = renderSave(generateKubeDump({ seed: 37, services: 12, maxEndpoints: 3 }));
    let doc = DumpDocument.fromText('file:///random', 1, text);
    let version = 1;
    for (let i = 0; i < 300; i++) {
      // A line that starts with `:` (a declaration, or what typing left of one), a place in it, a character of
      // those declarations are made of, or one deleted; now and then the name of another declared chain typed.
      const declarations = doc.lines.flatMap((line, n) => (line.startsWith(':') ? [n] : []));
      const at = declarations[Math.floor(random() * declarations.length)];
      const line = doc.lines[at];
      const place = 1 + Math.floor(random() * line.length);
      const choice = random();
      const change: TextEdit =
        choice < 0.45
          ? edit(at, place, place, ' :-[]0AQK'[Math.floor(random() * 9)])
          : choice < 0.9 && place < line.length
            ? edit(at, place, place + 1, '')
            : edit(at, 1, Math.max(1, line.indexOf(' ')), doc.lines[declarations[Math.floor(random() * declarations.length)]].slice(1).split(' ')[0]);
      doc = doc.withEdits(++version, [change]);
      check(doc, `random edit ${i}: ${JSON.stringify(change)} on ${JSON.stringify(line)}`, false);
    }
  });

  it('followed most of the edits typed and deleted again in place', () => {
    const all = [...tally.values()].reduce((a, b) => a + b, 0);
    const inPlace = tally.get('declaration') ?? 0;
    assert.ok(all > 100, `${all} edits`);
    const parsed = tally.get('parsed') ?? 0;
    assert.ok(inPlace >= all * 0.8, `in place ${inPlace} of ${all}: ${JSON.stringify([...tally])}`);
    assert.ok(parsed <= all * 0.1, `parsed whole ${parsed} times of ${all}: ${JSON.stringify([...tally])}`);
  });
});
