#!/usr/bin/env node
/**
 * Every benchmark of bench/ in one go, keel beside the reference dockerd 20.10, ending with one
 * table of medians, floors, keel/Docker ratios and the targets of issue 9 (✓ met, ✗ missed);
 * writes bench/results/all.json (that table and every benchmark's own results).
 *
 *   node bench/all.mjs [--quick] [--only containers,logs,load,pull] [--engines keel,docker]
 *                      [--driver overlay2|vfs] [--runs N] [--warmups N] [--scenarios 1,...,11]
 *                      [--count 200] [--concurrency 8] [--rounds N] [--ps-count N]
 *                      [--ping-seconds N] [--rss-count N] [--logs-mb N] [--logs-runs N]
 *                      [--load-mb N] [--load-runs N] [--pull-mb N] [--pull-runs N] [--layers 20]
 *
 * Defaults (full run, about 15 minutes on 2 CPUs) and `--quick` (a few minutes); a flag given
 * overrides either:
 *   runs 20 / 5 (container scenarios), warmups 2 / 1, rounds 3 / 2 (create bursts of --count 200 at
 *   --concurrency 8), ps-count 500 / 200, ping-seconds 3 / 2, rss-count 50 / 10, logs-mb 200 / 50,
 *   logs-runs 3 / 3, load-mb 200 / 50, load-runs 5 / 3, pull-mb 200 / 50, pull-runs 5 / 3,
 *   layers 20.
 *
 * What runs, one benchmark after the other, each with engines of its own (started, then stopped and
 * cleaned before the next begins; every engine on its own socket, data root, exec root and cgroup
 * parent; runs interleaved between the engines, the order alternating, to cancel noise):
 *  - containers (bench/containers.mjs, scenarios 1–11): `docker run --rm busybox true` with
 *    `--network none` and on the default bridge (engines with a bridge each, iptables off in
 *    both), the API create+start+wait+remove, create throughput, `docker ps -a` with --ps-count
 *    containers, /_ping requests/s, inspect and exec latency, daemon RSS idle and with --rss-count
 *    running containers; floors: `runc run` of the same busybox bundle and `node -e 0`.
 *  - logs (bench/logs.mjs): `docker logs` of --logs-mb MB of container output, and the API with
 *    curl; floor: `cat` of the log file.
 *  - load (bench/image-load.mjs): `docker load -i` of a --load-mb MB, --layers layer archive;
 *    floors: `tar -xf` and `cat` of the same archive.
 *  - pull (bench/pull.mjs): `docker pull` of such an image from a registry on 127.0.0.1.
 * Each prints its own detailed table as it ends. A benchmark that fails is reported and the next
 * one runs. Docker's column needs Debian's docker.io (dockerd 20.10, containerd, runc:
 * `apt-get install docker.io`); without it Docker is skipped and the targets show `?`. keel needs
 * `npm run build`; everything needs root. Not part of `npm test`.
 *
 * The host is left as it was found: unix sockets and 127.0.0.1 only, no iptables rule or sysctl
 * written, bridges, cgroups, mounts and temporary directories removed, even on failure or Ctrl-C.
 * Links, network namespaces, iptables rules, cgroups and mounts are compared before and after, and
 * any difference is printed (tests running at the same time make such objects too).
 */
import os from 'node:os';
import { aborting, checked, cleanupOnSignals, headerOf, parseFlags, runMain, scoped, writeResult } from './lib/common.mjs';
import { hostDiff, hostState } from './lib/host-state.mjs';
import { containersBench, containersOptions } from './scenarios/containers-bench.mjs';
import { imageOptions, loadBench, pullBench } from './scenarios/image-bench.mjs';
import { logsBench, logsOptions } from './scenarios/logs-bench.mjs';
import { summarize } from './scenarios/summary.mjs';

const FULL = { runs: '20', warmups: '2', rounds: '3', 'ps-count': '500', 'ping-seconds': '3', 'rss-count': '50', 'logs-mb': '200', 'logs-runs': '3', 'load-mb': '200', 'load-runs': '5', 'pull-mb': '200', 'pull-runs': '5' };
const QUICK = { runs: '5', warmups: '1', rounds: '2', 'ps-count': '200', 'ping-seconds': '2', 'rss-count': '10', 'logs-mb': '50', 'logs-runs': '3', 'load-mb': '50', 'load-runs': '3', 'pull-mb': '50', 'pull-runs': '3' };
const BENCHES = ['containers', 'logs', 'load', 'pull'];

const given = checked(() => parseFlags(process.argv.slice(2), {
  quick: false, only: BENCHES.join(','), engines: 'keel,docker', driver: '', scenarios: '1,2,3,4,5,6,7,8,9,10,11', count: '200', concurrency: '8', layers: '20',
  ...Object.fromEntries(Object.keys(FULL).map((k) => [k, ''])),
}, headerOf(import.meta.url)));
const f = { ...given };
for (const [k, v] of Object.entries(given.quick ? QUICK : FULL)) if (f[k] === '') f[k] = v;
const only = String(f.only).split(',').map((s) => s.trim()).filter(Boolean);
/** Each benchmark's checked options (all checked before anything starts) and its run. */
const plan = checked(() => {
  for (const b of only) if (!BENCHES.includes(b)) throw new Error(`--only: unknown benchmark ${b} (${BENCHES.join(', ')})`);
  const common = { engines: f.engines, driver: f.driver };
  const image = (mb, runs) => imageOptions({ ...common, mb, runs, layers: f.layers });
  return {
    containers: [containersOptions({ ...common, ...f, names: false }), containersBench],
    logs: [logsOptions({ ...common, mb: f['logs-mb'], runs: f['logs-runs'] }), logsBench],
    load: [image(f['load-mb'], f['load-runs']), loadBench],
    pull: [image(f['pull-mb'], f['pull-runs']), pullBench],
  };
});

cleanupOnSignals();
await runMain(async () => {
  const t0 = Date.now();
  const before = await hostState();
  const results = {};
  const errors = {};
  for (const name of BENCHES.filter((b) => only.includes(b))) {
    if (aborting()) return;
    console.log(`\n======== ${name} ========`);
    try {
      results[name] = await scoped(() => plan[name][1](plan[name][0]));
    } catch (err) {
      errors[name] = err.message.split('\n')[0];
      console.error(`${name} failed: ${err.message}`);
    }
  }
  if (aborting()) return;
  const minutes = (Date.now() - t0) / 60_000;
  console.log(`\n======== summary (${given.quick ? 'quick' : 'full'} run, ${minutes.toFixed(1)} min; ${os.cpus().length} CPUs, kernel ${os.release()}) ========`);
  for (const [name, e] of Object.entries(errors)) console.log(`${name}: FAILED: ${e}`);
  const skipped = new Set(Object.values(results).flatMap((r) => r?.skipped ?? []).map((s) => `${s.kind} skipped: ${s.reason}`));
  for (const s of skipped) console.log(s);
  const summary = summarize(results);
  const diff = hostDiff(before, await hostState());
  console.log(`\nhost after the run (links, netns, iptables, cgroups, mounts, temp dirs): ${diff.own.length ? `LEFT BEHIND by this run:\n  ${diff.own.join('\n  ')}` : 'nothing this run made is left'}`);
  if (diff.other.length) console.log(`changed meanwhile, naming nothing of this run (other processes, e.g. tests?):\n  ${diff.other.join('\n  ')}`);
  await writeResult('all.json', {
    date: new Date().toISOString(), host: { cpus: os.cpus().length, kernel: os.release() }, quick: !!given.quick, minutes,
    flags: f, summary, errors, hostChanges: diff, results,
  });
});
