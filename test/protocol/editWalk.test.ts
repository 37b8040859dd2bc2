// The built server over stdio, walked through random edits of any kind (test/support/randomEdits.ts) as an editor
// sends them (incremental didChange). After some of them, every answer it gives for the edited document must be the
// answer a second server gives for the same text opened fresh: the outline, folding ranges, code lenses (resolved),
// the services request, diagnostics, and hover, definition, references and implementation at random positions.
// Both are asked once their diagnostics for that version are out, that is once their analysis is done.
import { strict as assert } from 'node:assert';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { generateKubeDump, renderListing, renderSave } from '../support/generateKubeDump';
import { TestLspClient } from '../support/lspClient';
import { seededRandom } from '../support/random';
import { randomChange } from '../support/randomEdits';

const STEPS = 60;
const POSITIONS = 20;

/** Every answer `client` gives for `uri` at `version`, with `uri` written as `URI` (the two servers' documents differ in it). */
async function answers(
  client: TestLspClient,
  uri: string,
  version: number,
  positions: readonly { line: number; character: number }[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const diagnostics = await client.waitForDiagnostics(uri, (params) => params.version === version, 60_000);
  const textDocument = { uri };
  const ask = async (key: string, method: string, params: unknown): Promise<unknown> => {
    const answer = await client.request(method, params);
    out.set(
      key,
      JSON.stringify(answer ?? null)
        .split(uri)
        .join('URI'),
    );
    return answer;
  };
  out.set('diagnostics', JSON.stringify(diagnostics.diagnostics)); // in order: the server sorts them
  await ask('outline', 'textDocument/documentSymbol', { textDocument });
  await ask('folding', 'textDocument/foldingRange', { textDocument });
  await ask('services', 'iptablesLens/services', { textDocument });
  const lenses = ((await client.request('textDocument/codeLens', { textDocument })) ?? []) as unknown[];
  out.set(
    'code lenses',
    JSON.stringify(await Promise.all(lenses.map((lens) => client.request('codeLens/resolve', lens))))
      .split(uri)
      .join('URI'),
  );
  for (const position of positions) {
    const at = `${position.line + 1}:${position.character + 1}`;
    await ask(`hover at ${at}`, 'textDocument/hover', { textDocument, position });
    await ask(`definition at ${at}`, 'textDocument/definition', { textDocument, position });
    await ask(`references at ${at}`, 'textDocument/references', { textDocument, position, context: { includeDeclaration: true } });
    await ask(`implementation at ${at}`, 'textDocument/implementation', { textDocument, position });
  }
  return out;
}

describe('the server over stdio after a walk of random edits answers as for the same text opened fresh', function () {
  this.timeout(300_000);
  let edited: TestLspClient | undefined;
  let fresh: TestLspClient | undefined;
  before(async () => {
    [edited, fresh] = await Promise.all([TestLspClient.start(), TestLspClient.start()]);
  });
  after(async () => {
    await Promise.all([edited?.stop(), fresh?.stop()]);
  });

  const dumps: [string, string][] = [
    ['a generated save dump', renderSave(generateKubeDump({ seed: 500, services: 30 }))],
    [
      'a generated -L -n -v --line-numbers dump',
      renderListing(generateKubeDump({ seed: 600, services: 25 }), { exactWithLineNumbers: true }),
    ],
  ];
  let opened = 0;
  for (const [name, text] of dumps) {
    it(`${name}: ${STEPS} edits`, async () => {
      const random = seededRandom(name.length * 131);
      const uri = `file:///walk/${opened++}.iptables`;
      let document = TextDocument.create(uri, 'iptables', 1, text);
      await edited!.open(uri, text, 1);
      let compared = 0;
      for (let step = 0; step < STEPS; step++) {
        const change = randomChange(document.getText().split('\n'), random);
        if (change.length === 0) {
          continue;
        }
        document = TextDocument.update(document, change, document.version + 1);
        await edited!.connection.sendNotification('textDocument/didChange', {
          textDocument: { uri, version: document.version },
          contentChanges: change,
        });
        if (random() < 0.6) {
          continue; // edits come faster than requests
        }
        const current = document.getText();
        const lines = current.split('\n');
        // Random places, a third of them on an address (what an IP is: a cluster IP of several ports, a pod IP).
        const positions = Array.from({ length: POSITIONS }, (_, i) => {
          const line = Math.floor(random() * lines.length);
          const address = i % 3 === 0 ? /\d+\.\d+\.\d+\.\d+/.exec(lines[line]) : null;
          return { line, character: address !== null ? address.index + 1 : Math.floor(random() * (lines[line].length + 1)) };
        });
        const freshUri = `file:///walk/${opened++}.iptables`;
        await fresh!.open(freshUri, current, 1);
        const [mine, theirs] = await Promise.all([
          answers(edited!, uri, document.version, positions),
          answers(fresh!, freshUri, 1, positions),
        ]);
        await fresh!.connection.sendNotification('textDocument/didClose', { textDocument: { uri: freshUri } });
        for (const [key, answer] of theirs) {
          assert.equal(mine.get(key), answer, `${name}, step ${step}: ${key}`);
        }
        compared++;
      }
      assert.ok(compared >= STEPS / 4, `${compared} comparisons`);
      await edited!.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
    });
  }
});
