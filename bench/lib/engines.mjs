/**
 * The engines a benchmark compares: a temporary keeld (the build in dist/, as the test harness
 * starts it) and Debian's reference dockerd 20.10, each on its own socket, data root and exec
 * root, started with the test helpers
 * (`harness` and `ref-dockerd`, transpiled by `importTs` in ./common.mjs) and stopped at clean-up.
 *
 * Stopping is thorough, for benchmarks that make containers: every container left is force-removed
 * over the API first, the daemon is stopped, then whatever is still mounted under its temporary
 * directory is unmounted, any process still running from that directory (a containerd shim) is
 * killed by pid, and the directory is removed. keel's containers go under a cgroup parent of
 * their own (`/keel-bench-<pid>`), removed at the end; dockerd's `/docker` is removed if it was
 * absent at the start and is empty at the end.
 *
 * Networks: by default neither engine has one (`network: 'none'`: keel `--bridge none`, dockerd
 * `--bridge=none`), and neither touches iptables or sysctls. With `network: 'bridge'` each has a
 * default bridge of its own: keel the one the test harness names for it (removed at stop), dockerd
 * the scratch bridge of ./bridge.mjs; both with `--iptables=false --ip-masq=false
 * --ip-forward=false` (like for like, and dockerd 20.10 never removes its DOCKER chains at stop).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, rmdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { scratchBridge } from './bridge.mjs';
import { importTs, onCleanup, timed } from './common.mjs';
import { ownName } from './host-state.mjs';

/** keeld flags for no network of its own: no bridge, no iptables, no masquerading, no sysctl. */
export const KEEL_NO_NETWORK = ['--bridge', 'none', '--iptables=false', '--ip-masq=false', '--ip-forward=false'];
/** keeld flags for a default bridge (the harness names it) without iptables, masquerading or sysctl. */
export const KEEL_BRIDGE = ['--iptables=false', '--ip-masq=false', '--ip-forward=false'];


/**
 * The TypeScript test helpers the benchmarks use, transpiled: `{ fx, harness, refd, ...more }`
 * (`more`: the other files' modules by basename, e.g. `registry` for test/fixtures/registry.ts).
 */
export async function testHelpers(more = []) {
  const mods = await importTs(['test/fixtures/images.ts', 'test/e2e/harness.ts', 'test/e2e/ref-dockerd.ts', ...more]);
  const { images: fx, harness, 'ref-dockerd': refd, ...rest } = mods;
  return { fx, harness, refd, ...rest };
}

/** Where the docker CLI is; the ratio columns need it. */
export const dockerCliMissing = async (harness) => ((await harness.run('docker', ['--version'])).code === 0 ? undefined : 'the docker CLI is not on PATH');

/** Pids of processes whose command line mentions `dir` (not this process). */
function processesUnder(dir) {
  const pids = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').some((a) => a.includes(dir))) pids.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return pids;
}

/** Force-removes every container the engine lists (best effort: an engine without the route is fine). */
export async function removeAllContainers(request) {
  const r = await request('GET', '/containers/json?all=1').catch(() => undefined);
  if (r?.status !== 200) return 0;
  const ids = r.json().map((c) => c.Id);
  for (const id of ids) await request('DELETE', `/containers/${id}?force=1&v=1`).catch(() => undefined);
  return ids.length;
}

async function thoroughStop(name, daemon, refd, harness) {
  const left = await removeAllContainers(daemon.request);
  if (left) console.error(`${name}: removed ${left} container(s) left behind`);
  await daemon.stop().catch((e) => console.error(`${name}: stop: ${e.message}`));
  for (const pid of processesUnder(daemon.tmp)) {
    console.error(`${name}: killing leftover process ${pid}`);
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  for (const m of refd.mountsUnder(daemon.tmp)) {
    const r = await harness.run('umount', [m]);
    if (r.code !== 0) await harness.run('umount', ['-l', m]);
  }
  if (existsSync(daemon.tmp)) await rm(daemon.tmp, { recursive: true, force: true });
}

/** `/sys/fs/cgroup/<hierarchy>/<name>` for every mounted hierarchy (v1 controllers, unified, or the v2 root). */
function cgroupDirs(name) {
  const root = '/sys/fs/cgroup';
  if (existsSync(path.join(root, 'cgroup.controllers'))) return [path.join(root, name)];
  let subs = [];
  try { subs = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name); } catch { /* no cgroupfs */ }
  return subs.map((h) => path.join(root, h, name));
}

/** Directories under `dir` (included), deepest first. */
function treeDeepestFirst(dir) {
  const out = [];
  const walk = (d) => {
    let subs = [];
    try { subs = readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()); } catch { return; }
    for (const e of subs) walk(path.join(d, e.name));
    out.push(d);
  };
  walk(dir);
  return out;
}

/**
 * At clean-up, removes the cgroup `name` (in every hierarchy) if it is absent now, with everything
 * under it, deepest first. `own`: the cgroup is this process's alone (keel's unique
 * `--cgroup-parent`), so tasks still in it are killed by pid first; otherwise (dockerd's `/docker`,
 * which it creates and never removes, and which another dockerd may share) only empty cgroups go.
 */
function removeCgroupAtCleanup(name, own) {
  if (cgroupDirs(name).some(existsSync)) return;
  onCleanup(async () => {
    for (const top of cgroupDirs(name)) {
      for (const d of treeDeepestFirst(top)) {
        let pids = [];
        try { pids = readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number); } catch { /* gone */ }
        if (pids.length && !own) continue;
        for (const pid of pids) {
          console.error(`cleanup: killing ${pid} left in ${d}`);
          try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
        }
        for (let i = 0; i < 20; i++) {
          const err = await rmdir(d).then(() => undefined, (e) => e);
          if (!err || err.code === 'ENOENT') break;
          if (i === 19 || err.code !== 'EBUSY') { console.error(`cleanup: ${d} left: ${err.code}`); break; }
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    }
  });
}

/**
 * Starts the wanted engines (`keel`, `docker`) with `network` `none` (default) or `bridge` (see the
 * header). Returns `{ targets, skipped }`: each target is `{ kind, label, name, driver, socket,
 * env, request, bridge? }`; `skipped` lists `{ kind, reason }` for engines that cannot run here.
 * Stops are registered with `onCleanup`.
 */
export async function startEngines(wanted, { harness, refd }, { network = 'none', keelDriver } = {}) {
  const keelArgs = network === 'bridge' ? KEEL_BRIDGE : KEEL_NO_NETWORK;
  const targets = [];
  const skipped = [];
  if (wanted.includes('keel')) {
    if (!existsSync(harness.keeldPath)) skipped.push({ kind: 'keel', reason: `${harness.keeldPath} missing: run npm run build` });
    else {
      const driver = keelDriver ?? (refd.overlayMissing() ? 'vfs' : 'overlay2');
      const cgroupParent = `keel-bench-${process.pid}`;
      removeCgroupAtCleanup(cgroupParent, true);
      const d = await harness.startDaemon({ args: ['--storage-driver', driver, '--cgroup-parent', `/${cgroupParent}`, ...keelArgs] });
      const name = `keel (${driver})`;
      onCleanup(() => thoroughStop(name, d, refd, harness));
      const config = JSON.parse(readFileSync(d.configFile, 'utf8'));
      for (const n of [path.basename(d.tmp), cgroupParent, config.bridge, config.plugins?.['network.bridge']?.chainPrefix]) ownName(n);
      const bridge = network === 'bridge' ? config.bridge : undefined;
      targets.push({ kind: 'keel', label: 'keel', name, driver, socket: d.socket, env: d.env, request: d.request, bridge });
    }
  }
  if (wanted.includes('docker')) {
    const missing = refd.refDockerdMissing() ?? (await dockerCliMissing(harness));
    if (missing) skipped.push({ kind: 'docker', reason: `${missing} (apt-get install docker.io)` });
    else {
      removeCgroupAtCleanup('docker', false);
      const bridge = network === 'bridge' ? (await scratchBridge()).name : undefined;
      const d = await refd.startRefDockerd({ bridge });
      onCleanup(() => thoroughStop('dockerd', d, refd, harness));
      ownName(path.basename(d.tmp));
      const info = JSON.parse((await harness.run('docker', ['version', '--format', '{{json .Server}}'], { env: d.env })).stdout || '{}');
      const driver = (await harness.run('docker', ['info', '--format', '{{.Driver}}'], { env: d.env })).stdout.trim();
      const version = (info.Version ?? '20.10').replace(/^(\d+\.\d+).*/, '$1');
      targets.push({ kind: 'docker', label: 'docker', name: `dockerd ${version} (${driver})`, driver, socket: d.socket, env: d.env, request: d.request, bridge });
    }
  }
  return { targets, skipped };
}

/**
 * The engines of a container benchmark (`network`: `none` or `bridge`, see the header), a scratch
 * directory removed at clean-up, and the busybox image from /bin/busybox saved to
 * `<work>/busybox.tar`. With `load`, the image is loaded into each engine: `live` lists the engines
 * that took it, `failed` the others (with `error`). Returns the test helpers too.
 */
export async function busyboxEngines(wanted, { workPrefix, keelDriver, network = 'none', load = false } = {}) {
  if (process.getuid?.() !== 0) throw new Error('containers need root: run as root');
  const helpers = await testHelpers();
  const { fx } = helpers;
  if (!fx.busyboxAvailable()) throw new Error(`${fx.busyboxPath} missing (apt-get install busybox-static)`);
  const work = await mkdtemp(path.join(os.tmpdir(), workPrefix ?? 'keel-bench-'));
  ownName(path.basename(work));
  onCleanup(() => rm(work, { recursive: true, force: true }));
  const { targets, skipped } = await startEngines(wanted, helpers, { keelDriver, network });
  for (const s of skipped) console.log(`${s.kind} skipped: ${s.reason}`);
  const tarFile = path.join(work, 'busybox.tar');
  await writeFile(tarFile, fx.dockerSaveTar([fx.busyboxImage()]));
  const live = [];
  const failed = [];
  for (const t of load ? targets : []) {
    try {
      await timed('docker', ['load', '-q', '-i', tarFile], t.env);
      live.push(t);
    } catch (err) {
      failed.push({ ...t, error: `image load failed: ${err.message.split('\n')[0]}` });
      console.log(`${t.kind}: image load failed: ${err.message.split('\n')[0]}`);
    }
  }
  return { ...helpers, work, targets, skipped, tarFile, live, failed };
}
