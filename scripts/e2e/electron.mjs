#!/usr/bin/env node
// Runs the same end-to-end suite (test/e2e) with @vscode/test-electron: a VS Code desktop build downloaded
// from Microsoft's update service, for developer machines and CI runners that can reach it (this project's
// own machines cannot: use `npm run test:e2e` there). On Linux without a display, run it under xvfb-run.
//   VSCODE_VERSION=1.100.3 npm run test:e2e:electron     (default: the oldest version engines.vscode accepts)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { compileSuite, findCorpus, prepareWorkspace, repoRoot, testsOutDir } from './suite.mjs';

const corpusDir = findCorpus();
if (!corpusDir) {
  console.error('e2e: no corpus folder with the dumps the suite opens (../shared/corpus or $IPTABLES_LENS_CORPUS)');
  process.exit(2);
}
await compileSuite();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iptables-lens-e2e-electron-'));
const workspace = path.join(tmp, 'workspace');
prepareWorkspace(workspace, corpusDir);
try {
  await runTests({
    version: process.env.VSCODE_VERSION ?? '1.100.3',
    extensionDevelopmentPath: repoRoot,
    extensionTestsPath: path.join(testsOutDir, 'index.js'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
    extensionTestsEnv: {
      IPTABLES_LENS_E2E_PASS: 'electron',
      IPTABLES_LENS_E2E_TRUSTED: 'true',
      IPTABLES_LENS_E2E_EXTENSION_ROOT: repoRoot,
    },
  });
  console.log('e2e[electron]: passed');
} catch (error) {
  console.error(`e2e[electron]: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
