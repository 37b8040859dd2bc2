// The extension under test is the one this pass meant (this folder, or the installed .vsix), and it works
// in the workspace trust state the pass set up: trusted, or Restricted Mode.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DUMPS, EXTENSION_ID, expected, openDump, waitFor } from './harness';

describe('the extension in a real VS Code', () => {
  it('is the build this pass tests', () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is not installed in this VS Code`);
    if (expected.extensionRoot) {
      const relative = path.relative(expected.extensionRoot, extension.extensionPath);
      assert.ok(
        !relative.startsWith('..') && !path.isAbsolute(relative),
        `${extension.extensionPath} is not under ${expected.extensionRoot}`,
      );
    }
    assert.equal(extension.packageJSON.capabilities?.untrustedWorkspaces?.supported, true);
    assert.match(vscode.version, /^1\.\d+\./);
  });

  it('ships every file its manifest names', () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    const manifest = extension.packageJSON;
    const named: string[] = [
      manifest.main,
      manifest.icon,
      ...(manifest.contributes.grammars ?? []).map((grammar: { path: string }) => grammar.path),
      ...(manifest.contributes.languages ?? []).flatMap((language: { configuration?: string }) => language.configuration ?? []),
      ...Object.values<{ icon?: string }[]>(manifest.contributes.viewsContainers ?? {})
        .flat()
        .flatMap((container) => container.icon ?? []),
      'dist/server.js',
    ].filter((file): file is string => typeof file === 'string' && !file.startsWith('$('));
    const missing = named.filter((file) => !fs.existsSync(path.join(extension.extensionPath, file)));
    assert.deepEqual(missing, []);
  });

  it(`runs in a ${expected.trusted ? 'trusted workspace' : 'workspace in Restricted Mode'}`, async () => {
    assert.equal(vscode.workspace.isTrusted, expected.trusted);
    await openDump(DUMPS.save);
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    await waitFor('the extension to activate', () => extension?.isActive);
  });
});
