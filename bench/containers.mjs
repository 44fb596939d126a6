#!/usr/bin/env node
/**
 * Container life-cycle latency and create throughput: keel beside the reference dockerd, same
 * machine, same busybox image, same runc.
 *
 *   node bench/containers.mjs [--runs 20] [--engines keel,docker] [--count 200] [--concurrency 8]
 *                             [--rounds 3] [--warmups 2] [--driver overlay2|vfs] [--scenarios 1,2,3,4]
 *                             [--names]   (API creates pass ?name=kb-<pid>-<n> instead of a generated name)
 *
 * Scenarios, each engine interleaved run by run (the order alternates), after `--warmups` untimed runs:
 *  1. `docker run --rm --network none busybox true`: wall clock of the real docker CLI.
 *  2. The API path of that command over the unix socket: POST /containers/create (NetworkMode
 *     none), POST /containers/{id}/wait?condition=next-exit (its response headers awaited, as the
 *     docker CLI does, before) POST /containers/{id}/start, the wait's body, DELETE.
 *  3. Create throughput: `--count` POST /containers/create at `--concurrency`, `--rounds` times;
 *     containers/s. The containers are removed after each round (untimed, DELETE ?force=1).
 *  4. Floor: `runc run` of a bundle holding only a static /bin/busybox running `true`, with its own
 *     runc --root.
 * Prints median, min and the keel/Docker time ratio; writes bench/results/containers.json. An engine
 * failing a scenario is reported (`keel: create failed: 404 ...`) and the others go on. Needs
 * `npm run build` (it runs dist/bin/keeld.js) and root. Not part of `npm test`.
 *
 * Nothing leaves the host: unix sockets only, dockerd without bridge, iptables or masquerading, and
 * at exit (or SIGINT/SIGTERM) every container is removed, the daemons stopped, leftover mounts and
 * shims cleaned, temporary directories removed.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { aborting, cleanup, cleanupOnSignals, importTs, median, onCleanup, parseFlags, repo, since, timed } from './lib/common.mjs';
import { startEngines } from './lib/engines.mjs';

const flags = parseFlags(process.argv.slice(2), { runs: '20', engines: 'keel,docker', count: '200', concurrency: '8', rounds: '3', warmups: '2', driver: '', scenarios: '1,2,3,4', names: false });
const only = new Set(String(flags.scenarios).split(',').map((x) => x.trim()));
const runs = Number(flags.runs);
const count = Number(flags.count);
const concurrency = Number(flags.concurrency);
const rounds = Number(flags.rounds);
const warmups = Number(flags.warmups);
const engines = String(flags.engines).split(',').map((s) => s.trim()).filter(Boolean);
for (const [k, v] of Object.entries({ runs, count, concurrency, rounds, warmups })) {
  if (!Number.isInteger(v) || v < (k === 'warmups' ? 0 : 1)) throw new Error(`--${k} must be a positive integer`);
}
for (const e of engines) if (!['keel', 'docker'].includes(e)) throw new Error(`--engines: unknown engine ${e} (keel, docker)`);

const IMAGE = 'busybox:latest';
cleanupOnSignals();

// ---------------------------------------------------------------- HTTP over the unix socket

/** A keep-alive client for one engine's socket (the docker CLI keeps its connections too). */
function apiClient(socket) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  onCleanup(async () => agent.destroy());
  /** Resolves with the response once its headers are in. */
  const open = (method, urlPath, body, timeoutMs = 60_000) => new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({
      socketPath: socket, agent, method, path: urlPath,
      headers: { Host: 'api.moby.localhost', ...(data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {}) },
    }, resolve);
    req.on('error', reject);
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer in ${timeoutMs / 1000} s`)));
    req.end(data);
  });
  const read = (res) => new Promise((resolve, reject) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ status: res.statusCode, text, json: () => JSON.parse(text) });
    });
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('response aborted')));
  });
  const request = async (method, urlPath, body) => read(await open(method, urlPath, body));
  return { open, read, request };
}

/** Throws `<what> failed: <status> <message>` unless the status is one of `want`. */
function expectStatus(r, want, what) {
  if (want.includes(r.status)) return r;
  let msg = r.text.trim();
  try { msg = JSON.parse(msg).message ?? msg; } catch { /* not JSON */ }
  throw new Error(`${what} failed: ${r.status} ${msg}`.slice(0, 400));
}

const createBody = { Image: IMAGE, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } };

let serial = 0;
/** POST /containers/create; with `--names`, each container gets a unique name instead of a generated one. */
async function create(api) {
  const q = flags.names ? `?name=kb-${process.pid}-${serial++}` : '';
  return expectStatus(await api.request('POST', `/containers/create${q}`, createBody), [201], 'create').json().Id;
}

async function forceRemove(api, id) {
  return expectStatus(await api.request('DELETE', `/containers/${id}?force=1`), [204], 'remove');
}

/** Scenario 2, one run: create, wait (headers in), start, wait's body, delete. Seconds. */
async function apiLifecycle(api) {
  const t0 = process.hrtime.bigint();
  const id = await create(api);
  try {
    const waitRes = await api.open('POST', `/containers/${id}/wait?condition=next-exit`, undefined, 30_000);
    if (waitRes.statusCode !== 200) expectStatus(await api.read(waitRes), [200], 'wait');
    const waited = api.read(waitRes);
    waited.catch(() => undefined);
    expectStatus(await api.request('POST', `/containers/${id}/start`), [204], 'start');
    const w = await waited.catch((e) => { throw new Error(`wait failed: ${e.message}`); });
    expectStatus(w, [200], 'wait');
    const exit = w.json();
    if (exit.StatusCode !== 0) throw new Error(`wait: container exited ${exit.StatusCode}${exit.Error?.Message ? ` (${exit.Error.Message})` : ''}`);
    expectStatus(await api.request('DELETE', `/containers/${id}`), [204], 'remove');
  } catch (err) {
    await api.request('DELETE', `/containers/${id}?force=1`).catch(() => undefined);
    throw err;
  }
  return since(t0);
}

/** Runs `fn(i)` for i in [0, n) with at most `width` at a time; rejects with the first error after all settle. */
async function pool(n, width, fn) {
  let next = 0;
  let firstErr;
  const worker = async () => {
    while (next < n && !firstErr && !aborting()) {
      const i = next++;
      await fn(i).catch((e) => { firstErr ??= e; });
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, n) }, worker));
  if (firstErr) throw firstErr;
}

/** Scenario 3, one round: `count` creates at `concurrency`; seconds. The containers are removed after (untimed). */
async function createBurst(api) {
  const ids = [];
  const t0 = process.hrtime.bigint();
  try {
    await pool(count, concurrency, async () => { ids.push(await create(api)); });
    return since(t0);
  } finally {
    await pool(ids.length, concurrency, (i) => forceRemove(api, ids[i])).catch((e) => console.error(`\n  removing the burst's containers: ${e.message}`));
  }
}

// ---------------------------------------------------------------- runc floor

async function runcFloor(work) {
  const bundle = path.join(work, 'runc-bundle');
  const root = path.join(work, 'runc-root');
  await mkdir(path.join(bundle, 'rootfs', 'bin'), { recursive: true });
  await mkdir(root);
  await copyFile('/bin/busybox', path.join(bundle, 'rootfs', 'bin', 'busybox'));
  await symlink('busybox', path.join(bundle, 'rootfs', 'bin', 'true'));
  await timed('runc', ['spec', '--bundle', bundle]);
  const spec = JSON.parse(await readFile(path.join(bundle, 'config.json'), 'utf8'));
  spec.process.terminal = false;
  spec.process.args = ['/bin/true'];
  await writeFile(path.join(bundle, 'config.json'), JSON.stringify(spec, null, 2));
  const prefix = `keel-bench-${process.pid}-`;
  let n = 0;
  onCleanup(async () => {
    // Anything a SIGINT left behind: `runc delete -f` removes the container, its cgroups and state.
    const { execFileSync } = await import('node:child_process');
    let ids = [];
    try { ids = execFileSync('runc', ['--root', root, 'list', '-q'], { encoding: 'utf8' }).split('\n').filter((s) => s.startsWith(prefix)); } catch { /* none */ }
    for (const id of ids) { try { execFileSync('runc', ['--root', root, 'delete', '-f', id], { stdio: 'ignore' }); } catch { /* gone */ } }
  });
  const version = (await import('node:child_process')).execFileSync('runc', ['--version'], { encoding: 'utf8' }).split('\n')[0].replace(/^runc version /, '');
  return { name: `runc ${version} run`, run: () => timed('runc', ['--root', root, 'run', '--bundle', bundle, `${prefix}${n++}`]) };
}

// ---------------------------------------------------------------- main

function printError(engine, err) {
  console.log(`\n  ${engine}: ${err.message.split('\n')[0]}`);
}

/**
 * Timed runs of `scenario.run(target)` for every target, interleaved (the order alternates run by
 * run), after `warm` untimed ones. A target that fails is marked with its error and left out of
 * the remaining runs.
 */
async function measure(title, targets, n, warm, run) {
  const rows = targets.map((t) => ({ target: t, times: [], error: undefined }));
  if (aborting()) return rows;
  process.stdout.write(`${title}: `);
  for (let i = -warm; i < n && !aborting(); i++) {
    const order = i % 2 ? [...rows].reverse() : rows;
    for (const r of order) {
      if (r.error || aborting()) continue;
      try {
        const s = await run(r.target);
        if (i >= 0) r.times.push(s);
      } catch (err) {
        if (aborting()) break;
        r.error = err.message.split('\n')[0];
        printError(r.target.label, err);
      }
    }
    process.stdout.write(i < 0 ? 'w' : '.');
  }
  process.stdout.write('\n');
  return rows;
}

async function main() {
  if (process.getuid?.() !== 0) throw new Error('containers need root: run as root');
  const { images: fx, harness, 'ref-dockerd': refd } = await importTs(['test/fixtures/images.ts', 'test/e2e/harness.ts', 'test/e2e/ref-dockerd.ts']);
  if (!fx.busyboxAvailable()) throw new Error(`${fx.busyboxPath} missing (apt-get install busybox-static)`);
  const work = await mkdtemp(path.join(os.tmpdir(), 'keel-bench-ctr-'));
  onCleanup(() => rm(work, { recursive: true, force: true }));

  const { targets, skipped } = await startEngines(engines, { harness, refd }, {
    keelDriver: flags.driver || undefined,
    keelArgs: ['--bridge', 'none', '--iptables=false', '--ip-masq=false', '--ip-forward=false'],
  });
  for (const s of skipped) console.log(`${s.kind} skipped: ${s.reason}`);

  // The image, from /bin/busybox: same bytes in every engine.
  const tarFile = path.join(work, 'busybox.tar');
  await writeFile(tarFile, fx.dockerSaveTar([fx.busyboxImage()]));
  const live = [];
  for (const t of targets) {
    t.label = t.kind;
    t.api = apiClient(t.socket);
    try {
      await timed('docker', ['load', '-q', '-i', tarFile], t.env);
      live.push(t);
    } catch (err) {
      t.loadError = `image load failed: ${err.message.split('\n')[0]}`;
      console.log(`${t.kind}: ${t.loadError}`);
    }
  }
  const docker = (t) => timed('docker', ['run', '--rm', '--pull', 'never', '--network', 'none', IMAGE, 'true'], t.env);

  const scenarios = [];
  const record = (id, title, unit, rows, perRun = 1) => {
    const failedLoad = targets.filter((t) => t.loadError).map((t) => ({ target: t, times: [], error: t.loadError }));
    scenarios.push({ id, title, unit, perRun, rows: [...rows, ...failedLoad] });
  };
  console.log(`\n${live.map((t) => t.name).join(' vs ') || 'no engine'}; ${runs} runs, ${warmups} warm-ups; ${os.cpus().length} CPUs, kernel ${os.release()}\n`);
  if (only.has('1')) record('docker-run', 'docker run --rm --pull never --network none busybox true', 'ms', await measure('1 docker run', live, runs, warmups, docker));
  if (only.has('2')) record('api-lifecycle', 'API create + wait + start + delete', 'ms', await measure('2 API life cycle', live, runs, warmups, (t) => apiLifecycle(t.api)));
  if (only.has('3')) record('create-burst', `API create x${count}, concurrency ${concurrency}${flags.names ? ', named' : ''}`, 's', await measure(`3 create x${count}`, live, rounds, 0, (t) => createBurst(t.api)), count);
  if (only.has('4') && !aborting()) {
    const floor = await runcFloor(work);
    const rows = await measure('4 runc floor', [{ label: 'runc', name: floor.name, kind: 'floor' }], runs, warmups, floor.run);
    record('runc-floor', 'floor: runc run busybox true', 'ms', rows);
  }
  if (aborting()) return;

  // ---- table and JSON
  const out = { date: new Date().toISOString(), host: { cpus: os.cpus().length, kernel: os.release() }, flags: { runs, warmups, count, concurrency, rounds, engines, names: !!flags.names }, skipped, scenarios: [] };
  const fmt = (s, unit) => (unit === 'ms' ? `${(s * 1000).toFixed(1)} ms` : `${s.toFixed(3)} s`);
  const w1 = Math.max(...scenarios.map((sc) => sc.title.length));
  const w2 = Math.max(6, ...scenarios.flatMap((sc) => sc.rows.map((r) => r.target.name.length)));
  console.log(`\n${'scenario'.padEnd(w1)} ${'engine'.padEnd(w2)} ${'runs'.padStart(4)} ${'median'.padStart(10)} ${'min'.padStart(10)} ${'rate'.padStart(10)} ${'keel/Docker'.padStart(11)}`);
  for (const sc of scenarios) {
    const dockerRow = sc.rows.find((r) => r.target.kind === 'docker' && r.times.length && !r.error);
    const rows = sc.rows.map((r) => {
      const ok = r.times.length > 0 && !r.error;
      const med = ok ? median(r.times) : null;
      return {
        engine: r.target.name,
        kind: r.target.kind,
        runs: r.times.length,
        medianS: med,
        minS: ok ? Math.min(...r.times) : null,
        perS: ok ? sc.perRun / med : null,
        vsDocker: ok && dockerRow && r.target.kind === 'keel' ? med / median(dockerRow.times) : null,
        ...(r.error ? { error: r.error } : {}),
      };
    });
    out.scenarios.push({ id: sc.id, title: sc.title, perRun: sc.perRun, rows });
    rows.forEach((r, i) => {
      const head = `${(i ? '' : sc.title).padEnd(w1)} ${r.engine.padEnd(w2)}`;
      if (r.error) return console.log(`${head} FAILED: ${r.error.slice(0, 200)}`);
      const rate = `${r.perS.toFixed(1)}/s`;
      console.log(`${head} ${String(r.runs).padStart(4)} ${fmt(r.medianS, sc.unit).padStart(10)} ${fmt(r.minS, sc.unit).padStart(10)} ${rate.padStart(10)} ${(r.vsDocker === null ? '-' : `${r.vsDocker.toFixed(2)}x`).padStart(11)}`);
    });
  }
  console.log('\nrate: runs (or, for the burst, containers) per second at the median; keel/Docker: median time ratio, < 1 is faster than Docker');
  const file = path.join(repo, 'bench', 'results', 'containers.json');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote ${path.relative(repo, file)}`);
}

try {
  await main();
} catch (err) {
  console.error(err.message ?? err);
  process.exitCode = 1;
} finally {
  await cleanup();
}
