/**
 * Starts Debian's reference dockerd (package docker.io, 20.10) as a differential oracle: on a
 * temporary socket, data root, exec root and pidfile, with its own containerd whose root, state and
 * sockets are in the same temporary directory, and with every host-network feature off (no bridge,
 * no iptables, no forwarding, no userland proxy). `stop()` kills both, unmounts what is left under
 * the temporary directory and removes it.
 *
 * Host paths dockerd 20.10 writes regardless of flags, and how they are kept clean:
 * - `/etc/docker/key.json` (trust key): moved into the temp dir by the daemon.json key
 *   `deprecated-key-path`.
 * - `/run/docker/plugins` (hard-coded plugin exec root): removed at the last stop if this module
 *   created it.
 * - the data root is bind-mounted on itself with shared propagation: dockerd undoes it on a clean
 *   stop; `stop()` unmounts anything still mounted under the temp dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { httpRequest, run, startDaemon, terminate, type HttpResult, type RunResult } from './harness.js';

export const dockerdPath = '/usr/sbin/dockerd';
export const containerdPath = '/usr/bin/containerd';

/** Why the reference dockerd cannot run here, or undefined when it can. */
export function refDockerdMissing(): string | undefined {
  if (!existsSync(dockerdPath)) return `reference dockerd absent (${dockerdPath}; Debian package docker.io)`;
  if (!existsSync(containerdPath)) return `containerd absent (${containerdPath}; Debian package containerd)`;
  if (process.getuid?.() !== 0) return 'the reference dockerd needs root';
  return undefined;
}

export interface RefDockerdOptions {
  /** `--storage-driver` (default: dockerd's choice, overlay2 where it works). */
  storageDriver?: string;
  /**
   * An existing bridge to use as the default network (dockerd's `--bridge`; its address gives the
   * subnet). Default: none. iptables, masquerading and ip_forward stay off either way.
   */
  bridge?: string;
}

export interface RefDockerd {
  tmp: string;
  socket: string;
  host: string;
  dataRoot: string;
  env: NodeJS.ProcessEnv;
  output(): string;
  docker(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<RunResult>;
  request(method: string, urlPath: string, body?: string | Buffer, headers?: Record<string, string>): Promise<HttpResult>;
  stop(): Promise<void>;
}

/** Paths under /run that dockerd creates whatever its flags; removed by the last stop() if absent at the first start. */
const hardCodedDirs = ['/run/docker/plugins', '/run/docker'];
let live = 0;
let createdByUs: string[] = [];

function spawnLogged(cmd: string, args: string[], log: { text: string }): { proc: ChildProcess; exited: Promise<void> } {
  const env = { ...process.env };
  for (const k of ['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_API_VERSION']) delete env[k];
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  proc.stdout!.on('data', (c) => (log.text += c));
  proc.stderr!.on('data', (c) => (log.text += c));
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  return { proc, exited };
}

/** Mount points under `dir`, deepest first (from /proc/self/mountinfo; octal escapes decoded). */
export function mountsUnder(dir: string): string[] {
  const decode = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => decode(l.split(' ')[4] ?? ''))
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

async function unmountAll(dir: string): Promise<void> {
  for (const m of mountsUnder(dir)) {
    const r = await run('umount', [m]);
    if (r.code !== 0) await run('umount', ['-l', m]);
  }
}

async function waitFor(check: () => Promise<boolean>, ms: number, alive: () => boolean): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until && alive()) {
    if (await check().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

function containerdConfig(dir: string): string {
  const q = (p: string) => JSON.stringify(path.join(dir, p));
  // CRI and the snapshotters that probe kernel modules or block devices are off; `opt` (default
  // /opt/containerd) is moved into the temp dir.
  return [
    'version = 2',
    `root = ${q('root')}`,
    `state = ${q('state')}`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]',
    '[grpc]',
    `  address = ${q('containerd.sock')}`,
    '[ttrpc]',
    `  address = ${q('containerd.sock.ttrpc')}`,
    '[debug]',
    '  address = ""',
    '[metrics]',
    '  address = ""',
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${q('opt')}`,
    '',
  ].join('\n');
}

export async function startRefDockerd(options: RefDockerdOptions = {}): Promise<RefDockerd> {
  const missing = refDockerdMissing();
  if (missing) throw new Error(missing);
  if (live++ === 0) createdByUs = hardCodedDirs.filter((d) => !existsSync(d));
  const tmp = await mkdtemp(path.join(tmpdir(), 'keel-ref-'));
  const ctdDir = path.join(tmp, 'containerd');
  const socket = path.join(tmp, 'docker.sock');
  const dataRoot = path.join(tmp, 'data');
  await mkdir(ctdDir, { recursive: true });
  await mkdir(path.join(tmp, 'docker-config'));
  await writeFile(path.join(ctdDir, 'config.toml'), containerdConfig(ctdDir));
  await writeFile(path.join(tmp, 'daemon.json'), JSON.stringify({ 'deprecated-key-path': path.join(tmp, 'key.json') }));
  const log = { text: '' };
  const ctd = spawnLogged(containerdPath, ['--config', path.join(ctdDir, 'config.toml')], log);
  let dockerd: ReturnType<typeof spawnLogged> | undefined;
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: path.join(tmp, 'docker-config'), NO_COLOR: '1' };
  delete env.DOCKER_API_VERSION;
  delete env.DOCKER_CONTEXT;
  let stopped = false;
  const cgroupParent = `keel-refd-${path.basename(tmp)}`;
  const ref: RefDockerd = {
    tmp, socket, host: `unix://${socket}`, dataRoot, env,
    output: () => log.text,
    docker: (a, o = {}) => run('docker', a, { env, ...o }),
    request: (m, p, b, h) => httpRequest(socket, m, p, b, h),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (dockerd) await terminate(dockerd, 20_000);
      await terminate(ctd, 10_000);
      await unmountAll(tmp);
      await rm(tmp, { recursive: true, force: true });
      for (const c of await readdir('/sys/fs/cgroup').catch(() => [] as string[])) await rmdir(path.join('/sys/fs/cgroup', c, cgroupParent)).catch(() => undefined);
      if (--live === 0) for (const d of createdByUs) await rmdir(d).catch(() => undefined);
    },
  };
  try {
    const alive = (p: ChildProcess) => () => p.exitCode === null && p.signalCode === null;
    if (!(await waitFor(async () => existsSync(path.join(ctdDir, 'containerd.sock')), 15_000, alive(ctd.proc)))) throw new Error('containerd did not start');
    dockerd = spawnLogged(dockerdPath, [
      '--config-file', path.join(tmp, 'daemon.json'),
      '--data-root', dataRoot,
      '--exec-root', path.join(tmp, 'exec'),
      '--pidfile', path.join(tmp, 'dockerd.pid'),
      '-H', `unix://${socket}`,
      '--containerd', path.join(ctdDir, 'containerd.sock'),
      `--bridge=${options.bridge ?? 'none'}`, '--iptables=false', '--ip-masq=false', '--ip-forward=false', '--userland-proxy=false',
      // Its own cgroup parent, removed at stop: dockerd never removes the `/docker` it would make.
      '--cgroup-parent', cgroupParent,
      ...(options.storageDriver ? ['--storage-driver', options.storageDriver] : []),
    ], log);
    const up = await waitFor(async () => (await httpRequest(socket, 'GET', '/_ping')).status === 200, 30_000, alive(dockerd.proc));
    if (!up) throw new Error('dockerd did not answer /_ping');
    return ref;
  } catch (err) {
    await ref.stop();
    throw new Error(`reference dockerd did not start: ${(err as Error).message}\n${log.text}`);
  }
}

// ---------------------------------------------------------------- one shape for keel and dockerd

/** keeld or the reference dockerd, as the image tests see them. */
export interface Engine {
  label: string;
  kind: 'keel' | 'docker';
  /** The storage driver actually in use. */
  driver: string;
  dataRoot: string;
  host: string;
  output(): string;
  docker(args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<RunResult>;
  request(method: string, urlPath: string, body?: string | Buffer, headers?: Record<string, string>): Promise<HttpResult>;
  stop(): Promise<unknown>;
}

export interface EngineSpec {
  label: string;
  kind: 'keel' | 'docker';
  /** Why this engine cannot run here (the tests skip, showing it), or undefined. */
  skip?: string;
  start(): Promise<Engine>;
}

/** Why overlay2 cannot run here, or undefined. */
export function overlayMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'overlay2 needs root';
  if (!/\toverlay$/m.test(readFileSync('/proc/filesystems', 'utf8'))) return 'the kernel has no overlayfs';
  return undefined;
}

export function keelEngineSpec(driver: 'vfs' | 'overlay2'): EngineSpec {
  const label = `keel (${driver})`;
  return {
    label, kind: 'keel', skip: driver === 'overlay2' ? overlayMissing() : undefined,
    async start() {
      const d = await startDaemon({ args: ['--storage-driver', driver] });
      return { label, kind: 'keel', driver, dataRoot: d.dataRoot, host: d.host, output: d.output, docker: d.docker, request: d.request, stop: d.stop };
    },
  };
}

export function dockerEngineSpec(storageDriver?: string): EngineSpec {
  const label = `reference dockerd 20.10${storageDriver ? ` (${storageDriver})` : ''}`;
  return {
    label, kind: 'docker', skip: refDockerdMissing(),
    async start() {
      const d = await startRefDockerd({ storageDriver });
      const driver = (await d.docker(['info', '--format', '{{.Driver}}'])).stdout.trim();
      return { label, kind: 'docker', driver, dataRoot: d.dataRoot, host: d.host, output: d.output, docker: d.docker, request: d.request, stop: d.stop };
    },
  };
}

/** keel under each storage driver, then the reference dockerd (which shows the assertions are Docker's behaviour). */
export const allEngineSpecs = (): EngineSpec[] => [keelEngineSpec('vfs'), keelEngineSpec('overlay2'), dockerEngineSpec()];

/**
 * One engine and a scratch directory for a describe block:
 * `beforeAll(() => s.open(), 120_000); afterAll(() => s.close());`.
 */
export class EngineSession {
  engine!: Engine;
  dir = '';
  constructor(private readonly spec: EngineSpec) {}

  async open(): Promise<void> {
    this.dir = await mkdtemp(path.join(tmpdir(), 'keel-images-'));
    this.engine = await this.spec.start();
  }

  async close(): Promise<void> {
    await this.engine?.stop();
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  /** Writes `data` to `<dir>/<name>` and returns the path. */
  async put(name: string, data: Buffer): Promise<string> {
    const f = path.join(this.dir, name);
    await writeFile(f, data);
    return f;
  }
}

/** Runs the docker CLI against `on`; throws with its stderr unless it exits 0. Returns stdout. */
export async function dockerOk(on: Pick<Engine, 'docker'>, args: string[]): Promise<string> {
  const r = await on.docker(args);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}
