// A kube-proxy dump of a large cluster in the real editor: a node's nat table of 5,000 services (about 130,000
// lines, 10 MB; IPTABLES_LENS_E2E_LARGE_SERVICES sets another size), generated here with the tests' own
// generator, so every answer is checked against the generator's ground truth. The server parses and analyses
// it in slices after it opens; the editor must get the outline (5,000 chains by default, or all of them) with the
// services' names, hovers, and answers that follow an edit (a line added) without re-reading the whole dump.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { generateKubeDump, renderSave } from '../support/generateKubeDump';
import { hoverText, openDump, waitFor, whenProvided, workspaceFile } from './harness';

const SERVICES = Number(process.env.IPTABLES_LENS_E2E_LARGE_SERVICES ?? 5000);
const FILE = `kube-proxy-${SERVICES}-services.iptables-save`;

describe(`a large kube-proxy dump in the editor (${SERVICES} services)`, function () {
  this.timeout(Math.max(60_000, SERVICES * 20));
  const generated = generateKubeDump({ services: SERVICES, maxEndpoints: 10, seed: 11 });
  const text = renderSave(generated);
  const lines = text.split('\n');
  // A service in the middle of the dump with a KUBE-SVC chain and several endpoints.
  const withEndpoints = generated.servicePorts.filter((port) => port.chains.svc !== undefined && port.endpoints.length >= 2);
  const service = withEndpoints[Math.floor(withEndpoints.length / 2)];
  const serviceChain = service.chains.svc!;
  const serviceName = `${service.namespace}/${service.name}`;
  let document: vscode.TextDocument;

  before(async () => {
    await vscode.workspace.fs.writeFile(workspaceFile(FILE), new TextEncoder().encode(text));
    const started = Date.now();
    document = await openDump(FILE);
    await vscode.window.showTextDocument(document, { preview: false });
    const symbols = await whenProvided('the outline', () =>
      vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', document.uri),
    );
    // For the log (not asserted: timings belong to the benchmark).
    console.log(`${FILE}: ${lines.length} lines, outline of ${symbols.flatMap((t) => t.children).length} chains after ${Date.now() - started} ms`);
  });

  after(async () => {
    await vscode.workspace.getConfiguration('iptablesLens').update('outline.maxChains', undefined, vscode.ConfigurationTarget.Global);
    if (document) {
      // Reverted (the last test edits it), then its tab closed, before the file goes: a closed tab of a deleted,
      // edited file would stay in the workbench for the tests after this one.
      await vscode.window.showTextDocument(document, { preview: false });
      await vscode.commands.executeCommand('workbench.action.files.revert');
      await waitFor('the large dump reverted', () => !document.isDirty);
      const tabs = (): vscode.Tab[] =>
        vscode.window.tabGroups.all.flatMap((group) =>
          group.tabs.filter((tab) => tab.input instanceof vscode.TabInputText && tab.input.uri.toString() === document.uri.toString()),
        );
      await vscode.window.tabGroups.close(tabs());
      await waitFor('the large dump closed', () => tabs().length === 0);
    }
    await vscode.workspace.fs.delete(workspaceFile(FILE));
  });

  /** The chain names the nat table declares, in order. */
  const natChains = text
    .split('*nat\n')[1]
    .split('\nCOMMIT')[0]
    .split('\n')
    .filter((line) => line.startsWith(':'))
    .map((line) => line.slice(1, line.indexOf(' ')));

  it('outlines at most 5,000 chains by default, named chains first, naming the services', async () => {
    const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', document.uri);
    const nat = symbols.find((table) => table.name === 'nat');
    assert.ok(nat, symbols.map((table) => table.name).join(', '));
    assert.ok(natChains.length > 5000, `${natChains.length} chains`);
    assert.equal(symbols.flatMap((table) => table.children).length, 5000);
    assert.equal(nat.detail, `iptables-save · ${natChains.length.toLocaleString('en-US')} chains · ${nat.children.length.toLocaleString('en-US')} in the outline (limit 5,000)`);
    const listed = new Set(nat.children.map((chain) => chain.name));
    for (const name of ['PREROUTING', 'KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-MARK-MASQ', 'KUBE-POSTROUTING']) {
      assert.ok(listed.has(name), `${name} not in the outline`);
    }
    const port = generated.servicePorts.find((p) => p.chains.svc !== undefined && listed.has(p.chains.svc));
    assert.ok(port, 'no service chain in the outline');
    const symbol = nat.children.find((chain) => chain.name === port.chains.svc)!;
    assert.ok(symbol.detail.startsWith(port.portName), `${symbol.name}: ${symbol.detail}`);
    assert.equal(symbol.selectionRange.start.line, lines.indexOf(`:${symbol.name} - [0:0]`));
  });

  /** The line of KUBE-SERVICES' jump to the service chain, in the current text. */
  function dispatchLine(): number {
    const line = document.getText().split('\n').findIndex((l) => l.startsWith('-A KUBE-SERVICES ') && l.endsWith(`-j ${serviceChain}`));
    assert.ok(line >= 0, `no jump to ${serviceChain} in KUBE-SERVICES`);
    return line;
  }

  async function hoverOnDispatch(): Promise<string> {
    const line = dispatchLine();
    const position = new vscode.Position(line, document.lineAt(line).text.lastIndexOf(serviceChain) + 3);
    return hoverText(
      await whenProvided('a hover', () => vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, position)),
    );
  }

  it("explains the service on hover, with each endpoint's address", async () => {
    const hover = await hoverOnDispatch();
    assert.ok(hover.includes(serviceName), hover.slice(0, 400));
    for (const endpoint of service.endpoints) {
      assert.ok(hover.includes(endpoint.address), `${endpoint.address} not in ${hover.slice(0, 600)}`);
    }
  });

  it('follows a line added above the service, and goes to the endpoints from the moved lines', async () => {
    const before = dispatchLine();
    const edit = new vscode.WorkspaceEdit();
    edit.insert(document.uri, new vscode.Position(before - 1, document.lineAt(before - 1).text.length), '\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.equal(dispatchLine(), before + 1);
    assert.ok((await hoverOnDispatch()).includes(serviceName));

    const line = dispatchLine();
    const position = new vscode.Position(line, document.lineAt(line).text.lastIndexOf(serviceChain) + 3);
    const endpointChains = new Set(service.endpoints.map((endpoint) => endpoint.chain));
    const dnatLines = document
      .getText()
      .split('\n')
      .flatMap((l, index) => (endpointChains.has(l.split(' ')[1]) && l.includes(' -j DNAT ') ? [index] : []));
    assert.equal(dnatLines.length, service.endpoints.length);
    const targets = await waitFor('implementations at the moved line', async () => {
      const found = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>('vscode.executeImplementationProvider', document.uri, position);
      return found.length === service.endpoints.length && found;
    });
    const implementationLines = targets.map((t) => ('targetRange' in t ? t.targetRange : t.range).start.line).sort((a, b) => a - b);
    assert.deepEqual(implementationLines, dnatLines.sort((a, b) => a - b));
  });

  it("follows a character typed in an endpoint chain's declaration, and deleted again", async () => {
    const endpointChain = service.endpoints[0].chain;
    const textLines = (): string[] => document.getText().split('\n');
    const declaration = textLines().indexOf(`:${endpointChain} - [0:0]`);
    const firstRule = textLines().findIndex((l) => l.startsWith(`-A ${endpointChain} `));
    const jump = textLines().findIndex((l) => l.startsWith(`-A ${serviceChain} `) && l.endsWith(`-j ${endpointChain}`));
    assert.ok(declaration >= 0 && firstRule > declaration && jump >= 0, `${endpointChain}: ${declaration}, ${firstRule}, ${jump}`);
    const at = new vscode.Position(jump, document.lineAt(jump).text.lastIndexOf(endpointChain) + 3);
    const definitionLine = async (): Promise<number | undefined> => {
      const found = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>('vscode.executeDefinitionProvider', document.uri, at);
      return found.map((f) => ('targetRange' in f ? f.targetRange : f.range).start.line)[0];
    };
    const undeclared = (): vscode.Diagnostic[] =>
      vscode.languages.getDiagnostics(document.uri).filter((d) => d.code === 'undeclared-chain' && d.message.includes(endpointChain));
    assert.equal(await definitionLine(), declaration);

    // The declaration now names another chain: the endpoint chain is made by its first rule, an error there.
    const typed = new vscode.WorkspaceEdit();
    typed.insert(document.uri, new vscode.Position(declaration, ':KUBE-SEP-'.length), 'Q');
    assert.ok(await vscode.workspace.applyEdit(typed));
    const errors = await waitFor('the undeclared chain error', () => undeclared().length > 0 && undeclared());
    assert.equal(errors[0].range.start.line, firstRule);
    assert.equal(await waitFor('the definition at the first rule', async () => (await definitionLine()) === firstRule), true);

    const deleted = new vscode.WorkspaceEdit();
    deleted.delete(document.uri, new vscode.Range(declaration, ':KUBE-SEP-'.length, declaration, ':KUBE-SEP-'.length + 1));
    assert.ok(await vscode.workspace.applyEdit(deleted));
    await waitFor('the error gone', () => undeclared().length === 0);
    assert.equal(await definitionLine(), declaration);
  });

  it('outlines every chain once iptablesLens.outline.maxChains is 0 (from the next edit on)', async () => {
    await vscode.workspace.getConfiguration('iptablesLens').update('outline.maxChains', 0, vscode.ConfigurationTarget.Global);
    // The setting reaches the server as a notification of its own; VS Code asks for the outline again only for a
    // new version of the document, so each try makes one (a line end added at the end of the file).
    const nat = await waitFor('the whole outline', async () => {
      const edit = new vscode.WorkspaceEdit();
      edit.insert(document.uri, document.lineAt(document.lineCount - 1).range.end, '\n');
      assert.ok(await vscode.workspace.applyEdit(edit));
      const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', document.uri);
      const table = symbols.find((t) => t.name === 'nat');
      return table !== undefined && table.children.length === natChains.length && table;
    }, 90_000);
    assert.deepEqual(nat.children.map((chain) => chain.name), natChains);
    assert.equal(nat.detail, `iptables-save · ${natChains.length.toLocaleString('en-US')} chains`);
    const symbol = nat.children.find((chain) => chain.name === serviceChain)!;
    assert.ok(symbol.detail.includes(serviceName), `${serviceChain}: ${symbol.detail}`);
    const endpoint = nat.children.find((chain) => chain.name === service.endpoints[0].chain)!;
    assert.ok(endpoint.detail.startsWith(`${service.endpoints[0].address} ← ${service.portName}`), `${endpoint.name}: ${endpoint.detail}`);
  });
});
