// Runs last (see index.ts): leaves the workbench the way a user sees it — a dump open in the editor, its
// Outline and the Services view — and, under scripts/e2e/run.mjs, has the runner photograph it and report
// what the workbench painted (token colours, view rows), which this test then checks.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { DUMPS, EXTENSION_ID, openDump, positionOf, waitFor, whenProvided } from './harness';

interface WorkbenchReport {
  /** Distinct token colour classes (mtkN) on the visible lines of the active editor. */
  tokenClasses: string[];
  /** Rows of each expanded view, by title as shown. */
  views: Record<string, string[]>;
}

let snapshots = 0;

/** Under scripts/e2e/run.mjs: asks the runner to photograph the workbench and waits for its report. */
async function photographed(): Promise<WorkbenchReport | undefined> {
  const reportPath = process.env.IPTABLES_LENS_E2E_WORKBENCH_REPORT;
  if (!reportPath) {
    return undefined;
  }
  const file = `${reportPath}.${++snapshots}`;
  console.log(`E2E-SCREENSHOT-READY ${snapshots}`);
  await waitFor('the runner to photograph the workbench', () => fs.existsSync(file), 60_000);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as WorkbenchReport;
}

/** What the picture must show; each check throws with the rows it saw. */
function checkReport(report: WorkbenchReport): void {
  // Plain text paints in one colour; the grammar gives chain names, targets, counters… their own.
  assert.ok(report.tokenClasses.length >= 4, `token colours: ${report.tokenClasses.join(' ')}`);
  const outline = Object.entries(report.views).find(([title]) => /outline/i.test(title))?.[1] ?? [];
  // The outline lists the table and, in file order, its chains (as many as fit the pane).
  assert.match(outline[0] ?? '', /^nat/, `Outline rows: ${outline.join(' | ')}`);
  assert.ok(
    outline.some((row) => row.startsWith('PREROUTING')),
    `Outline rows: ${outline.join(' | ')}`,
  );
  const services = report.views.Services ?? [];
  const context = process.env.IPTABLES_LENS_E2E_CLUSTER_CONTEXT;
  if (context) {
    // A real API server: the cluster's services, linked to the open dump's chains.
    assert.ok(
      services.some((row) => row.startsWith(context) && row.includes(`linked to ${DUMPS.seedList}`)),
      `Services rows: ${services.join(' | ')}`,
    );
    assert.ok(
      services.some((row) => row.startsWith('e2e-cluster-only')),
      `a namespace only the cluster has; Services rows: ${services.join(' | ')}`,
    );
  } else {
    // No cluster: the services kube-proxy's rules describe, from the open dump alone.
    assert.ok(
      services.some((row) => row.includes('offline, from the dump')),
      `Services rows: ${services.join(' | ')}`,
    );
    assert.ok(
      services.some((row) => /^default\d+ services?$/.test(row)),
      `Services rows: ${services.join(' | ')}`,
    );
  }
}

describe('the workbench a user sees', () => {
  it('shows a coloured dump with its outline and the Services view', async () => {
    const document = await openDump(DUMPS.seedList);
    const editor = await vscode.window.showTextDocument(document, { preview: false });
    const service = positionOf(document, 'Chain KUBE-SVC-BEPXDJBUHFCSYIC3', 'KUBE-SVC-BEPXDJBUHFCSYIC3', 0);
    editor.selection = new vscode.Selection(service, service);
    editor.revealRange(new vscode.Range(service, service), vscode.TextEditorRevealType.InCenter);
    await whenProvided('document symbols', () =>
      vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', document.uri),
    );

    // The Services view lives in the extension's own activity bar container; the Outline joins it there so
    // one side bar shows both (a layout change of this throw-away profile only).
    const contributes = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON.contributes ?? {};
    const containers: { id: string }[] = contributes.viewsContainers?.activitybar ?? [];
    const views: { id: string; name: string }[] = Object.values<{ id: string; name: string }[]>(contributes.views ?? {}).flat();
    for (const container of containers) {
      await vscode.commands.executeCommand('vscode.moveViews', {
        viewIds: ['outline'],
        destinationId: `workbench.view.extension.${container.id}`,
      });
    }
    for (const view of views) {
      await vscode.commands.executeCommand(`${view.id}.focus`);
    }
    await vscode.commands.executeCommand('outline.focus');
    // Earlier tests' notifications (commands run without a cluster) would cover the editor.
    await vscode.commands.executeCommand('notifications.clearAll');
    await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
    // A narrower editor leaves the side bar wide enough to read the Services rows on the screenshot.
    for (let step = 0; step < 3; step++) {
      await vscode.commands.executeCommand('workbench.action.decreaseViewWidth');
    }
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), document.uri.toString());

    // The views fill in asynchronously (the Services view follows the active editor after a short delay):
    // photograph again until the picture shows everything, or fail with what the last one showed.
    const deadline = Date.now() + 30_000;
    for (let report = await photographed(); report; report = await photographed()) {
      try {
        checkReport(report);
        break;
      } catch (error) {
        if (Date.now() > deadline) {
          throw error;
        }
      }
    }
  });
});
