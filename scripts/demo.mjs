// The main job: build the extension, package the .vsix, and run the language server's features on the
// bundled sample dumps from the command line, so a new user sees them work.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const run = (command, args, options = {}) => {
  console.log(`\n$ ${[command, ...args].join(' ')}`);
  execFileSync(command, args, { stdio: 'inherit', ...options });
};
const cli = (...args) => {
  console.log(`\n$ node server/out/cli.js ${args.join(' ')}`);
  try {
    execFileSync(process.execPath, ['server/out/cli.js', ...args], { stdio: 'inherit' });
  } catch (error) {
    // `check` exits 1 when a dump has errors: that is its answer, not a failure of the demo.
    if (args[0] !== 'check') {
      throw error;
    }
  }
};

run('npm', ['run', 'build']);
run('npm', ['run', 'package']);
console.log(`\npackaged: ${readdirSync('.').filter((f) => f.endsWith('.vsix')).join(', ')}`);

const seed = 'samples/calico-kube-proxy-nat.txt';
const save = 'samples/kube-proxy.iptables-save';
cli('symbols', seed);
cli('check', seed);
cli('hover', seed, '107:10');
cli('definition', seed, '102:20');
cli('references', seed, '23:10');
cli('services', seed);
cli('symbols', save);
cli('services', save);
cli('trace', seed, '--dst', '10.100.200.79:80', '--proto', 'tcp', '--src', '10.200.1.5');
console.log('\nThe language server for any LSP editor: node server/out/server.js --stdio');
