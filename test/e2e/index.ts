// Entry point of the end-to-end suite, loaded by VS Code's extension host through extensionTestsPath.
// Runner-agnostic: scripts/e2e/run.mjs (VS Code server + Chromium) and scripts/e2e/electron.mjs
// (@vscode/test-electron, where VS Code can be downloaded) both load this file and call run().
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';

/** Test files run in name order, except that workbench.test.js runs last: it arranges the screenshot. */
function testFiles(): string[] {
  const files = fs
    .readdirSync(__dirname)
    .filter((name) => name.endsWith('.test.js'))
    .sort();
  const last = files.filter((name) => name === 'workbench.test.js');
  return [...files.filter((name) => name !== 'workbench.test.js'), ...last].map((name) => path.join(__dirname, name));
}

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  for (const file of testFiles()) {
    mocha.addFile(file);
  }
  return new Promise((resolve, reject) => {
    console.log(`E2E-BEGIN ${vscode.version}`);
    try {
      const runner = mocha.run((failures) => {
        const stats = runner.stats;
        // One machine-readable line for scripts/e2e/run.mjs, which adds the passes up.
        console.log(`E2E-SUMMARY ${JSON.stringify({ passed: stats?.passes ?? 0, failed: stats?.failures ?? failures })}`);
        if (failures > 0) {
          reject(new Error(`${failures} end-to-end test(s) failed`));
        } else {
          resolve();
        }
      });
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}
