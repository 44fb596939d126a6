#!/usr/bin/env node
/**
 * `docker load` throughput: keel beside the reference dockerd, on the same machine, same bytes.
 *
 *   node bench/image-load.mjs [--runs 5] [--mb 200] [--layers 20] [--driver overlay2|vfs]
 *                             [--engines keel,docker]
 *
 * Generates one docker-save archive of incompressible layers, then times `docker load -i` against
 * each engine, interleaved (the image is removed between runs, untimed), next to two floors on the
 * same file: `tar -xf` into a temp dir and `cat file > /dev/null`. Prints median, min, MB/s and the
 * keel/Docker ratio; writes bench/results/image-load.json. Needs `npm run build` first (it runs
 * dist/bin/keeld.js). Not part of `npm test`.
 *
 * The fixture builder and the daemon launchers are the test helpers (TypeScript), transpiled on the
 * fly by `importTs` (bench/lib/common.mjs); the engines are started and stopped by `startEngines`
 * (bench/lib/engines.mjs). At exit, or on SIGINT/SIGTERM, the daemons are stopped and the temporary
 * files removed.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cleanupOnSignals, importTs, median, onCleanup, parseFlags, repo, runMain, timed } from './lib/common.mjs';
import { startEngines } from './lib/engines.mjs';

const args = parseFlags(process.argv.slice(2), { runs: '5', mb: '200', layers: '20', driver: '', engines: 'keel,docker' });
const runs = Number(args.runs);
const totalMb = Number(args.mb);
const layers = Number(args.layers);
const engines = String(args.engines).split(',').map((s) => s.trim()).filter(Boolean);
for (const [k, v] of Object.entries({ runs, layers })) if (!Number.isInteger(v) || v < 1) throw new Error(`--${k} must be a positive integer`);
if (!(totalMb > 0)) throw new Error('--mb must be a positive number');
for (const e of engines) if (!['keel', 'docker'].includes(e)) throw new Error(`--engines: unknown engine ${e} (keel, docker)`);

cleanupOnSignals();

async function main() {
  const { images: fx, harness, 'ref-dockerd': refd } = await importTs(['test/fixtures/images.ts', 'test/e2e/harness.ts', 'test/e2e/ref-dockerd.ts']);
  if (!existsSync(harness.keeldPath) && engines.includes('keel')) throw new Error(`${harness.keeldPath} missing: run npm run build`);
  const work = await mkdtemp(path.join(tmpdir(), 'keel-bench-'));
  onCleanup(() => rm(work, { recursive: true, force: true }));
  const file = path.join(work, 'bench.tar');
  process.stdout.write(`generating ${layers} layers, ${totalMb} MB of random data... `);
  const { image, bytes } = fx.writeBenchImage(file, { layers, totalBytes: totalMb * 1e6, repoTag: 'bench:latest' });
  console.log(`${(bytes / 1e6).toFixed(1)} MB archive, image ${image.id.slice(7, 19)}`);

  const { targets, skipped } = await startEngines(engines, { harness, refd }, { keelDriver: args.driver || undefined });
  for (const sk of skipped) {
    if (sk.kind === 'keel') throw new Error(sk.reason);
    console.log(`reference dockerd skipped: ${sk.reason}`);
  }
  for (const t of targets) t.times = [];
  const floors = [
    { name: 'floor: tar -xf', times: [], async run() {
      const dest = await mkdtemp(path.join(work, 'x-'));
      const s = await timed('tar', ['-xf', file, '-C', dest]);
      await rm(dest, { recursive: true, force: true });
      return s;
    } },
    { name: 'floor: cat > /dev/null', times: [], run: () => timed('sh', ['-c', 'cat "$0" > /dev/null', file]) },
  ];

  await timed('sh', ['-c', 'cat "$0" > /dev/null', file]); // page cache warm for everyone
  for (let i = 0; i < runs; i++) {
    for (const t of targets) {
      t.times.push(await timed('docker', ['load', '-q', '-i', file], t.env));
      await timed('docker', ['rmi', '-f', 'bench:latest'], t.env);
    }
    for (const f of floors) f.times.push(await f.run());
    process.stdout.write(`run ${i + 1}/${runs} `);
  }

  const dockerMedian = targets.find((t) => t.kind === 'docker') && median(targets.find((t) => t.kind === 'docker').times);
  const rows = [...targets, ...floors].map((t) => ({
    name: t.name,
    runs: t.times.length,
    medianS: median(t.times),
    minS: Math.min(...t.times),
    mbPerS: bytes / 1e6 / median(t.times),
    vsDocker: dockerMedian ? median(t.times) / dockerMedian : null,
  }));
  console.log(`\ndocker load -i of ${(bytes / 1e6).toFixed(1)} MB, ${layers} layers, ${runs} runs each (interleaved)\n`);
  console.log(`${'what'.padEnd(28)} ${'median s'.padStart(9)} ${'min s'.padStart(8)} ${'MB/s'.padStart(8)} ${'time/Docker'.padStart(12)}`);
  for (const r of rows) {
    console.log(`${r.name.padEnd(28)} ${r.medianS.toFixed(3).padStart(9)} ${r.minS.toFixed(3).padStart(8)} ${r.mbPerS.toFixed(1).padStart(8)} ${(r.vsDocker === null ? '-' : `${r.vsDocker.toFixed(2)}x`).padStart(12)}`);
  }
  const out = path.join(repo, 'bench', 'results', 'image-load.json');
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify({ date: new Date().toISOString(), bytes, layers, runs, imageId: image.id, rows }, null, 2)}\n`);
  console.log(`\nwrote ${path.relative(repo, out)}`);
}

await runMain(main);
