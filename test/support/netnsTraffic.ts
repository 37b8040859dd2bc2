// Real traffic between network namespaces a test made: veth pairs, addresses and routes, a tiny TCP/UDP
// listener that says which of its addresses a connection reached and who it came from, and a client that opens
// a bounded number of connections and counts the answers.
//
// Every address used here lives in a namespace of the test; no namespace gets a default route; every loop is
// bounded in count and time, and every process started here is stopped by its own pid.
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import type { NetworkNamespace } from './netns';

/** Runs `ip` inside a namespace (`ip -n NS …` needs no shell). */
export function ip(ns: NetworkNamespace, ...args: string[]): void {
  ns.exec(['ip', ...args]);
}

/** Sets a sysctl of the namespace (`net.ipv4.ip_forward`): /proc/sys/net is per namespace for a process inside it. */
export function sysctl(ns: NetworkNamespace, key: string, value: string): void {
  if (!/^[\w.]+$/.test(key) || !/^\w+$/.test(value)) {
    throw new Error(`bad sysctl ${key}=${value}`);
  }
  ns.exec(['sh', '-c', `echo ${value} > /proc/sys/${key.replace(/\./g, '/')}`]);
}

/**
 * A veth pair from `a` (interface `aName`) to `b` (`bName`), both up, with `lo` up on both sides. Each side gets
 * its address (CIDR, `100.64.1.1/24`) when one is given.
 */
export function connectVeth(
  a: NetworkNamespace,
  aName: string,
  aAddress: string | undefined,
  b: NetworkNamespace,
  bName: string,
  bAddress: string | undefined,
): void {
  ip(a, 'link', 'add', aName, 'type', 'veth', 'peer', 'name', bName, 'netns', b.name);
  if (aAddress) {
    ip(a, 'addr', 'add', aAddress, 'dev', aName);
  }
  if (bAddress) {
    ip(b, 'addr', 'add', bAddress, 'dev', bName);
  }
  for (const [ns, name] of [
    [a, aName],
    [b, bName],
  ] as const) {
    ip(ns, 'link', 'set', name, 'up');
    ip(ns, 'link', 'set', 'lo', 'up');
  }
}

/** One socket a listener opens: `ip:port` over TCP or UDP. */
export interface ListenSpec {
  protocol: 'tcp' | 'udp';
  ip: string;
  port: number;
}

/**
 * The listener, run by `node -e` inside a namespace: one socket per spec, bound to that address so the answer
 * can name it. Each answer is `LOCAL_IP:LOCAL_PORT REMOTE_IP`. It prints `ready` once every socket is bound and
 * exits when its standard input closes (so it never outlives the test).
 */
const LISTENER = String.raw`
const net = require('node:net');
const dgram = require('node:dgram');
const specs = JSON.parse(process.argv[1]);
let pending = specs.length;
const bound = () => { if (--pending === 0) process.stdout.write('ready\n'); };
for (const s of specs) {
  if (s.protocol === 'tcp') {
    const server = net.createServer((c) => { c.on('error', () => {}); c.end(s.ip + ':' + s.port + ' ' + c.remoteAddress + '\n'); });
    server.on('error', (e) => { process.stderr.write(String(e) + '\n'); process.exit(3); });
    server.listen({ host: s.ip, port: s.port }, bound);
  } else {
    const socket = dgram.createSocket(s.ip.includes(':') ? 'udp6' : 'udp4');
    socket.on('message', (m, r) => socket.send(s.ip + ':' + s.port + ' ' + r.address + '\n', r.port, r.address));
    socket.on('error', (e) => { process.stderr.write(String(e) + '\n'); process.exit(3); });
    socket.bind({ address: s.ip, port: s.port }, bound);
  }
}
if (specs.length === 0) process.stdout.write('ready\n');
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

/** A listener process inside a namespace. */
export class Listener {
  private constructor(private readonly child: ChildProcessWithoutNullStreams) {}

  /** Starts the listener and waits (at most `timeoutMs`) until all its sockets are bound. */
  static start(ns: NetworkNamespace, specs: ListenSpec[], timeoutMs = 10_000): Promise<Listener> {
    const child = spawn('ip', ['netns', 'exec', ns.name, process.execPath, '-e', LISTENER, JSON.stringify(specs)], { stdio: 'pipe' });
    return new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`listener in ${ns.name} not ready after ${timeoutMs} ms: ${err}`));
      }, timeoutMs);
      child.stdout.on('data', (data: Buffer) => {
        out += data.toString();
        if (out.includes('ready\n')) {
          clearTimeout(timer);
          resolve(new Listener(child));
        }
      });
      child.stderr.on('data', (data: Buffer) => (err += data.toString()));
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`listener in ${ns.name} exited with ${code}: ${err}`));
      });
    });
  }

  /** Stops the listener (closing its standard input; SIGKILL by pid if it lingers) and waits for it to exit. */
  stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.child.stdin.end();
    });
  }
}

/** A batch of connections to one destination from one source address. */
export interface ConnectionJob {
  protocol: 'tcp' | 'udp';
  dst: string;
  port: number;
  src: string;
  count: number;
}

/** What a batch got: answers (`LOCAL_IP:PORT REMOTE_IP` → count) and errors (`ECONNREFUSED`, `TIMEOUT` … → count). */
export interface ConnectionResult {
  job: ConnectionJob;
  answers: Record<string, number>;
  errors: Record<string, number>;
  attempts: number;
}

/**
 * The client, run by `node -e` inside a namespace: every job's connections, a few at a time, each with its own
 * socket (so a new conntrack entry and a new load-balancing decision) and a timeout; it stops starting new ones
 * at the deadline. Prints one JSON line.
 */
const CLIENT = String.raw`
const net = require('node:net');
const dgram = require('node:dgram');
const { jobs, timeoutMs, deadlineMs, concurrency } = JSON.parse(process.argv[1]);
const deadline = Date.now() + deadlineMs;
const results = jobs.map((job) => ({ job, answers: {}, errors: {}, attempts: 0 }));
const queue = [];
jobs.forEach((job, j) => { for (let i = 0; i < job.count; i++) queue.push(j); });
function attempt(j) {
  const job = jobs[j];
  const r = results[j];
  r.attempts++;
  return new Promise((resolve) => {
    let done = false;
    let text = '';
    let close = () => {};
    const finish = (answer, error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (answer !== undefined) r.answers[answer] = (r.answers[answer] || 0) + 1;
      else r.errors[error] = (r.errors[error] || 0) + 1;
      close();
      resolve();
    };
    const timer = setTimeout(() => finish(undefined, 'TIMEOUT'), timeoutMs);
    if (job.protocol === 'tcp') {
      const c = net.connect({ host: job.dst, port: job.port, localAddress: job.src });
      close = () => c.destroy();
      c.on('data', (d) => { text += d; });
      c.on('end', () => finish(text.trim()));
      c.on('error', (e) => finish(undefined, e.code || String(e)));
    } else {
      const s = dgram.createSocket(job.dst.includes(':') ? 'udp6' : 'udp4');
      close = () => { try { s.close(); } catch {} };
      s.on('error', (e) => finish(undefined, e.code || String(e)));
      s.on('message', (m) => finish(m.toString().trim()));
      s.bind({ address: job.src, port: 0 }, () => s.connect(job.port, job.dst, (e) => {
        if (e) return finish(undefined, e.code || String(e));
        s.send('which endpoint?', (e2) => { if (e2) finish(undefined, e2.code || String(e2)); });
      }));
    }
  });
}
async function worker() {
  while (queue.length && Date.now() < deadline) await attempt(queue.shift());
}
Promise.all(Array.from({ length: concurrency }, worker)).then(() => {
  process.stdout.write(JSON.stringify({ results, unfinished: queue.length }) + '\n');
});
`;

/**
 * Opens the connections of every job from inside `ns` and returns what each got. At most `deadlineMs` is spent
 * starting connections; each one waits at most `timeoutMs`.
 */
export function runConnections(
  ns: NetworkNamespace,
  jobs: ConnectionJob[],
  options: { timeoutMs?: number; deadlineMs?: number; concurrency?: number } = {},
): Promise<{ results: ConnectionResult[]; unfinished: number }> {
  const input = {
    jobs,
    // Generous: on a loaded 2-core machine a SYN can wait for its 1 s retransmission, and then some.
    timeoutMs: options.timeoutMs ?? 5_000,
    deadlineMs: options.deadlineMs ?? 30_000,
    concurrency: options.concurrency ?? 8,
  };
  const child = spawn('ip', ['netns', 'exec', ns.name, process.execPath, '-e', CLIENT, JSON.stringify(input)], { stdio: 'pipe' });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    // The client bounds itself; this is the backstop should it hang.
    const backstop = setTimeout(() => child.kill('SIGKILL'), input.deadlineMs + input.timeoutMs + 10_000);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdin.end();
    child.on('exit', (code, signal) => {
      clearTimeout(backstop);
      if (code !== 0) {
        reject(new Error(`client in ${ns.name} exited with ${code ?? signal}: ${err}`));
        return;
      }
      try {
        resolve(JSON.parse(out) as { results: ConnectionResult[]; unfinished: number });
      } catch (error) {
        reject(new Error(`client output not JSON (${String(error)}): ${out.slice(0, 500)} ${err}`));
      }
    });
  });
}
