// The language server's features through the real language client, asked the way VS Code asks them
// (the `vscode.execute…Provider` commands), on real dumps. Expectations come from the dump text itself.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { DUMPS, discard, hoverText, linesMatching, openDump, positionOf, waitFor, whenProvided } from './harness';

type Located = vscode.Location | vscode.LocationLink;

function locationLine(location: Located): number {
  return 'targetRange' in location ? (location.targetSelectionRange ?? location.targetRange).start.line : location.range.start.line;
}

describe('language server features through the client', () => {
  let seed: vscode.TextDocument;
  let seedText: string;
  let save: vscode.TextDocument;
  let saveText: string;

  before(async () => {
    seed = await openDump(DUMPS.seedList);
    seedText = seed.getText();
    save = await openDump(DUMPS.save);
    saveText = save.getText();
  });

  it('outlines every chain of an iptables -L dump', async () => {
    const symbols = await whenProvided('document symbols', () =>
      vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', seed.uri),
    );
    const chains = symbols.flatMap((table) => table.children.map((chain) => chain.name)).sort();
    const declared = seedText
      .split('\n')
      .flatMap((line) => /^Chain (\S+) \(/.exec(line)?.[1] ?? [])
      .sort();
    assert.equal(declared.length, 32);
    assert.deepEqual(chains, declared);
    const service = symbols.flatMap((table) => table.children).find((chain) => chain.name === 'KUBE-SVC-BEPXDJBUHFCSYIC3');
    assert.equal(service?.selectionRange.start.line, seedText.split('\n').indexOf('Chain KUBE-SVC-BEPXDJBUHFCSYIC3 (1 references)'));
  });

  it('outlines the tables and chains of iptables-save output', async () => {
    const symbols = await whenProvided('document symbols', () =>
      vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', save.uri),
    );
    const tables = saveText.split('\n').flatMap((line) => /^\*(\w+)$/.exec(line)?.[1] ?? []);
    assert.deepEqual(
      symbols.map((symbol) => symbol.name),
      tables,
    );
    for (const [index, table] of tables.entries()) {
      const section = saveText.split(`*${table}\n`)[1].split('\nCOMMIT')[0];
      const declared = section.split('\n').flatMap((line) => /^:(\S+) /.exec(line)?.[1] ?? []);
      assert.deepEqual(
        symbols[index].children.map((chain) => chain.name),
        declared,
        `chains of ${table}`,
      );
    }
  });

  it('goes from a jump to the chain declaration', async () => {
    // The seed's KUBE-SERVICES rule for default/my-nginx jumps to KUBE-SVC-BEPXDJBUHFCSYIC3.
    const jump = positionOf(seed, 'KUBE-SVC-BEPXDJBUHFCSYIC3  tcp', 'KUBE-SVC-BEPXDJBUHFCSYIC3');
    const targets = await whenProvided('a definition', () =>
      vscode.commands.executeCommand<Located[]>('vscode.executeDefinitionProvider', seed.uri, jump),
    );
    assert.equal(targets.length, 1);
    assert.equal(locationLine(targets[0]), seedText.split('\n').indexOf('Chain KUBE-SVC-BEPXDJBUHFCSYIC3 (1 references)'));

    const saveJump = positionOf(save, '-A KUBE-SERVICES -d 172.30.0.41/32', 'KUBE-SVC-XPGD46QRK7WJZT7O');
    const saveTargets = await whenProvided('a definition', () =>
      vscode.commands.executeCommand<Located[]>('vscode.executeDefinitionProvider', save.uri, saveJump),
    );
    assert.equal(locationLine(saveTargets[0]), saveText.split('\n').indexOf(':KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]'));
  });

  it('finds every rule that jumps to a chain', async () => {
    const declaration = positionOf(seed, 'Chain KUBE-MARK-MASQ', 'KUBE-MARK-MASQ');
    const references = await whenProvided('references', () =>
      vscode.commands.executeCommand<vscode.Location[]>('vscode.executeReferenceProvider', seed.uri, declaration),
    );
    const jumps = linesMatching(seedText, /^\s+\S+\s+\S+\s+KUBE-MARK-MASQ\s/);
    assert.ok(jumps.length > 10);
    const expectedLines = [declaration.line, ...jumps].sort((a, b) => a - b);
    assert.deepEqual(
      references.map((location) => location.range.start.line).sort((a, b) => a - b),
      expectedLines,
    );
    for (const location of references) {
      assert.equal(seed.getText(location.range), 'KUBE-MARK-MASQ');
    }
  });

  it('explains a chain on hover', async () => {
    const position = positionOf(seed, 'Chain KUBE-SVC-BEPXDJBUHFCSYIC3', 'KUBE-SVC-BEPXDJBUHFCSYIC3');
    const hovers = await whenProvided('a hover', () =>
      vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', seed.uri, position),
    );
    const text = hoverText(hovers);
    assert.match(text, /KUBE-SVC-BEPXDJBUHFCSYIC3/);
    assert.match(text, /table `nat`/);
    assert.match(text, /KUBE-SERVICES/);
  });

  it('folds each chain of an iptables -L dump', async () => {
    const ranges = await whenProvided('folding ranges', () =>
      vscode.commands.executeCommand<vscode.FoldingRange[]>('vscode.executeFoldingRangeProvider', seed.uri),
    );
    const starts = new Set(ranges.map((range) => range.start));
    // Every chain header with rules under it starts a fold.
    const lines = seedText.split('\n');
    for (const header of linesMatching(seedText, /^Chain \S+ \(/)) {
      const hasRules = header + 2 < lines.length && /^\s+\d/.test(lines[header + 2]);
      if (hasRules) {
        assert.ok(starts.has(header), `no fold at ${lines[header]}`);
      }
    }
  });

  it('finds chains across open dumps by name', async () => {
    const symbols = await whenProvided('workspace symbols', () =>
      vscode.commands.executeCommand<vscode.SymbolInformation[]>('vscode.executeWorkspaceSymbolProvider', 'BEPXDJBUHF'),
    );
    assert.ok(
      symbols.some((symbol) => symbol.name === 'KUBE-SVC-BEPXDJBUHFCSYIC3' && symbol.location.uri.toString() === seed.uri.toString()),
      symbols.map((symbol) => `${symbol.name} ${symbol.location.uri}`).join('\n'),
    );
  });

  it('reports diagnostics the server computes, and new ones after an edit', async () => {
    // KUBE-MARK-DROP has 0 references in the seed: the server hints that nothing jumps to it.
    const unreferenced = await waitFor('an unreferenced-chain hint', () =>
      vscode.languages.getDiagnostics(seed.uri).filter((diagnostic) => diagnostic.code === 'unreferenced-chain'),
    );
    const headers = linesMatching(seedText, /^Chain KUBE-MARK-DROP \(0 references\)/);
    assert.deepEqual(
      unreferenced.map((diagnostic) => diagnostic.range.start.line).filter((line) => headers.includes(line)),
      headers,
    );
    assert.ok(unreferenced.every((diagnostic) => diagnostic.source === 'iptables-lens'));

    // An edited copy in an untitled editor: a jump to a chain that the table does not declare is an error.
    const copy = await vscode.workspace.openTextDocument({ language: 'iptables', content: saveText });
    const commit = saveText.split('\n').indexOf('COMMIT', saveText.split('\n').indexOf('*nat'));
    const edit = new vscode.WorkspaceEdit();
    edit.insert(copy.uri, new vscode.Position(commit, 0), '-A KUBE-SERVICES -j KUBE-SVC-NOTDECLARED00000\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    const missing = await waitFor('an undefined-chain error', () =>
      vscode.languages.getDiagnostics(copy.uri).find((diagnostic) => diagnostic.code === 'undefined-chain'),
    );
    assert.equal(missing.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(missing.range.start.line, commit);
    assert.equal(copy.getText(missing.range), 'KUBE-SVC-NOTDECLARED00000');
    await discard(copy);
  });
});
