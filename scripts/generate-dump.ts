// Writes a generated kube-proxy ruleset to stdout, for the benchmark and for trying the extension on big dumps by hand.
//
//   npx tsx scripts/generate-dump.ts --services 20000 --max-endpoints 10 --format save --seed 1 > big.iptables-save
//
// Formats: `restore` (kube-proxy's iptables-restore input), `save` (as iptables-nft-save prints it), `list`
// (an approximation of `iptables -L -n -v` for both tables), `list-x` (`-L -n -v -x --line-numbers`), `truth`
// (the ground truth as JSON). Statistics go to stderr.
import { generateKubeDump, renderListing, renderRestore, renderSave, type KubeDumpOptions } from '../test/support/generateKubeDump';

const USAGE = `usage: generate-dump.ts [--services N] [--min-endpoints N] [--max-endpoints N] [--seed N] [--ipv6]
                        [--comments auto|yes|no] [--no-builtin-jumps] [--format restore|save|list|list-x|truth]`;

function parseArguments(argv: string[]): { options: KubeDumpOptions; format: string } {
  const options: KubeDumpOptions = {};
  let format = 'save';
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const next = (): string => {
      const value = argv[++i];
      if (value === undefined) {
        throw new Error(`${flag} needs a value\n${USAGE}`);
      }
      return value;
    };
    const integer = (): number => {
      const value = Number(next());
      if (!Number.isInteger(value) || value < 0) {
        throw new Error(`${flag} needs a non-negative integer\n${USAGE}`);
      }
      return value;
    };
    switch (flag) {
      case '--services':
        options.services = integer();
        break;
      case '--min-endpoints':
        options.minEndpoints = integer();
        break;
      case '--max-endpoints':
        options.maxEndpoints = integer();
        break;
      case '--seed':
        options.seed = integer();
        break;
      case '--ipv6':
        options.family = 6;
        break;
      case '--comments': {
        const value = next();
        options.comments = value === 'auto' ? 'auto' : value === 'yes';
        break;
      }
      case '--no-builtin-jumps':
        options.builtinJumps = false;
        break;
      case '--format':
        format = next();
        break;
      case '--help':
      case '-h':
        process.stdout.write(USAGE + '\n');
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${flag}\n${USAGE}`);
    }
  }
  if (options.minEndpoints !== undefined && options.maxEndpoints === undefined) {
    options.maxEndpoints = Math.max(options.minEndpoints, 3);
  }
  return { options, format };
}

function main(): void {
  const { options, format } = parseArguments(process.argv.slice(2));
  const started = performance.now();
  const dump = generateKubeDump(options);
  const generated = performance.now();
  let text: string;
  switch (format) {
    case 'restore':
      text = renderRestore(dump);
      break;
    case 'save':
      text = renderSave(dump);
      break;
    case 'list':
      text = renderListing(dump);
      break;
    case 'list-x':
      text = renderListing(dump, { exactWithLineNumbers: true });
      break;
    case 'truth':
      text = JSON.stringify(dump.servicePorts, null, 1) + '\n';
      break;
    default:
      throw new Error(`unknown format ${format}\n${USAGE}`);
  }
  const rendered = performance.now();
  process.stdout.write(text);
  const lines = text.length === 0 ? 0 : text.split('\n').length - 1;
  process.stderr.write(
    `${dump.servicePorts.length} service ports, ${dump.totalEndpoints} endpoints, ${lines} lines, ` +
      `${(text.length / 1e6).toFixed(1)} MB; generate ${(generated - started).toFixed(0)} ms, ` +
      `render ${(rendered - generated).toFixed(0)} ms\n`,
  );
}

try {
  main();
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}
