/**
 * Starts a real keeld (compiled, from dist/) on a temporary socket, data root and exec root, and
 * runs the real docker CLI and keel CLI against it. Every daemon started here is stopped and its
 * temporary directory removed by `stop()`; `stopAllDaemons()` is the safety net for afterAll.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, rmdir, writeFile, mkdir } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
/** The daemon as shipped: the bundle (scripts/bundle.mjs), run by its shebang so its node flags apply. */
export const keeldPath = path.join(repoRoot, 'dist/keeld.mjs');
export const keelPath = path.join(repoRoot, 'dist/bin/keel.js');

export interface StartOptions {
  /** Extra keeld flags. */
  args?: string[];
  /** Written to `<tmp>/daemon.json` and passed as `--config-file`. */
  config?: Record<string, unknown>;
  /** Resolve even if the daemon exits before answering (to test start failures). */
  expectFailure?: boolean;
  /** Reuse this daemon directory (data root, exec root, socket) of a daemon that was killed. */
  tmp?: string;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Daemon {
  tmp: string;
  socket: string;
  host: string;
  dataRoot: string;
  execRoot: string;
  configFile: string;
  proc: ChildProcess;
  /** Everything keeld wrote to stdout and stderr so far. */
  output(): string;
  /** The cgroup parent its containers live under (`--cgroup-parent`). */
  cgroupParent: string;
  /** Environment for the docker/keel CLIs pointing at this daemon. */
  env: NodeJS.ProcessEnv;
  /** Resolves with the exit code once keeld has exited. */
  exited: Promise<number | null>;
  docker(args: string[], opts?: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<RunResult>;
  keel(args: string[], opts?: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<RunResult>;
  /** HTTP request over the unix socket. */
  request(method: string, urlPath: string, body?: string | Buffer, headers?: Record<string, string>): Promise<HttpResult>;
  /** SIGTERM (then SIGKILL after 10 s), clean up what containers left, and remove the temporary directory. */
  stop(): Promise<number | null>;
  /** Kills keeld with `signal` and waits for it to exit; keeps its files and its containers. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json<T = any>(): T;
}

const running = new Set<Daemon>();

export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

export function httpRequest(socket: string, method: string, urlPath: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method, path: urlPath, headers: { Host: 'api.moby.localhost', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json: () => JSON.parse(text) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error(`timeout: ${method} ${urlPath}`)));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

async function waitForPing(socket: string, proc: ChildProcess, deadlineMs: number): Promise<boolean> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (proc.exitCode !== null || proc.signalCode !== null) return false;
    try {
      const r = await httpRequest(socket, 'GET', '/_ping');
      if (r.status === 200) return true;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** Random host-wide network names for one test daemon: `t?` links, `KT????` chains, `t?br<4>` bridge. */
function networkNames(): { linkPrefix: string; chainPrefix: string; bridge: string } {
  const letters = 'abcdefghijkmnopqrsuvwxyz'; // never `kl` (a setup keeld) nor `kt` (network unit tests)
  const pick = (s: string, n: number) => Array.from({ length: n }, () => s[Math.floor(Math.random() * s.length)]).join('');
  const linkPrefix = `t${pick(letters, 1)}`;
  return { linkPrefix, chainPrefix: `KT${pick('ABCDEFGHJKLMNPQRSTUVWXYZ', 4)}`, bridge: `${linkPrefix}br${pick(letters, 4)}` };
}

/** The names a daemon directory's daemon.json gave its first keeld. */
async function previousNames(configFile: string): Promise<{ linkPrefix: string; chainPrefix: string; bridge: string }> {
  const old = JSON.parse(await readFile(configFile, 'utf8').catch(() => '{}')) as { plugins?: Record<string, { linkPrefix?: string; chainPrefix?: string }>; bridge?: string };
  const fresh = networkNames();
  const bridge = old.plugins?.['network.bridge'];
  return { linkPrefix: bridge?.linkPrefix ?? fresh.linkPrefix, chainPrefix: bridge?.chainPrefix ?? fresh.chainPrefix, bridge: old.bridge ?? fresh.bridge };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited (at once if it had). */
export async function terminate(p: { proc: ChildProcess; exited: Promise<unknown> }, graceMs: number): Promise<void> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  p.proc.kill('SIGTERM');
  const timer = setTimeout(() => p.proc.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

export async function startDaemon(options: StartOptions = {}): Promise<Daemon> {
  const tmp = options.tmp ?? (await mkdtemp(path.join(tmpdir(), 'keel-e2e-')));
  const socket = path.join(tmp, 'keel.sock');
  const dataRoot = path.join(tmp, 'data');
  const execRoot = path.join(tmp, 'exec');
  const configFile = path.join(tmp, 'daemon.json');
  await mkdir(path.join(tmp, 'docker-config'), { recursive: true });
  // Host-wide network names of a test daemon are its own (links, iptables chains, default bridge),
  // so it never touches those of a keeld the setup started, nor another test daemon's.
  // A restarted daemon (same `tmp`) keeps the names of the killed one: its objects are still there.
  const net = options.tmp ? await previousNames(configFile) : networkNames();
  const config = { ...(options.config ?? {}) } as Record<string, unknown>;
  const plugins = (config.plugins ?? {}) as Record<string, Record<string, unknown>>;
  config.plugins = {
    ...plugins,
    'network.bridge': { linkPrefix: net.linkPrefix, chainPrefix: net.chainPrefix, ...(plugins['network.bridge'] ?? {}) },
    'network.macvlan': { linkPrefix: net.linkPrefix, ...(plugins['network.macvlan'] ?? {}) },
  };
  const ownBridge = !options.args?.some((a) => a === '--bridge' || a === '-b' || a.startsWith('--bridge=')) && config.bridge === undefined;
  if (ownBridge) config.bridge = net.bridge; // in daemon.json, where a restart finds it again
  await writeFile(configFile, JSON.stringify(config, null, 2));
  // Containers of a test daemon live under their own cgroup parent, removed by stop().
  const given = options.args?.indexOf('--cgroup-parent') ?? -1;
  const cgroupParent = given >= 0 ? undefined : `keel-e2e-${path.basename(tmp)}`;
  const args = ['--data-root', dataRoot, '--exec-root', execRoot, '-H', `unix://${socket}`, '--config-file', configFile, ...(cgroupParent ? ['--cgroup-parent', cgroupParent] : []), ...(options.args ?? [])];
  const proc = spawn(keeldPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KEEL_LOG_FORMAT: 'json' } });
  let out = '';
  proc.stdout!.on('data', (c) => (out += c));
  proc.stderr!.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  const env = { ...process.env, DOCKER_HOST: `unix://${socket}`, KEEL_HOST: `unix://${socket}`, DOCKER_CONFIG: path.join(tmp, 'docker-config'), NO_COLOR: '1' };
  delete env.DOCKER_API_VERSION;
  delete env.DOCKER_CONTEXT;
  const daemon: Daemon = {
    tmp, socket, host: `unix://${socket}`, dataRoot, execRoot, configFile, proc, env, exited,
    cgroupParent: cgroupParent ?? options.args![given + 1]!,
    output: () => out,
    docker: (a, o = {}) => run('docker', a, { ...o, env: { ...env, ...(o.env ?? {}) } }),
    keel: (a, o = {}) => run(process.execPath, [keelPath, ...a], { ...o, env: { ...env, ...(o.env ?? {}) } }),
    request: (m, p, b, h) => httpRequest(socket, m, p, b, h),
    async stop() {
      running.delete(daemon);
      await terminate({ proc, exited }, 10_000);
      const code = await exited;
      await cleanupContainers(tmp);
      // keeld removes its bridges and rules at stop when nothing is attached; a test that left a
      // container attached (its monitor killed above) may not have let it.
      if (ownBridge) await new Promise((r) => execFile('ip', ['link', 'del', net.bridge], () => r(undefined)));
      await removeChains(net.chainPrefix);
      await rm(tmp, { recursive: true, force: true });
      // Test daemons own their cgroup parent (its container cgroups are gone by now).
      for (const c of readdirSync('/sys/fs/cgroup')) await rmdir(path.join('/sys/fs/cgroup', c, daemon.cgroupParent)).catch(() => undefined);
      return code;
    },
    async kill(signal = 'SIGKILL') {
      running.delete(daemon);
      proc.kill(signal);
      return exited;
    },
  };
  running.add(daemon);
  const up = await waitForPing(socket, proc, 20_000);
  if (!up && !options.expectFailure) {
    await daemon.stop();
    throw new Error(`keeld did not start:\n${out}`);
  }
  return daemon;
}

/**
 * Containers outlive keeld (live restore), so a test that failed before removing them would leave
 * them running: kill whatever runc still knows under this daemon's exec root, its monitors, and
 * unmount what is mounted below `tmp`.
 */
export async function cleanupContainers(tmp: string): Promise<void> {
  const root = path.join(tmp, 'exec/plugins/runtime.runc');
  const exec = (cmd: string, args: string[]) => new Promise<string>((resolve) => execFile(cmd, args, (_e, out) => resolve(String(out ?? ''))));
  const ids = (await exec('runc', ['--root', root, 'list', '-q'])).split('\n').filter(Boolean);
  for (const id of ids) {
    await exec('runc', ['--root', root, 'kill', '--all', id, 'KILL']);
    await exec('runc', ['--root', root, 'delete', '--force', id]);
  }
  for (const pid of (await exec('pgrep', ['-f', `conmon.*${tmp}`])).split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(`${tmp}/`)).reverse();
  for (const m of mounts) await exec('umount', ['-l', m]);
}

/** Deletes every iptables chain named `<prefix>-*` and the jumps into them (a test daemon's own). */
export async function removeChains(prefix: string): Promise<void> {
  const run = (args: string[]) => new Promise<string>((resolve) => execFile('iptables', args, (_e, out) => resolve(String(out ?? ''))));
  const save = (table: string) => new Promise<string>((resolve) => execFile('iptables-save', ['-t', table], (_e, out) => resolve(String(out ?? ''))));
  for (const table of ['filter', 'nat']) {
    const text = await save(table);
    if (!text.includes(`${prefix}-`)) continue;
    for (const line of text.split('\n')) {
      const m = /^-A (INPUT|FORWARD|OUTPUT|PREROUTING|POSTROUTING) (.*-j (\S+))$/.exec(line);
      if (m && m[3]!.startsWith(`${prefix}-`)) await run(['-t', table, '-D', m[1]!, ...m[2]!.split(' ')]);
    }
    const chains = text.split('\n').map((l) => /^:(\S+)/.exec(l)?.[1]).filter((c): c is string => !!c && c.startsWith(`${prefix}-`));
    for (const c of chains) await run(['-t', table, '-F', c]);
    for (const c of chains) await run(['-t', table, '-X', c]);
  }
}

/** Stops every daemon this process started and has not stopped yet. */
export async function stopAllDaemons(): Promise<void> {
  await Promise.all([...running].map((d) => d.stop()));
}
