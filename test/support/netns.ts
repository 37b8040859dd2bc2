// Real netfilter for tests: a throw-away network namespace that real Debian iptables loads rulesets into and prints them back from.
//
// Every namespace made here is deleted when the test is done with it, and — should a test crash or be interrupted —
// on process exit too, so a failing run leaves no namespace behind. Nothing here touches the host's own rules:
// every command runs under `ip netns exec NAME`.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** Which iptables implementation writes the rules into the kernel: nf_tables (Debian's default) or the legacy x_tables. */
export type IptablesBackend = 'nft' | 'legacy';

/** IPv4 rules go through `iptables`, IPv6 rules through `ip6tables`. */
export type IpFamily = 4 | 6;

/** Which tool and backend a command runs with. */
export interface IptablesFlavour {
  family?: IpFamily;
  backend?: IptablesBackend;
}

/** The `iptables -L` options a listing is printed with. */
export interface ListOptions extends IptablesFlavour {
  /** `-n`: numeric addresses and ports (without it iptables prints `anywhere` and service names). Default true. */
  numeric?: boolean;
  /** `-v`: counters, interfaces and options. Default true. */
  verbose?: boolean;
  /** `-x`: exact counters instead of K/M/G. Default false. */
  exact?: boolean;
  /** `--line-numbers`: the `num` column. Default false. */
  lineNumbers?: boolean;
}

/** Output large enough for a 450,000-line dump; the default 1 MiB of child_process would cut it. */
const MAX_OUTPUT_BYTES = 1024 * 1024 * 1024;

const liveNamespaces = new Set<string>();
let cleanupRegistered = false;
let namespaceCounter = 0;

/** Deletes every namespace this process made and has not deleted yet; runs on exit and on SIGINT/SIGTERM. */
function deleteLiveNamespaces(): void {
  for (const name of liveNamespaces) {
    spawnSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
    liveNamespaces.delete(name);
  }
}

function registerCleanup(): void {
  if (cleanupRegistered) {
    return;
  }
  cleanupRegistered = true;
  process.on('exit', deleteLiveNamespaces);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      deleteLiveNamespaces();
      // Re-raise so the process still ends the way the signal asked (exit code 128 + n).
      process.kill(process.pid, signal);
    });
  }
}

/** The binary for a flavour: `iptables-nft-save`, `ip6tables-legacy-restore`, `iptables-nft` … */
export function iptablesBinary(tool: '' | '-save' | '-restore', flavour: IptablesFlavour = {}): string {
  const family = flavour.family ?? 4;
  const backend = flavour.backend ?? 'nft';
  return `${family === 6 ? 'ip6tables' : 'iptables'}-${backend}${tool}`;
}

function run(command: string, args: string[], input?: string): string {
  const result = spawnSync(command, args, {
    input,
    encoding: 'utf8',
    maxBuffer: MAX_OUTPUT_BYTES,
  });
  if (result.error) {
    throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`);
  }
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}: ${result.stderr.trim() || '(no output)'}`);
  }
  return result.stdout;
}

/**
 * Throws an error that says what is missing when this process cannot run real iptables in a namespace:
 * tests that need them fail with that message instead of being skipped (CI runs as root with iptables installed).
 */
export function requireNetnsIptables(flavour: IptablesFlavour = {}): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error('this test needs root (network namespaces and iptables); run it as root, as CI does');
  }
  for (const binary of ['ip', iptablesBinary('', flavour), iptablesBinary('-save', flavour), iptablesBinary('-restore', flavour)]) {
    const found = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
    if (found.status !== 0) {
      throw new Error(`this test needs ${binary}: apt-get install -y iptables iproute2`);
    }
  }
}

/** A network namespace of this process's own, with real iptables run inside it. Call `delete()` when done. */
export class NetworkNamespace {
  private deleted = false;

  private constructor(readonly name: string) {}

  /** Creates a namespace with a name no other test or process uses (`iplens-<pid>-<n>-<random>`). */
  static create(prefix = 'iplens'): NetworkNamespace {
    registerCleanup();
    namespaceCounter += 1;
    const name = `${prefix}-${process.pid}-${namespaceCounter}-${randomBytes(3).toString('hex')}`;
    run('ip', ['netns', 'add', name]);
    liveNamespaces.add(name);
    return new NetworkNamespace(name);
  }

  /** Runs a command inside the namespace and returns its standard output; throws with its standard error on failure. */
  exec(args: string[], input?: string): string {
    if (this.deleted) {
      throw new Error(`namespace ${this.name} was already deleted`);
    }
    return run('ip', ['netns', 'exec', this.name, ...args], input);
  }

  /**
   * Loads a ruleset with `iptables-restore` (which replaces the tables it names). `counters` keeps the
   * `[packets:bytes]` of the input (`--counters`), as `iptables-save -c` output needs.
   */
  restore(ruleset: string, options: IptablesFlavour & { counters?: boolean } = {}): void {
    const args = [iptablesBinary('-restore', options)];
    if (options.counters) {
      args.push('--counters');
    }
    this.exec(args, ruleset);
  }

  /** `iptables-save` (all tables, or one with `table`); `counters` adds `[packets:bytes]` to every rule (`-c`). */
  save(options: IptablesFlavour & { counters?: boolean; table?: string } = {}): string {
    const args = [iptablesBinary('-save', options)];
    if (options.counters) {
      args.push('-c');
    }
    if (options.table) {
      args.push('-t', options.table);
    }
    return this.exec(args);
  }

  /** `iptables -t TABLE -S`: the rules as the commands that would make them. */
  spec(table: string, flavour: IptablesFlavour = {}): string {
    return this.exec([iptablesBinary('', flavour), '-t', table, '-S']);
  }

  /** `iptables -t TABLE -L` with the options asked for (default `-n -v`). */
  list(table: string, options: ListOptions = {}): string {
    const args = [iptablesBinary('', options), '-t', table, '-L'];
    if (options.numeric ?? true) {
      args.push('-n');
    }
    if (options.verbose ?? true) {
      args.push('-v');
    }
    if (options.exact) {
      args.push('-x');
    }
    if (options.lineNumbers) {
      args.push('--line-numbers');
    }
    return this.exec(args);
  }

  /**
   * Several tables' `-L` listings one after another, the way a user pastes
   * `iptables -t filter -L -n -v; iptables -t nat -L -n -v`: no table names anywhere, so a parser must infer them.
   */
  listTables(tables: readonly string[], options: ListOptions = {}): string {
    return tables.map((table) => this.list(table, options)).join('');
  }

  /** `iptables -t TABLE -S` for several tables one after another, as a user pastes them. */
  specTables(tables: readonly string[], flavour: IptablesFlavour = {}): string {
    return tables.map((table) => this.spec(table, flavour)).join('');
  }

  /** Deletes the namespace and every rule in it. Safe to call twice. */
  delete(): void {
    if (this.deleted) {
      return;
    }
    this.deleted = true;
    liveNamespaces.delete(this.name);
    run('ip', ['netns', 'delete', this.name]);
  }
}

/** Runs `body` with a fresh namespace and deletes the namespace afterwards, whether `body` returned or threw. */
export async function withNetworkNamespace<T>(body: (ns: NetworkNamespace) => T | Promise<T>): Promise<T> {
  const ns = NetworkNamespace.create();
  try {
    return await body(ns);
  } finally {
    ns.delete();
  }
}

/** Names of the namespaces this process has made and not yet deleted (for tests of the cleanup itself). */
export function liveNamespaceNames(): string[] {
  return [...liveNamespaces];
}
