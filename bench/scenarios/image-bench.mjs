/**
 * The image benchmarks of bench/image-load.mjs and bench/pull.mjs (which say what they measure) as
 * functions, for those scripts and for bench/all.mjs: their flags (the same for both), their
 * checking, and the runs, which print the table and resolve with the JSON of
 * bench/results/image-load.json and bench/results/pull.json.
 *
 * Both generate one docker-save archive of incompressible layers (`writeBenchImage` of the test
 * fixtures) and start the engines without networks (bench/lib/engines.mjs); every run is followed by
 * an untimed `docker rmi -f`.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { aborting, checkInts, engineList, onCleanup, timed } from '../lib/common.mjs';
import { startEngines, testHelpers } from '../lib/engines.mjs';
import { ownName } from '../lib/host-state.mjs';
import { measure, report } from './report.mjs';

/** The flags of bench/image-load.mjs and bench/pull.mjs and their defaults. */
export const imageDefaults = { runs: '5', mb: '200', layers: '20', driver: '', engines: 'keel,docker' };

/** Checked options from parsed flags. */
export function imageOptions(flags) {
  const o = { runs: Number(flags.runs), mb: Number(flags.mb), layers: Number(flags.layers), driver: flags.driver || undefined, engines: engineList(flags.engines) };
  checkInts({ runs: o.runs, layers: o.layers });
  if (!(o.mb > 0)) throw new Error('--mb must be a positive number');
  return o;
}

/**
 * The test helpers (with `more` of them), the archive `<work>/bench.tar` (`bench:latest`), and the
 * engines; keel missing is an error, Docker missing a note. Everything goes at clean-up.
 */
async function setUp(o, prefix, more = []) {
  const helpers = await testHelpers(more);
  if (!existsSync(helpers.harness.keeldPath) && o.engines.includes('keel')) throw new Error(`${helpers.harness.keeldPath} missing: run npm run build`);
  const work = await mkdtemp(path.join(os.tmpdir(), prefix));
  ownName(path.basename(work));
  onCleanup(() => rm(work, { recursive: true, force: true }));
  const file = path.join(work, 'bench.tar');
  process.stdout.write(`generating ${o.layers} layers, ${o.mb} MB of random data... `);
  const { image, bytes } = helpers.fx.writeBenchImage(file, { layers: o.layers, totalBytes: o.mb * 1e6, repoTag: 'bench:latest' });
  console.log(`${(bytes / 1e6).toFixed(1)} MB archive, image ${image.id.slice(7, 19)}`);
  const start = () => startEngines(o.engines, helpers, { keelDriver: o.driver }).then(({ targets, skipped }) => {
    for (const sk of skipped) {
      if (sk.kind === 'keel') throw new Error(sk.reason);
      console.log(`reference dockerd skipped: ${sk.reason}`);
    }
    return { targets, skipped };
  });
  return { helpers, work, file, image, bytes, start };
}

/** The results' JSON of one image benchmark. */
const result = (o, { bytes, image }, skipped, scenarios) => ({
  date: new Date().toISOString(), host: { cpus: os.cpus().length, kernel: os.release() },
  flags: o, bytes, layers: o.layers, imageId: image.id, skipped, scenarios: report(scenarios),
});

/**
 * `docker load -i` of the archive into each engine, interleaved with two floors on the same file:
 * `tar -xf` into a fresh directory (removed, untimed) and `cat > /dev/null`.
 */
export async function loadBench(o) {
  const s = await setUp(o, 'keel-bench-load-');
  const { targets, skipped } = await s.start();
  const floors = [
    { kind: 'floor', label: 'tar', name: 'floor: tar -xf', info: { floor: 'tar' }, async run() {
      const dest = await mkdtemp(path.join(s.work, 'x-'));
      const took = await timed('tar', ['-xf', s.file, '-C', dest]);
      await rm(dest, { recursive: true, force: true });
      return took;
    } },
    { kind: 'floor', label: 'cat', name: 'floor: cat > /dev/null', info: { floor: 'cat' }, run: () => timed('sh', ['-c', 'cat "$0" > /dev/null', s.file]) },
  ];
  await timed('sh', ['-c', 'cat "$0" > /dev/null', s.file]); // page cache warm for everyone
  const mb = s.bytes / 1e6;
  const rows = await measure(`docker load -i, ${mb.toFixed(1)} MB`, [...targets, ...floors], o.runs, 0, async (t) => {
    if (t.run) return t.run();
    const took = await timed('docker', ['load', '-q', '-i', s.file], t.env);
    await timed('docker', ['rmi', '-f', 'bench:latest'], t.env);
    return took;
  });
  if (aborting()) return undefined;
  return result(o, s, skipped, [{ id: 'docker-load', title: `docker load -i, ${mb.toFixed(1)} MB in ${o.layers} layers`, unit: 's', perRun: mb, rateUnit: ' MB/s', rows }]);
}

/**
 * `docker pull` from a Debian `docker-registry` on 127.0.0.1 (test/fixtures/registry.ts), seeded by
 * the first engine (load, tag, push).
 */
export async function pullBench(o) {
  const s = await setUp(o, 'keel-bench-pull-', ['test/fixtures/registry.ts']);
  const { registry, harness } = s.helpers;
  const missing = registry.registryMissing();
  if (missing) throw new Error(missing);
  const reg = await registry.startRegistry();
  onCleanup(() => reg.stop());
  const { targets, skipped } = await s.start();
  const name = `${reg.host}/bench/pull:latest`;
  const seed = targets[0];
  for (const step of [['load', '-q', '-i', s.file], ['tag', 'bench:latest', name], ['push', name]]) {
    const r = await harness.run('docker', step, { env: seed.env, timeoutMs: 600_000 });
    if (r.code !== 0) throw new Error(`seeding with ${seed.name}: docker ${step.join(' ')}: ${r.stderr}`);
  }
  for (const t of targets) await timed('docker', ['rmi', '-f', s.image.id], t.env);
  const mb = s.bytes / 1e6;
  const rows = await measure(`docker pull, ${mb.toFixed(1)} MB`, targets, o.runs, 0, async (t) => {
    const took = await timed('docker', ['pull', '-q', name], t.env);
    await timed('docker', ['rmi', '-f', s.image.id], t.env);
    return took;
  });
  if (aborting()) return undefined;
  return result(o, s, skipped, [{ id: 'docker-pull', title: `docker pull from 127.0.0.1, ${mb.toFixed(1)} MB in ${o.layers} layers`, unit: 's', perRun: mb, rateUnit: ' MB/s', rows }]);
}
