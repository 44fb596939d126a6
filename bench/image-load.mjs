#!/usr/bin/env node
/**
 * `docker load` throughput: keel beside the reference dockerd, on the same machine, same bytes.
 *
 *   node bench/image-load.mjs [--runs 5] [--mb 200] [--layers 20] [--driver overlay2|vfs]
 *                             [--engines keel,docker]
 *
 * Generates one docker-save archive of incompressible layers, then times `docker load -i` against
 * each engine next to two floors on the same file, `tar -xf` into a temp dir and
 * `cat file > /dev/null`, all interleaved (the order alternates run by run; the image is removed
 * after each load, untimed). Prints median, min, MB/s and the keel/Docker ratio; writes
 * bench/results/image-load.json. Needs `npm run build` first (it runs the built keeld from
 * dist/). Not part of `npm test`; bench/all.mjs runs it with the other benchmarks.
 *
 * The fixture builder and the daemon launchers are the test helpers (TypeScript), transpiled on the
 * fly (bench/lib/engines.mjs `testHelpers`); the engines, without networks, are started and stopped
 * by `startEngines`. At exit, or on SIGINT/SIGTERM, the daemons are stopped and the temporary files
 * removed.
 */
import { runScript } from './lib/common.mjs';
import { loadBench, imageDefaults, imageOptions } from './scenarios/image-bench.mjs';

await runScript(import.meta.url, imageDefaults, imageOptions, loadBench, 'image-load.json');
