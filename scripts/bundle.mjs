// Bundles the extension for VS Code: the client (with @kubernetes/client-node, which is ESM-only), the
// language server and the CLI, each as one CommonJS file in dist/. `vscode` stays external.
import { build } from 'esbuild';

const production = process.argv.includes('--production');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  external: ['vscode'],
  logLevel: 'warning',
};

await Promise.all([
  build({ ...common, entryPoints: ['client/src/extension.ts'], outfile: 'dist/extension.js' }),
  build({ ...common, entryPoints: ['server/src/server.ts'], outfile: 'dist/server.js' }),
  // The CLI's `services --kubeconfig` runs the Services view's cluster model; server/out/cli.js loads this bundle.
  build({ ...common, entryPoints: ['client/src/cluster/servicesCommand.ts'], outfile: 'dist/services-cli.js' }),
]);
