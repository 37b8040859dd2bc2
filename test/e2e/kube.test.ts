// kube-proxy knowledge through the real client, on the seed `iptables -t nat -L -n -v` dump of a Calico
// cluster: which service a chain implements (hover, outline), where its endpoints' DNAT rules are
// (implementation, code lens), and the lens command a click runs.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { discard, DUMPS, hoverText, openDump, positionOf, readWorkspaceFile, waitFor, whenProvided } from './harness';

const SERVICE_CHAIN = 'KUBE-SVC-BEPXDJBUHFCSYIC3';

/** The DNAT rule lines of the endpoint chains that `serviceChain` jumps to, read from the text. */
function endpointDnatLines(text: string, serviceChain: string): number[] {
  const lines = text.split('\n');
  const block = (header: number): string[] => {
    const end = lines.findIndex((line, index) => index > header && line.trim() === '');
    return lines.slice(header + 1, end === -1 ? lines.length : end);
  };
  const serviceHeader = lines.findIndex((line) => line.startsWith(`Chain ${serviceChain} `));
  const endpoints = block(serviceHeader).flatMap((line) => /\s(KUBE-SEP-[A-Z0-9]{16})\s/.exec(line)?.[1] ?? []);
  assert.equal(endpoints.length, 2, 'default/my-nginx has two endpoints in the seed');
  return endpoints
    .map((endpoint) => {
      const header = lines.findIndex((line) => line.startsWith(`Chain ${endpoint} `));
      return header + 1 + block(header).findIndex((line) => /\sDNAT\s/.test(line));
    })
    .sort((a, b) => a - b);
}

/** The lines of each service chain's jumps to endpoint chains (`-A KUBE-SVC-… -j KUBE-SEP-…`), by chain. */
function linesWithEndpointJumps(lines: readonly string[]): Map<string, number[]> {
  const jumps = new Map<string, number[]>();
  lines.forEach((line, index) => {
    const service = /^-A (KUBE-SVC-[A-Z0-9]{16}) .*-j KUBE-SEP-/.exec(line)?.[1];
    if (service !== undefined) {
      jumps.set(service, [...(jumps.get(service) ?? []), index]);
    }
  });
  return jumps;
}

/** The hover at `position` once it says the service has `count` endpoints (the server follows edits as they come). */
function hoverWithEndpoints(document: vscode.TextDocument, position: vscode.Position, count: number): Promise<string> {
  return waitFor(`a hover with ${count} endpoint(s) at ${position.line + 1}:${position.character}`, async () => {
    const hover = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, position));
    return hover.includes(`**${count} endpoint${count === 1 ? '' : 's'}**`) ? hover : undefined;
  });
}

describe('kube-proxy knowledge through the client', () => {
  let seed: vscode.TextDocument;

  before(async () => {
    seed = await openDump(DUMPS.seedList);
  });

  it('names the service a chain implements on hover', async () => {
    const position = positionOf(seed, `Chain ${SERVICE_CHAIN}`, SERVICE_CHAIN);
    const hovers = await whenProvided('a hover', () =>
      vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', seed.uri, position),
    );
    assert.match(hoverText(hovers), /default\/my-nginx/);
  });

  it('names the service in the outline', async () => {
    const symbols = await whenProvided('document symbols', () =>
      vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', seed.uri),
    );
    const chain = symbols.flatMap((table) => table.children).find((symbol) => symbol.name === SERVICE_CHAIN);
    assert.match(chain?.detail ?? '', /default\/my-nginx/);
  });

  it("goes from a service to its endpoints' DNAT rules", async () => {
    const position = positionOf(seed, 'KUBE-SVC-BEPXDJBUHFCSYIC3  tcp', SERVICE_CHAIN);
    const locations = await whenProvided('implementations', () =>
      vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>('vscode.executeImplementationProvider', seed.uri, position),
    );
    const lines = locations
      .map((location) => ('targetRange' in location ? location.targetRange : location.range).start.line)
      .sort((a, b) => a - b);
    assert.deepEqual(lines, endpointDnatLines(seed.getText(), SERVICE_CHAIN));
  });

  it('follows Toggle Line Comment on a jump to an endpoint: the service loses that endpoint, and gets it back', async () => {
    // kube-proxy's own save output, in an untitled copy: the editor's comment toggle writes `# ` before the rule.
    const text = await readWorkspaceFile(DUMPS.save);
    const lines = text.split('\n');
    const jumps = linesWithEndpointJumps(lines);
    const [service, jumpLines] = [...jumps].find(([, at]) => at.length === 2)!;
    const copy = await vscode.workspace.openTextDocument({ language: 'iptables', content: text });
    const editor = await vscode.window.showTextDocument(copy, { preview: false });
    const endpoints = (count: number): Promise<string> => hoverWithEndpoints(copy, positionOf(copy, `:${service} `, service), count);
    await endpoints(2);
    editor.selection = new vscode.Selection(jumpLines[0], 0, jumpLines[0], 0);
    await vscode.commands.executeCommand('editor.action.commentLine');
    assert.match(copy.lineAt(jumpLines[0]).text, /^# -A /);
    const one = await endpoints(1);
    const commentedOut = /KUBE-SEP-[A-Z0-9]{16}/.exec(lines[jumpLines[0]])![0];
    assert.ok(!one.includes(commentedOut), `${commentedOut} is still among the endpoints`);
    await vscode.commands.executeCommand('editor.action.commentLine');
    assert.equal(copy.getText(), text);
    assert.match(await endpoints(2), new RegExp(commentedOut));
    await discard(copy);
  });

  it('follows Toggle Line Comment on an indented -L -v row (# after the indentation) the same way', async () => {
    const text = seed.getText();
    const dnat = endpointDnatLines(text, SERVICE_CHAIN); // also checks the seed's two endpoints
    assert.equal(dnat.length, 2);
    const lines = text.split('\n');
    const header = lines.findIndex((line) => line.startsWith(`Chain ${SERVICE_CHAIN} `));
    const row = lines.findIndex((line, index) => index > header && /^\s+\d+\s+\d+\s+KUBE-SEP-/.test(line));
    const copy = await vscode.workspace.openTextDocument({ language: 'iptables', content: text });
    const editor = await vscode.window.showTextDocument(copy, { preview: false });
    const endpoints = (count: number): Promise<string> =>
      hoverWithEndpoints(copy, positionOf(copy, `Chain ${SERVICE_CHAIN}`, SERVICE_CHAIN), count);
    await endpoints(2);
    editor.selection = new vscode.Selection(row, 0, row, 0);
    await vscode.commands.executeCommand('editor.action.commentLine');
    assert.match(copy.lineAt(row).text, /^\s+# \d/, 'the editor comments an indented row after its indentation');
    await endpoints(1);
    const errors = (): vscode.Diagnostic[] =>
      vscode.languages.getDiagnostics(copy.uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
    assert.deepEqual(errors().map((d) => d.message), [], 'a commented row is no unrecognised line');
    await vscode.commands.executeCommand('editor.action.commentLine');
    assert.equal(copy.getText(), text);
    await endpoints(2);
    await discard(copy);
  });

  it('puts a lens on the service chain that peeks its endpoints', async () => {
    const lenses = await whenProvided('code lenses', () =>
      // The lenses come unresolved; VS Code resolves those it shows, the command those it is asked to.
      vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', seed.uri, 100),
    );
    const header = seed.getText().split('\n').indexOf(`Chain ${SERVICE_CHAIN} (1 references)`);
    const lens = lenses.find((candidate) => candidate.range.start.line === header);
    assert.ok(lens?.command, `no lens on line ${header}: ${lenses.map((l) => `${l.range.start.line} ${l.command?.title}`).join(', ')}`);
    assert.match(lens.command.title, /default\/my-nginx/);
    assert.match(lens.command.title, /2 endpoints/);

    // What a click on the lens does: the command must exist and run with the lens's own arguments.
    const editor = await vscode.window.showTextDocument(seed, { preview: false });
    assert.ok((await vscode.commands.getCommands(true)).includes(lens.command.command), `${lens.command.command} is not registered`);
    await vscode.commands.executeCommand(lens.command.command, ...(lens.command.arguments ?? []));
    await vscode.commands.executeCommand('closeReferenceSearch');
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), editor.document.uri.toString());
  });
});
