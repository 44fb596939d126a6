#!/usr/bin/env node
/**
 * Container benchmarks: keel beside the reference dockerd, same machine, same busybox image, same
 * runc.
 *
 *   node bench/containers.mjs [--runs 20] [--engines keel,docker] [--count 200] [--concurrency 8]
 *                             [--rounds 3] [--warmups 2] [--driver overlay2|vfs]
 *                             [--scenarios 1,2,3,4,5,6,7,8,9,10,11] [--ps-count 500]
 *                             [--ping-seconds 3] [--rss-count 50]
 *                             [--names]   (API creates pass ?name=kb-<pid>-<n> instead of a generated name)
 *
 * Scenarios (9, memory, runs first, so that its idle reading follows only a warm-up; 10 runs last,
 * on engines of its own), each engine interleaved run by run (the order alternates), after
 * `--warmups` untimed runs:
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
 *     Also the daemon processes' CPU (user + system) per request over each window: the client
 *     shares the CPUs, so the rate says as much about it as about the engine.
 *  7. `docker inspect <id>` (CLI) and GET /containers/{id}/json (API; a run is the mean of 20
 *     sequential requests) on a running `busybox sleep 3600`.
 *  8. `docker exec <id> true` on that container.
 *  9. Daemon RSS (VmRSS): idle after a warm-up with no containers, and with `--rss-count` running
 *     `busybox sleep 3600`; keel counts keeld and its conmons, Docker dockerd, containerd and its
 *     containerd-shims (found by their command lines naming the daemon's temporary directory);
 *     per-container overhead = (with − idle) / count.
 * 10. `docker run --rm busybox true` on the default bridge (no --network flag), on a second pair of
 *     engines that each have a default bridge of their own: keel the one the test harness names
 *     for it, dockerd a scratch bridge `kbd<pid>` (a free private /24) made by the bench. Both run
 *     with iptables, masquerading and ip_forward off (`--iptables=false --ip-masq=false
 *     --ip-forward=false`): like for like, and dockerd 20.10 would leave its DOCKER chains behind.
 *     Before timing, one container per engine shows its eth0 address (in the JSON details).
 * 11. Floor: `node -e 0`, the start of a Node process (keeld's and the keel CLI's lower bound).
 * Prints median, min, the keel/Docker ratio of the medians and which side of 1 is better (< 1 for
 * times and memory, > 1 for requests per second); writes bench/results/containers.json. An engine
 * failing a scenario is reported (`keel: create failed: 404 ...`) and the others go on. Needs
 * `npm run build` (it runs the built keeld from dist/) and root. Not part of `npm test`;
 * bench/all.mjs runs it with the other benchmarks.
 *
 * Nothing leaves the host: unix sockets only, containers with NetworkMode none (scenario 10: on
 * bridges only they and the host are on, running `true`, which sends nothing), no iptables rule or
 * sysctl written, and at exit (or SIGINT/SIGTERM) every container is removed (DELETE ?force=1,
 * concurrency 8), the daemons stopped, leftover mounts and shims cleaned, bridges, cgroups and
 * temporary directories removed.
 */
import { runScript } from './lib/common.mjs';
import { containersBench, containersDefaults, containersOptions } from './scenarios/containers-bench.mjs';

await runScript(import.meta.url, containersDefaults, containersOptions, containersBench, 'containers.json');
