#!/usr/bin/env node
// Runs the end-to-end suite (test/e2e) inside a real VS Code, headless: the VS Code server bundled in npm's
// code-server@4.100.3 provides VS Code's own Node extension host, and Debian's Chromium, driven through
// playwright-core, loads the real workbench. The workbench runs test/e2e/index.ts's run() in the extension
// host (extensionDevelopmentPath / extensionTestsPath, as VS Code's own browser integration tests do) and
// reports the result through window.codeAutomationExit.
//
// Passes (all by default, or pick with --pass NAME, repeatable):
//   dev        the extension from this folder (extensionDevelopmentPath), workspace trusted, and a real
//              Kubernetes API server (scripts/e2e/cluster.ts) that the Services view reads
//   vsix       the packaged .vsix installed with `server-main.js --install-extension`, workspace left in
//              Restricted Mode (untrusted), as a user who opens a dump someone sent them gets it, and no
//              cluster: the Services view works offline from the open dump
// Each pass writes test-results/e2e/<pass>/: server.log, extension-host.log, workbench.png.
//
// Prerequisites: `bash scripts/e2e/install.sh` (once per machine), `npm run build`, and for the vsix pass
// `npm run package`. `npm run test:e2e` does the last two.
/* global fetch, document -- Node 20's fetch; `document` inside page.evaluate, which runs in the workbench page */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { format } from 'node:util';
import { chromium } from 'playwright-core';
import { compileSuite, findCorpus, prepareWorkspace, repoRoot, testsOutDir } from './suite.mjs';

const CODE_SERVER_VERSION = '4.100.3';
const cacheDir = process.env.IPTABLES_LENS_E2E_CACHE ?? path.join(os.homedir(), '.cache', 'iptables-lens-e2e');
const vscodeDir = path.join(cacheDir, `code-server-${CODE_SERVER_VERSION}`, 'node_modules', 'code-server', 'lib', 'vscode');
const serverMain = path.join(vscodeDir, 'out', 'server-main.js');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const resultsDir = path.join(repoRoot, 'test-results', 'e2e');
const packageJson = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));

// In this order by default: the API server the dev pass needs starts while the vsix pass runs.
const PASSES = {
  vsix: { trusted: false, installVsix: true, cluster: false },
  dev: { trusted: true, installVsix: false, cluster: true },
};

const PASS_DEADLINE_MS = 4 * 60_000;

/** Log lines that only say this machine is offline (marketplace, telemetry, GitHub authentication). */
const OFFLINE_NOISE = /ENOTFOUND|open-vsx\.org|Timed out waiting for authentication provider|\[Service Worker\]/;

function parseArgs(argv) {
  const options = { passes: [], vsix: undefined, keep: false, noCluster: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--pass') {
      options.passes.push(argv[++i]);
    } else if (arg === '--vsix') {
      options.vsix = path.resolve(argv[++i]);
    } else if (arg === '--no-cluster') {
      options.noCluster = true;
    } else if (arg === '--keep') {
      options.keep = true;
    } else {
      throw new Error(`unknown argument ${arg}`);
    }
  }
  if (options.passes.length === 0) {
    options.passes = Object.keys(PASSES);
  }
  for (const name of options.passes) {
    if (!(name in PASSES)) {
      throw new Error(`unknown pass ${name}; known: ${Object.keys(PASSES).join(', ')}`);
    }
  }
  options.vsix ??= path.join(repoRoot, `${packageJson.name}-${packageJson.version}.vsix`);
  return options;
}

function fail(message) {
  console.error(`e2e: ${message}`);
  process.exit(2);
}

async function freePort() {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

async function waitFor(description, deadlineMs, probe) {
  const deadline = Date.now() + deadlineMs;
  let lastError;
  while (Date.now() < deadline) {
    try {
      if (await probe()) {
        return;
      }
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${deadlineMs} ms waiting for ${description}${lastError ? `: ${lastError.message}` : ''}`);
}

function userSettings(trusted) {
  return {
    // Trusted pass: no trust prompt and a trusted workspace. Untrusted pass: Restricted Mode, without the
    // startup modal (it would cover the screenshot; Restricted Mode is what a dismissed prompt leaves).
    'security.workspace.trust.enabled': trusted ? false : true,
    'security.workspace.trust.startupPrompt': 'never',
    'security.workspace.trust.banner': 'never',
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'update.mode': 'none',
    'telemetry.telemetryLevel': 'off',
    'chat.commandCenter.enabled': false,
    'workbench.colorTheme': 'Default Dark Modern',
    // The tests edit dumps in the workspace and revert them: nothing may write them to disk meanwhile.
    'files.autoSave': 'off',
  };
}

function killGroup(child) {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

async function stopServer(child) {
  killGroup(child);
  const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, 'exit');
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 5000);
  await exited;
  clearTimeout(timer);
  // The extension host and the language server live in the same process group: make sure none survives.
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // the group is empty
  }
}

/**
 * Starts scripts/e2e/cluster.ts (etcd + kube-apiserver with the seed's services) in its own process group and
 * waits for the JSON line that says it is ready.
 */
async function startCluster() {
  const started = Date.now();
  fs.mkdirSync(resultsDir, { recursive: true });
  const log = fs.createWriteStream(path.join(resultsDir, 'cluster.log'));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'scripts', 'e2e', 'cluster.ts')], {
    cwd: repoRoot,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stderr.pipe(log);
  let output = '';
  const ready = new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const line = output.split('\n').find((candidate) => candidate.startsWith('{'));
      if (line) {
        resolve(JSON.parse(line));
      }
    });
    child.once('exit', (code) =>
      reject(new Error(`the API server helper exited with ${code}; see ${path.join(resultsDir, 'cluster.log')}`)),
    );
  });
  const deadline = new Promise((_, reject) =>
    setTimeout(() => reject(new Error('the API server was not ready within 120 s')), 120_000).unref(),
  );
  try {
    const info = await Promise.race([ready, deadline]);
    console.log(`e2e: Kubernetes API server ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { ...info, process: child };
  } catch (error) {
    await stopServer(child);
    throw error;
  }
}

/** Runs one pass; resolves to { code, passed, failed, seconds }. */
async function runPass(name, options, corpusDir) {
  const pass = PASSES[name];
  const started = Date.now();
  const passResults = path.join(resultsDir, name);
  fs.rmSync(passResults, { recursive: true, force: true });
  fs.mkdirSync(passResults, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `iptables-lens-e2e-${name}-`));
  const dirs = {
    serverData: path.join(tmp, 'server-data'),
    userData: path.join(tmp, 'user-data'),
    extensions: path.join(tmp, 'extensions'),
    xdgConfig: path.join(tmp, 'xdg-config'),
    xdgData: path.join(tmp, 'xdg-data'),
    workspace: path.join(tmp, 'workspace'),
    // With the .vsix installed, the development path must still be set for the workbench to run tests;
    // an empty folder contributes no extension, so the installed package is the one under test.
    emptyDevelopmentPath: path.join(tmp, 'no-development-extension'),
  };
  for (const dir of Object.values(dirs)) {
    fs.mkdirSync(dir, { recursive: true });
  }
  prepareWorkspace(dirs.workspace, corpusDir);
  const settings = JSON.stringify(userSettings(pass.trusted), null, 2);
  for (const userDir of [path.join(dirs.serverData, 'data', 'User'), path.join(dirs.userData, 'User')]) {
    fs.mkdirSync(userDir, { recursive: true });
    fs.writeFileSync(path.join(userDir, 'settings.json'), settings);
  }

  const cluster = pass.cluster ? await options.cluster : undefined;
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: dirs.xdgConfig,
    XDG_DATA_HOME: dirs.xdgData,
    // The pass's own cluster, or none at all (never the developer's): then the Services view is offline.
    KUBECONFIG: cluster?.kubeconfigPath ?? path.join(tmp, 'no-kubeconfig'),
    IPTABLES_LENS_E2E_CLUSTER_CONTEXT: cluster?.context ?? '',
    // Read by test/e2e to know what this pass expects.
    IPTABLES_LENS_E2E_PASS: name,
    IPTABLES_LENS_E2E_TRUSTED: String(pass.trusted),
    IPTABLES_LENS_E2E_EXTENSION_ROOT: pass.installVsix ? dirs.extensions : repoRoot,
    IPTABLES_LENS_E2E_WORKSPACE: dirs.workspace,
    IPTABLES_LENS_E2E_WORKBENCH_REPORT: path.join(tmp, 'workbench-report.json'),
  };
  const commonArgs = [
    '--accept-server-license-terms',
    '--telemetry-level',
    'off',
    '--server-data-dir',
    dirs.serverData,
    '--user-data-dir',
    dirs.userData,
    '--extensions-dir',
    dirs.extensions,
  ];

  if (pass.installVsix) {
    if (!fs.existsSync(options.vsix)) {
      fail(`${path.relative(repoRoot, options.vsix)} is missing: run \`npm run package\` first`);
    }
    const install = spawnSync(process.execPath, [serverMain, ...commonArgs, '--install-extension', options.vsix], {
      env,
      encoding: 'utf8',
    });
    fs.writeFileSync(path.join(passResults, 'install-extension.log'), `${install.stdout}\n${install.stderr}`);
    if (install.status !== 0) {
      fail(`--install-extension ${options.vsix} failed (${install.status}):\n${install.stdout}\n${install.stderr}`);
    }
    console.log(`e2e[${name}]: installed ${path.relative(repoRoot, options.vsix)}`);
  }

  const port = await freePort();
  const serverLog = fs.createWriteStream(path.join(passResults, 'server.log'));
  // detached: the server gets its own session and process group (setsid), so stopping the group also
  // stops the extension host and the language server it keeps alive after the browser leaves.
  const server = spawn(
    process.execPath,
    [serverMain, '--host', '127.0.0.1', '--port', String(port), '--without-connection-token', '--enable-smoke-test-driver', ...commonArgs],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  server.stdout.pipe(serverLog);
  server.stderr.pipe(serverLog);
  const stopOnSignal = () => {
    killGroup(server);
    process.exit(130);
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);

  const hostLogPath = path.join(passResults, 'extension-host.log');
  const hostLog = fs.createWriteStream(hostLogPath);
  let browser;
  let result = { code: 1, passed: 0, failed: 0 };
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitFor('the VS Code server to answer /version', 30_000, async () => (await fetch(`${base}/version`)).ok);

    const remote = (absolutePath) => `vscode-remote://127.0.0.1:${port}${absolutePath}`;
    const payload = [
      ['extensionDevelopmentPath', remote(pass.installVsix ? dirs.emptyDevelopmentPath : repoRoot)],
      ['extensionTestsPath', remote(path.join(testsOutDir, 'index.js'))],
      ['skipWelcome', 'true'],
      ['skipReleaseNotes', 'true'],
    ];
    const url = `${base}/?folder=${encodeURIComponent(dirs.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;

    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
      ],
    });
    const page = await browser.newPage({ viewport: { width: 1800, height: 1000 } });
    page.on('pageerror', (error) => hostLog.write(`[pageerror] ${error.stack ?? error}\n`));

    let summary;
    let photographed;
    let resolveExit;
    const exited = new Promise((resolve) => (resolveExit = resolve));
    // The workbench forwards its log and the extension host's console here as (level, [console args]).
    let suiteRunning = false;
    await page.exposeFunction('codeAutomationLog', (level, payload) => {
      const text = Array.isArray(payload) ? format(...payload) : format(payload);
      hostLog.write(`${level} ${text}\n`);
      if (text.startsWith('E2E-BEGIN')) {
        suiteRunning = true;
        return;
      }
      const match = /^E2E-SUMMARY (\{.*\})/.exec(text);
      if (match) {
        summary = JSON.parse(match[1]);
        suiteRunning = false;
        return;
      }
      // The suite's last test has arranged the workbench and waits for this report (test/e2e/workbench.test.ts).
      // It may ask again (`E2E-SCREENSHOT-READY <n>`) until the views have settled; the last picture stays.
      const ready = /^E2E-SCREENSHOT-READY (\d+)/.exec(text);
      if (ready) {
        photographed = (photographed ?? Promise.resolve()).then(async () => {
          const report = await photograph(page, passResults, name);
          // Written aside and renamed: the test reads the report as soon as its name exists.
          const file = `${env.IPTABLES_LENS_E2E_WORKBENCH_REPORT}.${ready[1]}`;
          fs.writeFileSync(`${file}.partial`, JSON.stringify(report, null, 2));
          fs.renameSync(`${file}.partial`, file);
        });
        return;
      }
      // While mocha runs, echo its reporter (and anything the extension logs); offline noise stays in the log.
      if (suiteRunning && !OFFLINE_NOISE.test(text)) {
        process.stdout.write(`${text.replace(/^/gm, `e2e[${name}] `)}\n`);
      }
    });
    await page.exposeFunction('codeAutomationExit', (code) => resolveExit(code));
    await page.goto(url);

    const code = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('timeout'), PASS_DEADLINE_MS).unref())]);
    if (code === 'timeout') {
      console.error(`e2e[${name}]: the suite did not finish within ${PASS_DEADLINE_MS / 1000} s`);
    }
    if (photographed) {
      await photographed;
    } else {
      // The suite ended before arranging the workbench: still keep a picture of how it ended.
      await page.screenshot({ path: path.join(passResults, 'workbench.png') });
    }
    result = {
      code: code === 'timeout' ? 1 : Number(code),
      passed: summary?.passed ?? 0,
      failed: summary?.failed ?? (code === 0 ? 0 : 1),
    };
  } finally {
    await browser?.close().catch(() => undefined);
    await stopServer(server);
    process.removeListener('SIGINT', stopOnSignal);
    process.removeListener('SIGTERM', stopOnSignal);
    serverLog.end();
    hostLog.end();
    if (!options.keep) {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  return { ...result, seconds: (Date.now() - started) / 1000 };
}

/**
 * The suite has a dump open with the Outline and the Services view showing. Wait (with a deadline) until the
 * workbench has painted the editor's tokens and the outline's rows, take the picture a person can look at,
 * and report what the workbench shows, for the suite to assert on: the distinct token colour classes of the
 * visible editor lines, and the rows of every visible view.
 */
async function photograph(page, passResults, name) {
  const file = path.join(passResults, 'workbench.png');
  const waitPainted = async (selector) => {
    try {
      await page.waitForSelector(selector, { state: 'visible', timeout: 15_000 });
    } catch {
      console.error(`e2e[${name}]: ${selector} did not appear`);
    }
  };
  await waitPainted('.editor-group-container.active .monaco-editor .view-lines .view-line span[class*="mtk"]');
  await waitPainted('.outline-pane .monaco-list-row');
  await page.screenshot({ path: file });
  console.log(`e2e[${name}]: screenshot ${path.relative(repoRoot, file)}`);
  return page.evaluate(() => {
    const editorLines = document.querySelector('.editor-group-container.active .monaco-editor .view-lines');
    const tokenClasses = new Set();
    for (const span of editorLines?.querySelectorAll('span[class*="mtk"]') ?? []) {
      for (const cls of span.classList) {
        if (/^mtk\d+$/.test(cls)) {
          tokenClasses.add(cls);
        }
      }
    }
    const views = {};
    for (const pane of document.querySelectorAll('.pane')) {
      const title = pane.querySelector('.pane-header .title')?.textContent?.trim();
      const body = pane.querySelector('.pane-body');
      if (!title || !body || !pane.classList.contains('expanded')) {
        continue;
      }
      views[title] = [...body.querySelectorAll('.monaco-list-row')].map((row) => row.textContent?.trim() ?? '');
    }
    return { tokenClasses: [...tokenClasses].sort(), views };
  });
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(serverMain)) {
    fail(`VS Code server not found at ${serverMain}: run \`bash scripts/e2e/install.sh\` first`);
  }
  if (!fs.existsSync(chromiumPath)) {
    fail(`${chromiumPath} not found: run \`bash scripts/e2e/install.sh\` first (apt chromium)`);
  }
  if (!fs.existsSync(path.join(repoRoot, 'dist', 'extension.js'))) {
    fail('dist/extension.js is missing: run `npm run build` first');
  }
  const corpusDir = findCorpus();
  if (!corpusDir) {
    fail('no corpus folder with the dumps the suite opens (test/fixtures/corpus or ../shared/corpus)');
  }
  const started = Date.now();
  await compileSuite();
  let passed = 0;
  let failed = 0;
  let exitCode = 0;
  const needsCluster = !options.noCluster && options.passes.some((name) => PASSES[name].cluster);
  options.cluster = needsCluster ? startCluster() : undefined;
  // Whatever ends this process (Ctrl-C included) ends the API server's process group too.
  options.cluster?.then(
    (cluster) =>
      process.once('exit', () => {
        try {
          process.kill(-cluster.process.pid, 'SIGTERM');
        } catch {
          // already stopped
        }
      }),
    () => undefined,
  );
  for (const name of options.passes) {
    const result = await runPass(name, options, corpusDir).catch((error) => {
      console.error(`e2e[${name}]: ${error instanceof Error ? error.message : error}`);
      return { code: 1, passed: 0, failed: 1, seconds: 0 };
    });
    console.log(`e2e[${name}]: exit ${result.code}, ${result.passed} passed, ${result.failed} failed, ${result.seconds.toFixed(1)} s`);
    passed += result.passed;
    failed += result.failed;
    if (result.code !== 0) {
      exitCode = 1;
    }
  }
  const cluster = await options.cluster?.catch(() => undefined);
  if (cluster) {
    await stopServer(cluster.process);
  }
  console.log(`e2e: ${options.passes.join(' + ')} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  process.exit(exitCode);
}

await main();
