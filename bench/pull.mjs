#!/usr/bin/env node
/**
 * `docker pull` from a loopback registry: keel beside the reference dockerd, same registry, same image.
 *
 *   node bench/pull.mjs [--runs 5] [--mb 200] [--layers 20] [--driver overlay2|vfs] [--engines keel,docker]
 *
 * Generates an image of incompressible layers, loads it into the first engine and pushes it to a
 * Debian `docker-registry` started on 127.0.0.1 (test/fixtures/registry.ts), then times
 * `docker pull` against each engine, interleaved, removing the image between runs (untimed).
 * Prints median, min, MB/s and the keel/Docker ratio; writes bench/results/pull.json. Needs
 * `npm run build` first. Not part of `npm test`. At exit, or on SIGINT/SIGTERM, the daemons and the
 * registry are stopped and the temporary files removed.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cleanup, cleanupOnSignals, importTs, median, onCleanup, parseFlags, repo, timed } from './lib/common.mjs';
import { startEngines } from './lib/engines.mjs';

const flags = parseFlags(process.argv.slice(2), { runs: '5', mb: '200', layers: '20', driver: '', engines: 'keel,docker' });
const [runs, totalMb, layers] = ['runs', 'mb', 'layers'].map((k) => Number(flags[k]));
if (!Number.isInteger(runs) || !Number.isInteger(layers) || Math.min(runs, layers) < 1 || !(totalMb > 0)) {
  throw new Error('--runs and --layers take positive integers, --mb a positive number');
}
const engines = flags.engines.split(',').map((s) => s.trim()).filter(Boolean);
const unknown = engines.filter((e) => e !== 'keel' && e !== 'docker');
if (unknown.length) throw new Error(`--engines: unknown ${unknown.join(', ')} (keel, docker)`);

cleanupOnSignals();

async function main() {
  const { images: fx, harness, 'ref-dockerd': refd, registry } = await importTs(['test/fixtures/images.ts', 'test/e2e/harness.ts', 'test/e2e/ref-dockerd.ts', 'test/fixtures/registry.ts']);
  if (!existsSync(harness.keeldPath) && engines.includes('keel')) throw new Error(`${harness.keeldPath} missing: run npm run build`);
  const missing = registry.registryMissing();
  if (missing) throw new Error(missing);
  const work = await mkdtemp(path.join(tmpdir(), 'keel-bench-pull-'));
  onCleanup(() => rm(work, { recursive: true, force: true }));
  const file = path.join(work, 'bench.tar');
  process.stdout.write(`generating ${layers} layers, ${totalMb} MB of random data... `);
  const { image, bytes } = fx.writeBenchImage(file, { layers, totalBytes: totalMb * 1e6, repoTag: 'bench:latest' });
  console.log(`${(bytes / 1e6).toFixed(1)} MB, image ${image.id.slice(7, 19)}`);

  const reg = await registry.startRegistry();
  onCleanup(() => reg.stop());
  const { targets, skipped } = await startEngines(engines, { harness, refd }, { keelDriver: flags.driver || undefined });
  for (const sk of skipped) {
    if (sk.kind === 'keel') throw new Error(sk.reason);
    console.log(`reference dockerd skipped: ${sk.reason}`);
  }
  const name = `${reg.host}/bench/pull:latest`;
  const seed = targets[0];
  for (const step of [['load', '-q', '-i', file], ['tag', 'bench:latest', name], ['push', name]]) {
    const r = await harness.run('docker', step, { env: seed.env, timeoutMs: 600_000 });
    if (r.code !== 0) throw new Error(`seeding with ${seed.name}: docker ${step.join(' ')}: ${r.stderr}`);
  }
  for (const t of targets) {
    await timed('docker', ['rmi', '-f', image.id], t.env);
    t.times = [];
  }

  for (let i = 0; i < runs; i++) {
    for (const t of targets) {
      t.times.push(await timed('docker', ['pull', '-q', name], t.env));
      await timed('docker', ['rmi', '-f', image.id], t.env);
    }
    process.stdout.write(`run ${i + 1}/${runs} `);
  }

  const docker = targets.find((t) => t.kind === 'docker');
  const base = docker ? median(docker.times) : undefined;
  const rows = targets.map(({ name: engine, times }) => {
    const m = median(times);
    return { name: engine, runs: times.length, medianS: m, minS: Math.min(...times), mbPerS: bytes / 1e6 / m, vsDocker: base ? m / base : null };
  });
  console.log(`\ndocker pull of ${(bytes / 1e6).toFixed(1)} MB in ${layers} layers from ${reg.host}; ${runs} interleaved runs per engine\n`);
  const cols = [['engine', 28, (r) => r.name], ['median s', 10, (r) => r.medianS.toFixed(3)], ['min s', 8, (r) => r.minS.toFixed(3)], ['MB/s', 8, (r) => r.mbPerS.toFixed(1)], ['vs Docker', 10, (r) => (r.vsDocker === null ? '-' : `${r.vsDocker.toFixed(2)}x`)]];
  const line = (cells) => cells.map((c, i) => (i ? String(c).padStart(cols[i][1]) : String(c).padEnd(cols[i][1]))).join(' ');
  console.log(line(cols.map((c) => c[0])));
  for (const r of rows) console.log(line(cols.map((c) => c[2](r))));
  const out = path.join(repo, 'bench', 'results', 'pull.json');
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify({ date: new Date().toISOString(), bytes, layers, runs, imageId: image.id, rows }, null, 2)}\n`);
  console.log(`\nwrote ${path.relative(repo, out)}`);
}

// Whatever happens, the daemons, the registry and the temporary files go.
await main()
  .catch((err) => {
    console.error(err.message ?? err);
    process.exitCode = 1;
  })
  .finally(cleanup);
