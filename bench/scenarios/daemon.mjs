/**
 * Scenarios 5–9 of bench/containers.mjs: `docker ps -a` with 500 containers, `/_ping` requests per
 * second, inspect latency (CLI and API), `docker exec true` latency, and daemon memory idle and with
 * 50 running containers.
 *
 * Every scenario gets `ctx = { live, runs, warmups, record }`: `live` the engines (each with `api`,
 * `env`, `socket`, `label`), `record(scenario)` appends to the table. Containers are made through the
 * API with NetworkMode none, tracked by `containerSet` (removed at the scenario's end, or at clean-up
 * whatever happens, DELETE ?force=1 at concurrency 8).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { aborting, median, since, timed } from '../lib/common.mjs';
import { containerSet, createContainer, expectStatus, pool, requestRate } from './api.mjs';
import { IMAGE, trueBody } from './lifecycle.mjs';
import { failedRows, measure } from './report.mjs';

const WIDTH = 8;
export const sleepBody = { Image: IMAGE, Cmd: ['busybox', 'sleep', '3600'], HostConfig: { NetworkMode: 'none' } };
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `setup(t)` for every engine; returns the ones that succeeded. One that failed gets `error`
 * on a copy (so `failedRows` reports it) and is left out.
 */
async function prepared(live, what, setup) {
  const ok = [];
  const failed = [];
  for (const t of live) {
    if (aborting()) break;
    const t0 = process.hrtime.bigint();
    process.stdout.write(`  ${t.label}: ${what}... `);
    try {
      await setup(t);
      console.log(`${since(t0).toFixed(2)} s`);
      ok.push(t);
    } catch (err) {
      console.log(aborting() ? 'interrupted' : `failed: ${err.message.split('\n')[0]}`);
      failed.push({ ...t, error: `${what}: ${err.message.split('\n')[0]}` });
    }
  }
  return { ok, failed };
}

/** Creates `n` containers from `body` in `t` at concurrency 8 into `set`; with `start`, starts each. */
async function makeContainers(t, set, n, body, start = false) {
  await pool(n, WIDTH, async () => {
    const id = await createContainer(t.api, body);
    set.add(id);
    if (start) expectStatus(await t.api.request('POST', `/containers/${id}/start`), [204], 'start');
  });
  if (aborting()) throw new Error('interrupted');
}

/** Removes what `sets` hold, engine by engine, and says how long it took. */
async function removeSets(sets, what) {
  for (const [t, set] of sets) {
    const n = set.size;
    if (!n) continue;
    const t0 = process.hrtime.bigint();
    process.stdout.write(`  ${t.label}: removing ${n} ${what} (force, concurrency ${WIDTH})... `);
    try {
      await set.removeAll();
      console.log(`${since(t0).toFixed(2)} s`);
    } catch (err) {
      console.log(`failed: ${err.message}`);
    }
  }
}

/** Scenario 5: `docker ps -a` (CLI) and GET /containers/json?all=1 (API) with `n` created containers. */
export async function psScenario({ live, runs, warmups, record }, n = 500) {
  const sets = new Map(live.map((t) => [t, containerSet(t.api, WIDTH)]));
  try {
    const { ok, failed } = await prepared(live, `creating ${n} containers (not started)`, async (t) => {
      await makeContainers(t, sets.get(t), n, trueBody);
      const listed = expectStatus(await t.api.request('GET', '/containers/json?all=1'), [200], 'list').json().length;
      if (listed < n) throw new Error(`GET /containers/json?all=1 lists ${listed} containers, want ${n}`);
    });
    const cli = await measure(`5 docker ps -a (${n})`, ok, runs, warmups, (t) => timed('docker', ['ps', '-a'], t.env));
    record({ id: 'ps-500', title: `docker ps -a, ${n} created containers`, unit: 'ms', perRun: 1, rows: [...cli, ...failedRows(failed)] });
    const api = await measure(`5 GET /containers/json?all=1 (${n})`, ok, runs, warmups, async (t) => {
      const t0 = process.hrtime.bigint();
      const r = expectStatus(await t.api.request('GET', '/containers/json?all=1'), [200], 'list');
      const s = since(t0);
      if (r.json().length < n) throw new Error(`list: ${r.json().length} containers, want ${n}`);
      return s;
    });
    record({ id: 'ps-500-api', title: `GET /containers/json?all=1, ${n} containers`, unit: 'ms', perRun: 1, rows: [...api, ...failedRows(failed)] });
  } finally {
    await removeSets(sets, 'containers');
  }
}

/** Scenario 6: GET /_ping over `conns` keep-alive connections; `windows` interleaved 1 s windows per engine after a 1 s warm-up. */
export async function pingScenario({ live, record }, { windows = 3, conns = 16 } = {}) {
  const cpu = new Map(live.map((t) => [t, []]));
  const serverUs = new Map(live.map((t) => [t, []]));
  const rows = await measure(`6 /_ping x${conns} connections, ${windows} x 1 s`, live, windows, 1, async (t) => {
    // The daemon processes' CPU over the window: what one request costs the engine, whatever the
    // client (which shares the CPUs) lets the rate reach.
    const daemons = engineProcesses(t.kind, path.dirname(t.socket)).filter((p) => p.cls === 'daemon');
    const before = daemons.reduce((a, p) => a + cpuTicks(p.pid), 0);
    const { rate, clientCpu, requests } = await requestRate(t.socket, '/_ping', { conns, seconds: 1 });
    const ticks = daemons.reduce((a, p) => a + cpuTicks(p.pid), 0) - before;
    cpu.get(t).push(clientCpu);
    serverUs.get(t).push(ticks / CLK_TCK / requests); // seconds
    return rate;
  });
  // The client's own CPU (cores busy): near 1, it is the client that limits the rate.
  const details = Object.fromEntries([...cpu].filter(([, xs]) => xs.length).map(([t, xs]) => [t.kind, {
    clientCpuCores: Number(median(xs).toFixed(2)), daemonCpuMicrosPerRequest: Number((median(serverUs.get(t)) * 1e6).toFixed(1)),
  }]));
  console.log(`  client CPU (cores, median): ${Object.entries(details).map(([k, v]) => `${k} ${v.clientCpuCores}`).join(', ')}`);
  console.log(`  daemon CPU per request (µs, median): ${Object.entries(details).map(([k, v]) => `${k} ${v.daemonCpuMicrosPerRequest}`).join(', ')}`);
  record({ id: 'ping-rate', title: `GET /_ping, keep-alive, concurrency ${conns}`, unit: 'req/s', better: 'higher', perRun: 1, rows, details });
  const perRequest = [...serverUs].filter(([, xs]) => xs.length).map(([target, samples]) => ({ target, samples }));
  if (perRequest.length) record({ id: 'ping-cpu', title: 'daemon CPU per GET /_ping', unit: 'µs', perRun: 1, rateUnit: ' req/CPU-s', rows: perRequest });
}

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const CLK_TCK = 100;

/** utime + stime of `pid` so far, in clock ticks (its threads included); 0 once it is gone. */
function cpuTicks(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/**
 * Scenarios 7 and 8 on one running `busybox sleep 3600` per engine: `docker inspect <id>` (CLI),
 * GET /containers/{id}/json (API, each run the mean of `batch` sequential keep-alive requests), and
 * `docker exec <id> true`.
 */
export async function runningScenarios({ live, runs, warmups, record }, { inspect = true, exec = true, batch = 20 } = {}) {
  const sets = new Map(live.map((t) => [t, containerSet(t.api, WIDTH)]));
  const ids = new Map();
  try {
    const { ok, failed } = await prepared(live, 'starting busybox sleep 3600', async (t) => {
      await makeContainers(t, sets.get(t), 1, sleepBody, true);
      ids.set(t, [...sets.get(t).ids][0]);
    });
    if (inspect) {
      const cli = await measure('7 docker inspect', ok, runs, warmups, (t) => timed('docker', ['inspect', ids.get(t)], t.env));
      record({ id: 'inspect-cli', title: 'docker inspect <id> (running)', unit: 'ms', perRun: 1, rows: [...cli, ...failedRows(failed)] });
      const api = await measure(`7 GET /containers/{id}/json x${batch}`, ok, runs, warmups, async (t) => {
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < batch; i++) expectStatus(await t.api.request('GET', `/containers/${ids.get(t)}/json`), [200], 'inspect');
        return since(t0) / batch;
      });
      record({ id: 'inspect-api', title: 'GET /containers/{id}/json (running)', unit: 'ms', perRun: 1, rows: [...api, ...failedRows(failed)] });
    }
    if (exec) {
      const rows = await measure('8 docker exec true', ok, runs, warmups, (t) => timed('docker', ['exec', ids.get(t), 'true'], t.env));
      record({ id: 'exec-true', title: 'docker exec <id> true', unit: 'ms', perRun: 1, rows: [...rows, ...failedRows(failed)] });
    }
  } finally {
    await removeSets(sets, 'containers');
  }
}

// ---------------------------------------------------------------- memory

/** `<key>: N kB` of a /proc file, in bytes; 0 when the process is gone or a kernel thread. */
function procKb(file, key) {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(readFileSync(file, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
/** Resident set size (VmRSS) of `pid`, in bytes: what the scenario reports. */
const rss = (pid) => procKb(`/proc/${pid}/status`, 'VmRSS');
/** Proportional set size (shared pages split among their users), in bytes: in the details only. */
const pss = (pid) => procKb(`/proc/${pid}/smaps_rollup`, 'Pss');

/**
 * The processes of one engine, by class: `daemon` (keeld; dockerd and containerd), `monitor`
 * (conmon; containerd-shim) and `other` — every process whose command line mentions the engine's
 * temporary directory, `dir`.
 */
function engineProcesses(kind, dir) {
  const out = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    let argv;
    let comm;
    try {
      argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      comm = readFileSync(`/proc/${p}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (!argv.some((a) => a.includes(dir))) continue;
    let cls = 'other';
    if (kind === 'keel') {
      if (comm === 'conmon') cls = 'monitor';
      else if (argv.some((a) => /keeld(\.m?js)?$/.test(a))) cls = 'daemon';
    } else if (comm === 'dockerd' || comm === 'containerd') cls = 'daemon';
    else if (comm.startsWith('containerd-shim')) cls = 'monitor';
    out.push({ pid: Number(p), comm, cls });
  }
  return out;
}

/** One reading: daemon and monitor RSS (bytes) and process counts; `other` lists what else runs under the engine's directory. */
function memoryReading(t) {
  const procs = engineProcesses(t.kind, path.dirname(t.socket)).map((p) => ({ ...p, rss: rss(p.pid), pss: pss(p.pid) }));
  const sum = (cls, k = 'rss') => procs.filter((p) => p.cls === cls).reduce((a, p) => a + p[k], 0);
  const daemons = procs.filter((p) => p.cls === 'daemon');
  const want = t.kind === 'keel' ? 1 : 2;
  if (daemons.length !== want) throw new Error(`found ${daemons.length} daemon processes (${daemons.map((p) => p.comm).join(', ') || 'none'}), want ${want}`);
  return {
    daemon: sum('daemon'),
    monitors: sum('monitor'),
    monitorCount: procs.filter((p) => p.cls === 'monitor').length,
    other: procs.filter((p) => p.cls === 'other').map((p) => `${p.comm}:${p.pid}`),
    total: sum('daemon') + sum('monitor'),
    pss: sum('daemon', 'pss') + sum('monitor', 'pss'),
  };
}

/** `n` readings `gapMs` apart. */
async function readings(t, n = 5, gapMs = 200) {
  const out = [];
  for (let i = 0; i < n; i++) {
    if (i) await pause(gapMs);
    out.push(memoryReading(t));
  }
  return out;
}

/**
 * Scenario 9: RSS of the daemon plus every per-container monitor, idle (after a warm-up of two
 * `docker run --rm` and a `docker ps -a`, no containers, then {@link IDLE_SETTLE_MS} with nothing to
 * do) and with `n` running `busybox sleep 3600` (2 s after the last start); five readings each,
 * 200 ms apart. keel: keeld + its conmons; Docker:
 * dockerd + containerd + its containerd-shims. Per-container overhead: (with n − idle) / n, reading
 * by reading.
 */
/**
 * How long a daemon idles before its idle reading: an idle daemon is one that has been idle a
 * while, and both runtimes hand memory back only then (V8's memory reducer about 8 s after the
 * last activity, Go's background scavenger gradually). The same for both engines.
 */
const IDLE_SETTLE_MS = 12_000;

export async function memoryScenario({ live, record }, n = 50) {
  const res = new Map();
  const failed = [];
  for (const t of live) {
    if (aborting()) break;
    const set = containerSet(t.api, WIDTH);
    try {
      process.stdout.write(`9 memory, ${t.label}: warm-up... `);
      for (let i = 0; i < 2; i++) await timed('docker', ['run', '--rm', '--pull', 'never', '--network', 'none', IMAGE, 'true'], t.env);
      await timed('docker', ['ps', '-a'], t.env);
      const left = expectStatus(await t.api.request('GET', '/containers/json?all=1'), [200], 'list').json().length;
      if (left) throw new Error(`${left} containers exist, the idle reading needs none`);
      await pause(IDLE_SETTLE_MS);
      const idle = await readings(t);
      process.stdout.write(`idle ${(median(idle.map((r) => r.total)) / 1e6).toFixed(1)} MB; starting ${n}... `);
      await makeContainers(t, set, n, sleepBody, true);
      await pause(2000);
      const busy = await readings(t);
      const monitors = busy[busy.length - 1].monitorCount;
      console.log(`${(median(busy.map((r) => r.total)) / 1e6).toFixed(1)} MB, ${monitors} monitor processes`);
      if (monitors < n) throw new Error(`${monitors} monitor processes with ${n} running containers`);
      res.set(t, { idle, busy });
    } catch (err) {
      console.log(`failed: ${err.message.split('\n')[0]}`);
      failed.push({ ...t, error: err.message.split('\n')[0] });
    } finally {
      const t0 = process.hrtime.bigint();
      if (set.size) {
        await set.removeAll().then(() => console.log(`  ${t.label}: removed ${n} running containers in ${since(t0).toFixed(2)} s`), (e) => console.log(`  ${t.label}: removing: ${e.message}`));
      }
    }
  }
  const rows = (pick) => [...[...res].map(([target, r]) => ({ target, samples: pick(r) })), ...failedRows(failed)];
  const details = Object.fromEntries([...res].map(([t, r]) => {
    const m = (rs, k) => median(rs.map((x) => x[k]));
    return [t.kind, {
      engine: t.name,
      idle: { daemonBytes: m(r.idle, 'daemon'), monitorBytes: m(r.idle, 'monitors'), monitors: r.idle[0].monitorCount, pssBytes: m(r.idle, 'pss'), other: r.idle[0].other },
      [`running${n}`]: { daemonBytes: m(r.busy, 'daemon'), monitorBytes: m(r.busy, 'monitors'), monitors: r.busy[0].monitorCount, pssBytes: m(r.busy, 'pss'), other: r.busy[0].other },
      pssPerContainerBytes: (m(r.busy, 'pss') - m(r.idle, 'pss')) / n,
    }];
  }));
  for (const [k, v] of Object.entries(details)) {
    const mb = (b) => `${(b / 1e6).toFixed(1)} MB`;
    console.log(`  ${k}: daemon ${mb(v.idle.daemonBytes)} idle, ${mb(v[`running${n}`].daemonBytes)} with ${n}; monitors ${mb(v[`running${n}`].monitorBytes)}; PSS idle ${mb(v.idle.pssBytes)}, per container ${mb(v.pssPerContainerBytes)}`);
  }
  const daemons = 'keeld; dockerd + containerd';
  record({ id: 'rss-idle', title: `RSS idle (${daemons})`, unit: 'MB', perRun: 1, rows: rows((r) => r.idle.map((x) => x.total)), details });
  record({ id: `rss-running-${n}`, title: `RSS, ${n} running (+ conmon / shims)`, unit: 'MB', perRun: 1, rows: rows((r) => r.busy.map((x) => x.total)) });
  record({ id: 'rss-per-container', title: `RSS per running container (${n})`, unit: 'MB', perRun: 1, rows: rows((r) => r.busy.map((x, i) => (x.total - r.idle[i].total) / n)) });
}
