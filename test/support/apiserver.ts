// A real Kubernetes API server for tests: Debian's etcd plus the kube-apiserver v1.20.2 binary from
// ../shared/k8s, on random free ports on 127.0.0.1, with throw-away certificates and static tokens.
//
// No kubelet, scheduler or controller manager runs: tests create pods and set their status through
// the `status` subresource, and write Endpoints / EndpointSlices themselves, as the endpoint
// controllers would. Setup talks to the API with plain HTTPS (not with @kubernetes/client-node) so the
// code under test is never also the code that prepares its data.
/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes objects of every kind pass through here, and tests read and edit them loosely. */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';

const execFileAsync = promisify(execFile);

const APISERVER_VERSION = 'v1.20.2';
const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Users the apiserver knows (tokens.csv); the kubeconfig has one context per user. */
export interface ApiServerUser {
  name: string;
  token: string;
  groups: string[];
}

export interface RunningApiServer {
  /** `https://127.0.0.1:PORT`. */
  url: string;
  /** PEM of the CA that signed the serving certificate. */
  caPem: string;
  /** A kubeconfig with contexts `admin` (current, system:masters) and `limited` (no RBAC rights until a test grants some). */
  kubeconfigPath: string;
  adminToken: string;
  limitedToken: string;
  /** A third user, `watcher`, with no RBAC rights until a test grants some. */
  watcherToken: string;
  /** Temporary directory holding certs, tokens, data and logs; removed by stop(). */
  dir: string;
  /** Milliseconds from spawning the apiserver to a 200 from /readyz. */
  readyAfterMs: number;
  api: ApiRequester;
  stop(): Promise<void>;
  /** Kills both processes at once and removes the directory; for a process 'exit' handler, which cannot wait. */
  stopNow(): void;
}

/** Where the apiserver binary comes from: $KUBE_APISERVER, or the gzip in ../shared/k8s unpacked once into a cache. */
export async function kubeApiserverBinary(): Promise<string> {
  const explicit = process.env.KUBE_APISERVER;
  if (explicit) {
    return explicit;
  }
  const cacheDir = path.join(os.tmpdir(), 'iptables-lens-k8s');
  const binary = path.join(cacheDir, `kube-apiserver-${APISERVER_VERSION}`);
  if (fs.existsSync(binary)) {
    return binary;
  }
  const sharedDir = process.env.IPTABLES_LENS_K8S_DIR ?? path.resolve(REPO_ROOT, '..', 'shared', 'k8s');
  const gz = path.join(sharedDir, `kube-apiserver-${APISERVER_VERSION}-linux-amd64.gz`);
  if (!fs.existsSync(gz)) {
    throw new Error(`kube-apiserver not found: set KUBE_APISERVER, or provide ${gz}`);
  }
  fs.mkdirSync(cacheDir, { recursive: true });
  // Unpack to a private name first so a concurrent run never executes a half-written file.
  const partial = `${binary}.${process.pid}.partial`;
  await pipeline(fs.createReadStream(gz), createGunzip(), fs.createWriteStream(partial, { mode: 0o755 }));
  fs.renameSync(partial, binary);
  return binary;
}

/** A free TCP port on 127.0.0.1 (the kernel picks it; the tiny race until the server binds is accepted). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
}

/** Polls `probe` until it returns true or the deadline passes; the wait between tries grows but stays short. */
export async function pollUntil(what: string, timeoutMs: number, probe: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let wait = 25;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await probe()) {
        return;
      }
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, wait));
    wait = Math.min(wait * 2, 250);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

async function openssl(cwd: string, args: string[]): Promise<void> {
  await execFileAsync('openssl', args, { cwd });
}

/** A self-signed CA, a serving cert for IP:127.0.0.1 signed by it, and the service-account key pair, in `dir`. */
export async function makeCertificates(dir: string): Promise<void> {
  await openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=iptables-lens-test-ca',
  ]);
  await openssl(dir, [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=kube-apiserver',
  ]);
  fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'san.ext',
  ]);
  await openssl(dir, ['genrsa', '-out', 'sa.key', '2048']);
  await openssl(dir, ['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
}

function randomToken(): string {
  return randomBytes(24).toString('hex');
}

function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Writes a kubeconfig for the server with one context per user; `admin` is current. */
export function writeKubeconfig(file: string, url: string, caPem: string, users: ApiServerUser[]): void {
  const ca = Buffer.from(caPem).toString('base64');
  const lines = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: test',
    '  cluster:',
    `    server: ${url}`,
    `    certificate-authority-data: ${ca}`,
    'users:',
    ...users.flatMap((u) => [`- name: ${u.name}`, '  user:', `    token: ${u.token}`]),
    'contexts:',
    ...users.flatMap((u) => [`- name: ${u.name}`, '  context:', '    cluster: test', `    user: ${u.name}`]),
    `current-context: ${users[0].name}`,
    '',
  ];
  fs.writeFileSync(file, lines.join('\n'));
}

/** Starts etcd and kube-apiserver; resolves once /readyz answers 200. */
export async function startApiServer(): Promise<RunningApiServer> {
  const binary = await kubeApiserverBinary();
  if (!fs.existsSync('/usr/bin/etcd') && !(process.env.PATH ?? '').split(path.delimiter).some((d) => fs.existsSync(path.join(d, 'etcd')))) {
    throw new Error("etcd not found on PATH: install Debian's etcd-server (scripts/setup.sh does)");
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iptables-lens-apiserver-'));
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const child of children.reverse()) {
      await stopProcess(child);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const stopNow = (): void => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
      }
    }
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // A process still closing a file may race the removal; the directory is in tmp anyway.
    }
  };
  try {
    await makeCertificates(dir);
    const admin: ApiServerUser = { name: 'admin', token: randomToken(), groups: ['system:masters'] };
    const limited: ApiServerUser = { name: 'limited', token: randomToken(), groups: [] };
    const watcher: ApiServerUser = { name: 'watcher', token: randomToken(), groups: [] };
    fs.writeFileSync(
      path.join(dir, 'tokens.csv'),
      [admin, limited, watcher]
        .map((u) => `${u.token},${u.name},${u.name}-uid${u.groups.length ? `,"${u.groups.join(',')}"` : ''}`)
        .join('\n') + '\n',
    );

    const [etcdClient, etcdPeer, etcdMetrics, securePort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const peerUrl = `http://127.0.0.1:${etcdPeer}`;
    children.push(
      spawnLogged(
        'etcd',
        [
          '--data-dir',
          path.join(dir, 'etcd'),
          '--listen-client-urls',
          etcdUrl,
          '--advertise-client-urls',
          etcdUrl,
          '--listen-peer-urls',
          peerUrl,
          '--initial-advertise-peer-urls',
          peerUrl,
          '--initial-cluster',
          `default=${peerUrl}`,
          '--listen-metrics-urls',
          `http://127.0.0.1:${etcdMetrics}`,
          '--unsafe-no-fsync',
        ],
        path.join(dir, 'etcd.log'),
      ),
    );
    await pollUntil('etcd /health', 20_000, async () => (await plainGet(`${etcdUrl}/health`)).includes('"health":"true"'));

    const started = Date.now();
    children.push(
      spawnLogged(
        binary,
        [
          `--etcd-servers=${etcdUrl}`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          `--secure-port=${securePort}`,
          '--insecure-port=0',
          `--tls-cert-file=${path.join(dir, 'server.crt')}`,
          `--tls-private-key-file=${path.join(dir, 'server.key')}`,
          `--client-ca-file=${path.join(dir, 'ca.crt')}`,
          `--token-auth-file=${path.join(dir, 'tokens.csv')}`,
          '--authorization-mode=RBAC',
          `--service-account-key-file=${path.join(dir, 'sa.pub')}`,
          `--service-account-signing-key-file=${path.join(dir, 'sa.key')}`,
          '--service-account-issuer=https://kubernetes.default.svc',
          '--api-audiences=https://kubernetes.default.svc',
          '--service-cluster-ip-range=10.96.0.0/16',
          '--disable-admission-plugins=ServiceAccount',
          '--runtime-config=discovery.k8s.io/v1beta1=true',
          '--enable-priority-and-fairness=false',
          `--cert-dir=${path.join(dir, 'certs')}`,
        ],
        path.join(dir, 'apiserver.log'),
      ),
    );
    const url = `https://127.0.0.1:${securePort}`;
    const caPem = fs.readFileSync(path.join(dir, 'ca.crt'), 'utf8');
    const api = new ApiRequester(url, caPem, admin.token);
    const apiserver = children[children.length - 1];
    await pollUntil('kube-apiserver /readyz', 90_000, async () => {
      if (apiserver.exitCode !== null) {
        throw new Error(`kube-apiserver exited with ${apiserver.exitCode}:\n${tail(path.join(dir, 'apiserver.log'))}`);
      }
      return (await api.request('GET', '/readyz')).status === 200;
    });
    const readyAfterMs = Date.now() - started;
    // The default namespace is made by a post-start hook; tests create objects in it right away.
    await pollUntil('namespace default', 30_000, async () => (await api.request('GET', '/api/v1/namespaces/default')).status === 200);

    const kubeconfigPath = path.join(dir, 'kubeconfig');
    writeKubeconfig(kubeconfigPath, url, caPem, [admin, limited]);
    return {
      url,
      caPem,
      kubeconfigPath,
      adminToken: admin.token,
      limitedToken: limited.token,
      watcherToken: watcher.token,
      dir,
      readyAfterMs,
      api,
      stop,
      stopNow,
    };
  } catch (err) {
    const logs = ['etcd.log', 'apiserver.log'].map((f) => `--- ${f}\n${tail(path.join(dir, f))}`).join('\n');
    await stop();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${logs}`);
  }
}

function spawnLogged(command: string, args: string[], logFile: string): ChildProcess {
  const log = fs.openSync(logFile, 'a');
  const child = spawn(command, args, { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  child.unref();
  child.on('error', (err) => fs.appendFileSync(logFile, `spawn error: ${err.message}\n`));
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Children are unref'd so a shared server does not hold mocha open; waiting for one needs the ref back.
  child.ref();
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

function plainGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

export interface ApiResponse {
  status: number;
  body: any;
}

/** Plain HTTPS JSON requests to the apiserver with one token, and the helpers tests build their cluster with. */
export class ApiRequester {
  constructor(
    readonly url: string,
    private readonly caPem: string,
    private readonly token: string,
  ) {}

  /** Another requester for the same server with a different bearer token. */
  as(token: string): ApiRequester {
    return new ApiRequester(this.url, this.caPem, token);
  }

  request(method: string, urlPath: string, body?: unknown, contentType = 'application/json'): Promise<ApiResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        this.url + urlPath,
        {
          method,
          ca: this.caPem,
          headers: {
            authorization: `Bearer ${this.token}`,
            accept: 'application/json',
            ...(payload === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => {
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // /readyz and friends answer plain text.
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** A request that must succeed (2xx); anything else throws with the server's message. */
  async must(method: string, urlPath: string, body?: unknown, contentType?: string): Promise<any> {
    const res = await this.request(method, urlPath, body, contentType);
    if (res.status < 200 || res.status >= 300) {
      throw new Error(`${method} ${urlPath} → ${res.status}: ${typeof res.body === 'string' ? res.body : JSON.stringify(res.body)}`);
    }
    return res.body;
  }

  createNamespace(name: string): Promise<any> {
    return this.must('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }

  /** A ClusterIP service (or `spec.type` as given); the apiserver allocates the cluster IP. */
  createService(namespace: string, name: string, spec: Record<string, unknown>): Promise<any> {
    return this.must('POST', `/api/v1/namespaces/${namespace}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec });
  }

  /** A pod on `nodeName`, then its status (Running, podIP, Ready) written as a kubelet would. */
  async createRunningPod(
    namespace: string,
    name: string,
    opts: { nodeName: string; podIP: string; labels?: Record<string, string>; ready?: boolean; containerName?: string },
  ): Promise<any> {
    await this.must('POST', `/api/v1/namespaces/${namespace}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: opts.labels ?? {} },
      spec: { nodeName: opts.nodeName, containers: [{ name: opts.containerName ?? 'main', image: 'example.invalid/none:1' }] },
    });
    const pod = await this.must('GET', `/api/v1/namespaces/${namespace}/pods/${name}`);
    const ready = opts.ready ?? true;
    pod.status = {
      phase: 'Running',
      podIP: opts.podIP,
      podIPs: [{ ip: opts.podIP }],
      hostIP: '127.0.0.1',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    };
    return this.must('PUT', `/api/v1/namespaces/${namespace}/pods/${name}/status`, pod);
  }

  /** A `discovery.k8s.io/v1beta1` EndpointSlice for a service, as the EndpointSlice controller would write it. */
  createEndpointSliceV1beta1(
    namespace: string,
    service: string,
    ports: Array<{ name?: string; port: number; protocol?: string }>,
    endpoints: Array<{ ip: string; ready: boolean; nodeName?: string; pod?: string }>,
    sliceName = `${service}-abcde`,
  ): Promise<any> {
    return this.must('POST', `/apis/discovery.k8s.io/v1beta1/namespaces/${namespace}/endpointslices`, {
      apiVersion: 'discovery.k8s.io/v1beta1',
      kind: 'EndpointSlice',
      metadata: { name: sliceName, labels: { 'kubernetes.io/service-name': service } },
      addressType: 'IPv4',
      ports: ports.map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' })),
      endpoints: endpoints.map((e) => ({
        addresses: [e.ip],
        conditions: { ready: e.ready },
        topology: e.nodeName ? { 'kubernetes.io/hostname': e.nodeName } : undefined,
        targetRef: e.pod ? { kind: 'Pod', namespace, name: e.pod } : undefined,
      })),
    });
  }

  /** Core v1 Endpoints for a service, as the endpoints controller would write them. */
  createEndpoints(
    namespace: string,
    service: string,
    ports: Array<{ name?: string; port: number; protocol?: string }>,
    endpoints: Array<{ ip: string; ready: boolean; nodeName?: string; pod?: string }>,
  ): Promise<any> {
    const address = (e: (typeof endpoints)[number]) => ({
      ip: e.ip,
      nodeName: e.nodeName,
      targetRef: e.pod ? { kind: 'Pod', namespace, name: e.pod } : undefined,
    });
    return this.must('POST', `/api/v1/namespaces/${namespace}/endpoints`, {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: service },
      subsets: [
        {
          addresses: endpoints.filter((e) => e.ready).map(address),
          notReadyAddresses: endpoints.filter((e) => !e.ready).map(address),
          ports: ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol ?? 'TCP' })),
        },
      ],
    });
  }

  /** A ClusterRole with `rules` bound to `user` cluster-wide. */
  async grantClusterRole(
    user: string,
    roleName: string,
    rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>,
  ): Promise<void> {
    await this.must('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: roleName },
      rules,
    });
    await this.must('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: roleName },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
    });
  }

  /** A Node whose kubelet endpoint is 127.0.0.1:`kubeletPort`, so the apiserver can proxy exec to it. */
  async createNode(name: string, kubeletPort: number): Promise<any> {
    await this.must('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name } });
    const node = await this.must('GET', `/api/v1/nodes/${name}`);
    node.status = {
      addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
      daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } },
    };
    return this.must('PUT', `/api/v1/nodes/${name}/status`, node);
  }
}

let shared: Promise<RunningApiServer> | undefined;

/**
 * One apiserver for the whole mocha run (starting one takes ~10 s): the first caller starts it, and it is
 * stopped when the process exits. Tests that share it use their own namespaces.
 */
export function sharedApiServer(): Promise<RunningApiServer> {
  if (!shared) {
    shared = startApiServer().then((server) => {
      // The processes are unref'd so mocha's run can end; they are killed when the test process exits.
      process.once('exit', () => server.stopNow());
      return server;
    });
  }
  return shared;
}

/** What a stand-in kubelet answers to one exec. */
export interface ExecAnswer {
  stdout?: string;
  stderr?: string;
  exitCode: number;
}

export interface StandInKubelet {
  port: number;
  /** `namespace/pod/container: command…` of every exec received. */
  execs: string[];
  close(): Promise<void>;
}

// `ws` ships no types; only this much of its server side is needed.
interface WsSocket {
  protocol: string;
  send(data: Buffer, cb?: (err?: Error) => void): void;
  close(code?: number): void;
}
interface WsServer {
  handleUpgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer, cb: (ws: WsSocket) => void): void;
  close(cb?: () => void): void;
}

/**
 * A small stand-in for a kubelet's exec endpoint: HTTPS on 127.0.0.1, `/exec/NS/POD/CONTAINER?command=…`
 * upgraded to a websocket in the channel protocol (v4.channel.k8s.io): stdout on channel 1, stderr on 2,
 * the final status on 3. The real apiserver proxies `pods/exec` to it once a Node points at its port.
 */
export async function startStandInKubelet(
  certDir: string,
  answer: (namespace: string, pod: string, container: string, command: string[]) => ExecAnswer,
): Promise<StandInKubelet> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- `ws` (client-node's own dependency) ships no types.
  const { WebSocketServer } = require('ws') as {
    WebSocketServer: new (options: { noServer: boolean; handleProtocols: (protocols: Set<string>) => string | false }) => WsServer;
  };
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false),
  });
  const execs: string[] = [];
  const server = https.createServer(
    { key: fs.readFileSync(path.join(certDir, 'server.key')), cert: fs.readFileSync(path.join(certDir, 'server.crt')) },
    (_req, res) => {
      res.writeHead(404);
      res.end();
    },
  );
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const [, kind, namespace, pod, container] = url.pathname.split('/');
    if (kind !== 'exec') {
      socket.destroy();
      return;
    }
    const command = url.searchParams.getAll('command');
    execs.push(`${namespace}/${pod}/${container}: ${command.join(' ')}`);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const result = answer(namespace, pod, container, command);
      const frame = (channel: number, text: string) => Buffer.concat([Buffer.from([channel]), Buffer.from(text, 'utf8')]);
      const status =
        result.exitCode === 0
          ? { metadata: {}, status: 'Success' }
          : {
              metadata: {},
              status: 'Failure',
              message: `command terminated with non-zero exit code: exit status ${result.exitCode}`,
              reason: 'NonZeroExitCode',
              details: { causes: [{ reason: 'ExitCode', message: String(result.exitCode) }] },
            };
      const frames = [
        ...(result.stdout ? [frame(1, result.stdout)] : []),
        ...(result.stderr ? [frame(2, result.stderr)] : []),
        frame(3, JSON.stringify(status)),
      ];
      let sent = 0;
      for (const f of frames) {
        ws.send(f, () => {
          if (++sent === frames.length) {
            ws.close(1000);
          }
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    execs,
    close: () =>
      new Promise<void>((resolve) => {
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
