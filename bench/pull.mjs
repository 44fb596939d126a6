#!/usr/bin/env node
/**
 * `docker pull` from a loopback registry: keel beside the reference dockerd, same registry, same image.
 *
 *   node bench/pull.mjs [--runs 5] [--mb 200] [--layers 20] [--driver overlay2|vfs] [--engines keel,docker]
 *
 * Generates an image of incompressible layers, loads it into the first engine and pushes it to a
 * Debian `docker-registry` started on 127.0.0.1 (test/fixtures/registry.ts), then times
 * `docker pull` against each engine (without networks of their own: the registry is on the
 * loopback), interleaved (the order alternates run by run), removing the image after each pull
 * (untimed). Prints median, min, MB/s and the keel/Docker ratio; writes bench/results/pull.json.
 * Needs `npm run build` first. Not part of `npm test`; bench/all.mjs runs it with the other
 * benchmarks. At exit, or on SIGINT/SIGTERM, the daemons and the registry are stopped and the
 * temporary files removed.
 */
import { runScript } from './lib/common.mjs';
import { pullBench, imageDefaults, imageOptions } from './scenarios/image-bench.mjs';

await runScript(import.meta.url, imageDefaults, imageOptions, pullBench, 'pull.json');
