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
 * The fixture builder and the daemon launchers are the test helpers (TypeScript): they are
 * transpiled on the fly into bench/.cache-<pid>/ (removed at exit), so `harness.ts` still finds the
 * repository root two levels up.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const repo = fileURLToPath(new URL('../', import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).join(' ').split('--').filter(Boolean).map((a) => a.trim().split(/\s+/)));
const runs = Number(args.runs ?? 5);
const totalMb = Number(args.mb ?? 200);
const layers = Number(args.layers ?? 20);
const engines = (args.engines ?? 'keel,docker').split(',');

const cacheDir = path.join(repo, 'bench', `.cache-${process.pid}`);
const cleanups = [];
let cleaning;
const cleanup = () => (cleaning ??= (async () => {
  for (const f of cleanups.reverse()) await f().catch((e) => console.error('cleanup:', e.message));
})());
process.on('SIGINT', () => cleanup().then(() => process.exit(130)));
process.on('SIGTERM', () => cleanup().then(() => process.exit(143)));

async function importTs(files) {
  await mkdir(cacheDir, { recursive: true });
  cleanups.push(() => rm(cacheDir, { recursive: true, force: true }));
  for (const f of files) {
    const out = ts.transpileModule(readFileSync(path.join(repo, f), 'utf8'), { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
    await writeFile(path.join(cacheDir, path.basename(f).replace(/\.ts$/, '.js')), out.outputText);
  }
  return Object.fromEntries(await Promise.all(files.map(async (f) => [path.basename(f, '.ts'), await import(pathToFileURL(path.join(cacheDir, path.basename(f).replace(/\.ts$/, '.js'))).href)])));
}

/** Wall time of one command, in seconds; throws on a non-zero exit. */
function timed(cmd, argv, env = process.env) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, argv, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('exit', (code) => {
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      code === 0 ? resolve(s) : reject(new Error(`${cmd} ${argv.join(' ')} exited ${code}: ${err.trim()}`));
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  const { images: fx, harness, 'ref-dockerd': refd } = await importTs(['test/fixtures/images.ts', 'test/e2e/harness.ts', 'test/e2e/ref-dockerd.ts']);
  if (!existsSync(harness.keeldPath) && engines.includes('keel')) throw new Error(`${harness.keeldPath} missing: run npm run build`);
  const work = await mkdtemp(path.join(tmpdir(), 'keel-bench-'));
  cleanups.push(() => rm(work, { recursive: true, force: true }));
  const file = path.join(work, 'bench.tar');
  process.stdout.write(`generating ${layers} layers, ${totalMb} MB of random data... `);
  const { image, bytes } = fx.writeBenchImage(file, { layers, totalBytes: totalMb * 1e6, repoTag: 'bench:latest' });
  console.log(`${(bytes / 1e6).toFixed(1)} MB archive, image ${image.id.slice(7, 19)}`);

  const targets = [];
  if (engines.includes('keel')) {
    const driver = args.driver ?? (refd.overlayMissing() ? 'vfs' : 'overlay2');
    const d = await harness.startDaemon({ args: ['--storage-driver', driver] });
    cleanups.push(() => d.stop());
    targets.push({ name: `keel (${driver})`, env: d.env, times: [] });
  }
  if (engines.includes('docker')) {
    const missing = refd.refDockerdMissing();
    if (missing) console.log(`reference dockerd skipped: ${missing}`);
    else {
      const d = await refd.startRefDockerd();
      cleanups.push(() => d.stop());
      const driver = (await harness.run('docker', ['info', '--format', '{{.Driver}}'], { env: d.env })).stdout.trim();
      targets.push({ name: `dockerd 20.10 (${driver})`, env: d.env, times: [], docker: true });
    }
  }
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

  const dockerMedian = targets.find((t) => t.docker) && median(targets.find((t) => t.docker).times);
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

try {
  await main();
} catch (err) {
  console.error(err.message ?? err);
  process.exitCode = 1;
} finally {
  await cleanup();
}
