#!/usr/bin/env node
/**
 * Container benchmarks: keel beside the reference dockerd, same machine, same busybox image, same
 * runc.
 *
 *   node bench/containers.mjs [--runs 20] [--engines keel,docker] [--count 200] [--concurrency 8]
 *                             [--rounds 3] [--warmups 2] [--driver overlay2|vfs]
 *                             [--scenarios 1,2,3,4,5,6,7,8,9] [--ps-count 500] [--ping-seconds 3]
 *                             [--rss-count 50]
 *                             [--names]   (API creates pass ?name=kb-<pid>-<n> instead of a generated name)
 *
 * Scenarios (9, memory, runs first, so that its idle reading follows only a warm-up), each engine
 * interleaved run by run (the order alternates), after `--warmups` untimed runs:
 *  1. `docker run --rm --network none busybox true`: wall clock of the real docker CLI.
 *  2. The API path of that command over the unix socket: POST /containers/create (NetworkMode
 *     none), POST /containers/{id}/wait?condition=next-exit (its response headers awaited, as the
 *     docker CLI does, before) POST /containers/{id}/start, the wait's body, DELETE.
 *  3. Create throughput: `--count` POST /containers/create at `--concurrency`, `--rounds` times;
 *     containers/s. The containers are removed after each round (untimed, DELETE ?force=1).
 *  4. Floor: `runc run` of a bundle holding only a static /bin/busybox running `true`, with its own
 *     runc --root.
 *  5. `docker ps -a` (and GET /containers/json?all=1) with `--ps-count` containers created, not
 *     started, in each engine (made and removed untimed through the API, concurrency 8).
 *  6. GET /_ping requests per second over 16 keep-alive connections of a raw HTTP/1.1 client, one
 *     request in flight on each; `--ping-seconds` windows of 1 s per engine, after a 1 s warm-up.
 *  7. `docker inspect <id>` (CLI) and GET /containers/{id}/json (API; a run is the mean of 20
 *     sequential requests) on a running `busybox sleep 3600`.
 *  8. `docker exec <id> true` on that container.
 *  9. Daemon RSS (VmRSS): idle after a warm-up with no containers, and with `--rss-count` running
 *     `busybox sleep 3600`; keel counts keeld and its conmons, Docker dockerd, containerd and its
 *     containerd-shims (found by their command lines naming the daemon's temporary directory);
 *     per-container overhead = (with − idle) / count.
 * Prints median, min, the keel/Docker ratio of the medians and which side of 1 is better (< 1 for
 * times and memory, > 1 for requests per second); writes bench/results/containers.json. An engine
 * failing a scenario is reported (`keel: create failed: 404 ...`) and the others go on. Needs
 * `npm run build` (it runs dist/bin/keeld.js) and root. Not part of `npm test`.
 *
 * Nothing leaves the host: unix sockets only, containers with NetworkMode none, dockerd without
 * bridge, iptables or masquerading, and at exit (or SIGINT/SIGTERM) every container is removed
 * (DELETE ?force=1, concurrency 8), the daemons stopped, leftover mounts and shims cleaned, cgroups
 * and temporary directories removed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { aborting, cleanupOnSignals, parseFlags, repo, runMain, timed } from './lib/common.mjs';
import { busyboxEngines } from './lib/engines.mjs';
import { apiClient } from './scenarios/api.mjs';
import { memoryScenario, pingScenario, psScenario, runningScenarios } from './scenarios/daemon.mjs';
import { IMAGE, apiLifecycle, createBurst, runcFloor } from './scenarios/lifecycle.mjs';
import { measure, report } from './scenarios/report.mjs';

const flags = parseFlags(process.argv.slice(2), {
  runs: '20', engines: 'keel,docker', count: '200', concurrency: '8', rounds: '3', warmups: '2', driver: '',
  scenarios: '1,2,3,4,5,6,7,8,9', 'ps-count': '500', 'ping-seconds': '3', 'rss-count': '50', names: false,
});
const only = new Set(String(flags.scenarios).split(',').map((x) => x.trim()));
for (const s of only) if (!/^[1-9]$/.test(s)) throw new Error(`--scenarios: unknown scenario ${s} (1 to 9)`);
const runs = Number(flags.runs);
const count = Number(flags.count);
const concurrency = Number(flags.concurrency);
const rounds = Number(flags.rounds);
const warmups = Number(flags.warmups);
const psCount = Number(flags['ps-count']);
const pingSeconds = Number(flags['ping-seconds']);
const rssCount = Number(flags['rss-count']);
const engines = String(flags.engines).split(',').map((s) => s.trim()).filter(Boolean);
for (const [k, v] of Object.entries({ runs, count, concurrency, rounds, warmups, 'ps-count': psCount, 'ping-seconds': pingSeconds, 'rss-count': rssCount })) {
  if (!Number.isInteger(v) || v < (k === 'warmups' ? 0 : 1)) throw new Error(`--${k} must be a positive integer`);
}
for (const e of engines) if (!['keel', 'docker'].includes(e)) throw new Error(`--engines: unknown engine ${e} (keel, docker)`);

cleanupOnSignals();

async function main() {
  const { work, targets, skipped, tarFile } = await busyboxEngines(engines, { workPrefix: 'keel-bench-ctr-', keelDriver: flags.driver || undefined });
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
  let no = 0; // the scenario running: the table follows the scenarios' numbers, not the order they ran in
  const record = (sc) => {
    const failedLoad = targets.filter((t) => t.loadError).map((t) => ({ target: t, samples: [], error: t.loadError }));
    scenarios.push({ ...sc, no, rows: [...sc.rows, ...failedLoad] });
  };
  const step = (n) => only.has(String(n)) && !aborting() && ((no = n), true);
  const ctx = { live, runs, warmups, record };
  console.log(`\n${live.map((t) => t.name).join(' vs ') || 'no engine'}; ${runs} runs, ${warmups} warm-ups; ${os.cpus().length} CPUs, kernel ${os.release()}\n`);
  // Memory first: the idle reading should not depend on which of the heavier scenarios ran before.
  if (step(9)) await memoryScenario(ctx, rssCount);
  if (step(1)) record({ id: 'docker-run', title: 'docker run --rm --pull never --network none busybox true', unit: 'ms', perRun: 1, rows: await measure('1 docker run', live, runs, warmups, docker) });
  if (step(2)) record({ id: 'api-lifecycle', title: 'API create + wait + start + delete', unit: 'ms', perRun: 1, rows: await measure('2 API life cycle', live, runs, warmups, (t) => apiLifecycle(t.api, flags.names)) });
  if (step(3)) {
    const rows = await measure(`3 create x${count}`, live, rounds, 0, (t) => createBurst(t.api, { count, concurrency, names: flags.names }));
    record({ id: 'create-burst', title: `API create x${count}, concurrency ${concurrency}${flags.names ? ', named' : ''}`, unit: 's', perRun: count, rows });
  }
  if (step(4)) {
    const floor = await runcFloor(work);
    const rows = await measure('4 runc floor', [{ label: 'runc', name: floor.name, kind: 'floor' }], runs, warmups, floor.run);
    scenarios.push({ id: 'runc-floor', title: 'floor: runc run busybox true', unit: 'ms', perRun: 1, no, rows });
  }
  if (step(5)) await psScenario(ctx, psCount);
  if (step(6)) await pingScenario(ctx, { windows: pingSeconds, conns: 16 });
  if (step(7) || step(8)) await runningScenarios(ctx, { inspect: only.has('7'), exec: only.has('8') });
  if (aborting()) return;

  const out = {
    date: new Date().toISOString(), host: { cpus: os.cpus().length, kernel: os.release() },
    flags: { runs, warmups, count, concurrency, rounds, engines, names: !!flags.names, scenarios: [...only].sort(), psCount, pingSeconds, rssCount },
    skipped, scenarios: report(scenarios.sort((a, b) => a.no - b.no).map(({ no: _, ...sc }) => sc)),
  };
  const file = path.join(repo, 'bench', 'results', 'containers.json');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote ${path.relative(repo, file)}`);
}

await runMain(main);
