#!/usr/bin/env node
/**
 * `docker logs` throughput: keel beside the reference dockerd, same machine, same busybox image,
 * same docker CLI, default json-file log driver (no rotation).
 *
 *   node bench/logs.mjs [--runs 3] [--mb 200] [--engines keel,docker] [--driver overlay2|vfs]
 *
 * In each engine (one after the other, so they do not share the CPUs) a container
 * (`busybox`, `--network none`, `busybox awk`) writes `--mb` MB (10^6 bytes) to stdout in lines of 100 bytes
 * (`000000042 xxx…x\n`, numbered so the last one is recognisable), then:
 *  - collection: the time from `docker start` to `docker wait` returning, and whether the log was
 *    complete right then (`docker logs --tail 1` issued as soon as the wait returns shows the last
 *    line); if not, the tail is polled until it does and the delay is reported;
 *  - check (untimed): `docker logs` read through a counting sink must give exactly the bytes and
 *    lines written, the last line last, nothing on stderr;
 *  - timed: `docker logs <id>` with stdout to /dev/null, `--runs` times, engines interleaved (the
 *    order alternates run by run);
 *  - the same through the API without the CLI: `curl --unix-socket` of GET /containers/{id}/logs
 *    (stdout and stderr, multiplexed) to /dev/null, interleaved the same way;
 *  - floor: `cat` of the engine's json log file (`docker inspect -f {{.LogPath}}`) to /dev/null,
 *    interleaved the same way.
 * Prints median and min seconds, MB/s of container output at the median (the floor's too, for
 * comparison: the log file is larger than the output), and the keel/Docker time ratio; writes
 * bench/results/logs.json. Needs `npm run build` (it runs the built keeld from dist/) and root.
 * Not part of `npm test`; bench/all.mjs runs it with the other benchmarks.
 *
 * Nothing leaves the host: unix sockets only, no bridge, containers with `--network none`; at exit
 * (or SIGINT/SIGTERM) every container is removed, the daemons stopped, leftover mounts and shims
 * cleaned, cgroups and temporary directories removed (bench/lib/engines.mjs).
 */
import { runScript } from './lib/common.mjs';
import { logsBench, logsDefaults, logsOptions } from './scenarios/logs-bench.mjs';

await runScript(import.meta.url, logsDefaults, logsOptions, logsBench, 'logs.json');
