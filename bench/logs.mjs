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
 * Prints median and min seconds, MB/s of container output at the median, and the keel/Docker time
 * ratio; writes bench/results/logs.json. Needs `npm run build` (it runs dist/bin/keeld.js) and root.
 * Not part of `npm test`.
 *
 * Nothing leaves the host: unix sockets only, no bridge, containers with `--network none`; at exit
 * (or SIGINT/SIGTERM) every container is removed, the daemons stopped, leftover mounts and shims
 * cleaned, cgroups and temporary directories removed (bench/lib/engines.mjs).
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { aborting, cleanupOnSignals, median, onCleanup, parseFlags, repo, runMain, since, timed } from './lib/common.mjs';
import { busyboxEngines } from './lib/engines.mjs';

const flags = parseFlags(process.argv.slice(2), { runs: '3', mb: '200', engines: 'keel,docker', driver: '' });
const runs = Number(flags.runs);
const mb = Number(flags.mb);
const engines = String(flags.engines).split(',').map((s) => s.trim()).filter(Boolean);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
if (!(mb > 0)) throw new Error('--mb must be a positive number');
for (const e of engines) if (!['keel', 'docker'].includes(e)) throw new Error(`--engines: unknown engine ${e} (keel, docker)`);

const IMAGE = 'busybox:latest';
const LINE = 100; // bytes per line, newline included
const lines = Math.max(1, Math.round((mb * 1e6) / LINE));
const bytes = lines * LINE;
if (lines > 1e9) throw new Error('--mb too large (line numbers have 9 digits)');
const fill = 'x'.repeat(LINE - 11);
const lastLine = `${String(lines - 1).padStart(9, '0')} ${fill}`;
const awk = `BEGIN{ s=sprintf("%${LINE - 11}s",""); gsub(/ /,"x",s); for(i=0;i<${lines};i++) printf "%09d %s\\n", i, s }`;
const LONG = 15 * 60_000;

cleanupOnSignals();

/** Runs the docker CLI against `t`; its trimmed stdout, or throws with its stderr. */
async function docker(harness, t, args, timeoutMs = LONG) {
  const r = await harness.run('docker', args, { env: t.env, timeoutMs });
  if (r.code !== 0) throw new Error(`docker ${args[0]} failed (${r.code}): ${r.stderr.trim() || r.stdout.trim()}`.slice(0, 400));
  return r.stdout.trim();
}

/** `docker logs <id>` into a counting sink: bytes and lines of stdout, the last line, stderr bytes, seconds. */
function countLogs(t, id) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn('docker', ['logs', id], { env: t.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let n = 0;
    let nl = 0;
    let tail = Buffer.alloc(0);
    let errBytes = 0;
    let errText = '';
    child.stdout.on('data', (c) => {
      n += c.length;
      for (let i = c.indexOf(10); i !== -1; i = c.indexOf(10, i + 1)) nl++;
      tail = Buffer.concat([tail, c.subarray(Math.max(0, c.length - 2 * LINE))]).subarray(-2 * LINE);
    });
    child.stderr.on('data', (c) => { errBytes += c.length; if (errText.length < 400) errText += c; });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) return reject(new Error(`docker logs exited ${code ?? signal}: ${errText.trim()}`));
      const text = tail.toString('latin1').replace(/\n$/, '');
      resolve({ bytes: n, lines: nl, last: text.slice(text.lastIndexOf('\n') + 1), stderrBytes: errBytes, seconds: since(t0) });
    });
  });
}

/** Runs the container in `t`: create, start, wait, then the completeness check and the counting check. */
async function produce(harness, t) {
  const id = await docker(harness, t, ['create', '--pull', 'never', '--network', 'none', IMAGE, 'busybox', 'awk', awk]);
  t.id = id;
  const t0 = process.hrtime.bigint();
  await docker(harness, t, ['start', id]);
  const exit = await docker(harness, t, ['wait', id]);
  const waitS = since(t0);
  if (exit !== '0') throw new Error(`container exited ${exit}`);
  // Right after the wait: does the log end with the last line?
  const checks = [];
  let collectedS;
  const deadline = Date.now() + 120_000;
  for (;;) {
    const at = since(t0);
    const c0 = process.hrtime.bigint();
    const r = await harness.run('docker', ['logs', '--tail', '1', id], { env: t.env, timeoutMs: LONG });
    const shown = r.stdout.replace(/\n$/, '');
    const complete = r.code === 0 && shown === lastLine;
    checks.push({ atS: at, tookS: since(c0), complete, shown: shown.slice(0, 9) || `(empty${r.code ? `, exit ${r.code}: ${r.stderr.trim().slice(0, 200)}` : ''})` });
    if (complete) { collectedS = at; break; }
    if (Date.now() > deadline || aborting()) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  const logPath = await docker(harness, t, ['inspect', '-f', '{{.LogPath}}', id]);
  const logFileBytes = logPath ? statSync(logPath).size : null;
  const count = await countLogs(t, id);
  const countOk = count.bytes === bytes && count.lines === lines && count.last === lastLine && count.stderrBytes === 0;
  return {
    id, runS: waitS, completeAtWait: checks[0].complete, firstTail: checks[0], tailChecks: checks.length,
    collectedS: collectedS ?? null, logPath, logFileBytes,
    check: { ok: countOk, bytes: count.bytes, lines: count.lines, last: count.last.slice(0, 9), stderrBytes: count.stderrBytes, seconds: count.seconds },
  };
}

/**
 * `--runs` timed runs of `run(target)` for every target, interleaved (the order alternates run by
 * run). A target that fails is marked with its error and left out of the remaining runs.
 */
async function measure(title, targets, run) {
  const rows = targets.map((t) => ({ target: t, times: [], error: undefined }));
  if (aborting()) return rows;
  process.stdout.write(`${title}: `);
  for (let i = 0; i < runs && !aborting(); i++) {
    const order = i % 2 ? [...rows].reverse() : rows;
    for (const r of order) {
      if (r.error || aborting()) continue;
      try {
        r.times.push(await run(r.target));
      } catch (err) {
        if (aborting()) break;
        r.error = err.message.split('\n')[0];
        console.log(`\n  ${r.target.kind}: ${r.error}`);
      }
    }
    process.stdout.write('.');
  }
  process.stdout.write('\n');
  return rows;
}

async function main() {
  const { harness, targets, skipped, tarFile } = await busyboxEngines(engines, { workPrefix: 'keel-bench-logs-', keelDriver: flags.driver || undefined });
  const failed = [];
  const live = [];
  for (const t of targets) {
    try {
      await timed('docker', ['load', '-q', '-i', tarFile], t.env);
    } catch (err) {
      failed.push({ target: t, error: `image load failed: ${err.message.split('\n')[0]}` });
      console.log(`${t.kind}: image load failed: ${err.message.split('\n')[0]}`);
      continue;
    }
    // Remove this engine's container at clean-up even if the engine's own stop would not.
    onCleanup(async () => { if (t.id) await harness.run('docker', ['rm', '-f', t.id], { env: t.env }); });
    process.stdout.write(`${t.kind}: writing ${bytes / 1e6} MB (${lines} lines of ${LINE} bytes)... `);
    try {
      t.produced = await produce(harness, t);
      const p = t.produced;
      console.log(`${p.runS.toFixed(2)} s; log ${p.completeAtWait ? 'complete' : `INCOMPLETE (tail showed line ${p.firstTail.shown})`} right after docker wait; check ${p.check.ok ? 'ok' : 'FAILED'}`);
      if (!p.check.ok) throw new Error(`docker logs gave ${p.check.bytes} bytes in ${p.check.lines} lines ending with line ${p.check.last}, ${p.check.stderrBytes} bytes on stderr (expected ${bytes} bytes in ${lines} lines ending with ${lastLine.slice(0, 9)})`);
      live.push(t);
    } catch (err) {
      failed.push({ target: t, error: err.message.split('\n')[0] });
      console.log(`\n  ${t.kind}: ${err.message.split('\n')[0]}`);
    }
  }
  if (aborting()) return;

  console.log(`\n${live.map((t) => t.name).join(' vs ') || 'no engine'}; ${runs} runs; ${bytes / 1e6} MB of output; ${os.cpus().length} CPUs, kernel ${os.release()}\n`);
  const failedRows = failed.map((f) => ({ target: f.target, times: [], error: f.error }));
  const scenarios = [
    { id: 'docker-logs', title: 'docker logs <id> > /dev/null', rows: [...await measure('docker logs', live, (t) => timed('docker', ['logs', t.id], t.env)), ...failedRows] },
    { id: 'api-curl', title: 'API GET /logs, curl > /dev/null', rows: await measure('API (curl)', live, (t) => timed('curl', ['-sSf', '--unix-socket', t.socket, '-o', '/dev/null', `http://localhost/containers/${t.id}/logs?stdout=1&stderr=1`])) },
    { id: 'cat-floor', title: 'floor: cat <LogPath> > /dev/null', rows: await measure('cat floor', live.filter((t) => t.produced.logPath), (t) => timed('cat', [t.produced.logPath])) },
  ];
  if (aborting()) return;

  // ---- tables and JSON
  const out = {
    date: new Date().toISOString(), host: { cpus: os.cpus().length, kernel: os.release() },
    flags: { runs, mb, engines, driver: flags.driver || null }, output: { bytes, lines, lineBytes: LINE }, skipped,
    collection: targets.filter((t) => t.produced).map((t) => ({ engine: t.name, kind: t.kind, ...t.produced })),
    scenarios: [],
  };
  const w1 = Math.max(...scenarios.map((sc) => sc.title.length));
  const w2 = Math.max(6, ...targets.map((t) => t.name.length));
  console.log(`\n${'scenario'.padEnd(w1)} ${'engine'.padEnd(w2)} ${'runs'.padStart(4)} ${'median'.padStart(9)} ${'min'.padStart(9)} ${'MB/s'.padStart(8)} ${'keel/Docker'.padStart(11)}`);
  for (const sc of scenarios) {
    const dockerRow = sc.rows.find((r) => r.target.kind === 'docker' && r.times.length && !r.error);
    const rows = sc.rows.map((r) => {
      const ok = r.times.length > 0 && !r.error;
      const med = ok ? median(r.times) : null;
      return {
        engine: r.target.name, kind: r.target.kind, runs: r.times.length, times: r.times, medianS: med, minS: ok ? Math.min(...r.times) : null,
        mbPerS: ok ? bytes / 1e6 / med : null,
        vsDocker: ok && dockerRow && r.target.kind === 'keel' ? med / median(dockerRow.times) : null,
        ...(sc.id === 'cat-floor' ? { fileBytes: r.target.produced?.logFileBytes ?? null } : {}),
        ...(r.error ? { error: r.error } : {}),
      };
    });
    out.scenarios.push({ id: sc.id, title: sc.title, rows });
    rows.forEach((r, i) => {
      const head = `${(i ? '' : sc.title).padEnd(w1)} ${r.engine.padEnd(w2)}`;
      if (r.error) return console.log(`${head} FAILED: ${r.error.slice(0, 200)}`);
      console.log(`${head} ${String(r.runs).padStart(4)} ${`${r.medianS.toFixed(3)} s`.padStart(9)} ${`${r.minS.toFixed(3)} s`.padStart(9)} ${r.mbPerS.toFixed(1).padStart(8)} ${(r.vsDocker === null ? '-' : `${r.vsDocker.toFixed(2)}x`).padStart(11)}`);
    });
  }
  console.log(`\nMB/s: MB of container output (${bytes / 1e6} MB) per second at the median; keel/Docker: median time ratio, < 1 is faster than Docker`);

  if (out.collection.length) {
    const w3 = Math.max(6, ...out.collection.map((c) => c.engine.length));
    console.log(`\n${'collection'.padEnd(w3)} ${'start→wait'.padStart(10)} ${'complete at wait'.padStart(16)} ${'start→collected'.padStart(15)} ${'tail -1'.padStart(8)} ${'log file'.padStart(9)}`);
    for (const c of out.collection) {
      const complete = c.completeAtWait ? 'yes' : `NO (line ${c.firstTail.shown})`;
      const collected = c.collectedS === null ? 'never' : `${c.collectedS.toFixed(2)} s`;
      console.log(`${c.engine.padEnd(w3)} ${`${c.runS.toFixed(2)} s`.padStart(10)} ${complete.padStart(16)} ${collected.padStart(15)} ${`${c.firstTail.tookS.toFixed(2)} s`.padStart(8)} ${(c.logFileBytes === null ? '-' : `${(c.logFileBytes / 1e6).toFixed(0)} MB`).padStart(9)}`);
    }
    console.log('start→wait: docker start until docker wait returned; complete at wait: docker logs --tail 1, issued as the wait returned, showed the last line; start→collected: when the tail check that first showed it was issued; tail -1: how long that first check took');
  }
  const file = path.join(repo, 'bench', 'results', 'logs.json');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote ${path.relative(repo, file)}`);
}

await runMain(main);
