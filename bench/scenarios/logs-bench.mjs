/**
 * The `docker logs` benchmark of bench/logs.mjs (which says what it measures) as a function, for
 * that script and for bench/all.mjs: its flags, their checking, and the run, which prints the
 * tables and resolves with the JSON of bench/results/logs.json.
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import os from 'node:os';
import { aborting, checkInts, engineList, onCleanup, since, timed } from '../lib/common.mjs';
import { busyboxEngines } from '../lib/engines.mjs';
import { IMAGE } from './lifecycle.mjs';
import { failedRows, measure, report } from './report.mjs';

/** The flags of bench/logs.mjs and their defaults. */
export const logsDefaults = { runs: '3', mb: '200', engines: 'keel,docker', driver: '' };

const LINE = 100; // bytes per line, newline included
const LONG = 15 * 60_000;

/** Checked options from parsed flags. */
export function logsOptions(flags) {
  const o = { runs: Number(flags.runs), mb: Number(flags.mb), engines: engineList(flags.engines), driver: flags.driver || undefined };
  checkInts({ runs: o.runs });
  if (!(o.mb > 0)) throw new Error('--mb must be a positive number');
  if (o.mb * 1e6 / LINE > 1e9) throw new Error('--mb too large (line numbers have 9 digits)');
  return o;
}

/** What the container writes: `lines` numbered lines of LINE bytes, `bytes` in all, and the awk program that writes them. */
function output(mb) {
  const lines = Math.max(1, Math.round((mb * 1e6) / LINE));
  const lastLine = `${String(lines - 1).padStart(9, '0')} ${'x'.repeat(LINE - 11)}`;
  const awk = `BEGIN{ s=sprintf("%${LINE - 11}s",""); gsub(/ /,"x",s); for(i=0;i<${lines};i++) printf "%09d %s\\n", i, s }`;
  return { lines, bytes: lines * LINE, lastLine, awk };
}

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
async function produce(harness, t, out) {
  const id = await docker(harness, t, ['create', '--pull', 'never', '--network', 'none', IMAGE, 'busybox', 'awk', out.awk]);
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
    const complete = r.code === 0 && shown === out.lastLine;
    checks.push({ atS: at, tookS: since(c0), complete, shown: shown.slice(0, 9) || `(empty${r.code ? `, exit ${r.code}: ${r.stderr.trim().slice(0, 200)}` : ''})` });
    if (complete) { collectedS = at; break; }
    if (Date.now() > deadline || aborting()) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  const logPath = await docker(harness, t, ['inspect', '-f', '{{.LogPath}}', id]);
  const logFileBytes = logPath ? statSync(logPath).size : null;
  const count = await countLogs(t, id);
  const countOk = count.bytes === out.bytes && count.lines === out.lines && count.last === out.lastLine && count.stderrBytes === 0;
  return {
    id, runS: waitS, completeAtWait: checks[0].complete, firstTail: checks[0], tailChecks: checks.length,
    collectedS: collectedS ?? null, logPath, logFileBytes,
    check: { ok: countOk, bytes: count.bytes, lines: count.lines, last: count.last.slice(0, 9), stderrBytes: count.stderrBytes, seconds: count.seconds },
  };
}

/** Prints the collection table: how long the container ran and when its log was complete. */
function printCollection(collection) {
  if (!collection.length) return;
  const w3 = Math.max(6, ...collection.map((c) => c.engine.length));
  console.log(`\n${'collection'.padEnd(w3)} ${'start→wait'.padStart(10)} ${'complete at wait'.padStart(16)} ${'start→collected'.padStart(15)} ${'tail -1'.padStart(8)} ${'log file'.padStart(9)}`);
  for (const c of collection) {
    const complete = c.completeAtWait ? 'yes' : `NO (line ${c.firstTail.shown})`;
    const collected = c.collectedS === null ? 'never' : `${c.collectedS.toFixed(2)} s`;
    console.log(`${c.engine.padEnd(w3)} ${`${c.runS.toFixed(2)} s`.padStart(10)} ${complete.padStart(16)} ${collected.padStart(15)} ${`${c.firstTail.tookS.toFixed(2)} s`.padStart(8)} ${(c.logFileBytes === null ? '-' : `${(c.logFileBytes / 1e6).toFixed(0)} MB`).padStart(9)}`);
  }
  console.log('start→wait: docker start until docker wait returned; complete at wait: docker logs --tail 1, issued as the wait returned, showed the last line; start→collected: when the tail check that first showed it was issued; tail -1: how long that first check took');
}

/** Runs the benchmark (options from `logsOptions`); resolves with the results' JSON (undefined when interrupted). */
export async function logsBench(o) {
  const out = output(o.mb);
  const { harness, targets, skipped, live: loaded, failed } = await busyboxEngines(o.engines, { workPrefix: 'keel-bench-logs-', keelDriver: o.driver, load: true });
  const live = [];
  for (const t of loaded) {
    // Remove this engine's container at clean-up even if the engine's own stop would not.
    onCleanup(async () => { if (t.id) await harness.run('docker', ['rm', '-f', t.id], { env: t.env }); });
    process.stdout.write(`${t.kind}: writing ${out.bytes / 1e6} MB (${out.lines} lines of ${LINE} bytes)... `);
    try {
      t.produced = await produce(harness, t, out);
      const p = t.produced;
      console.log(`${p.runS.toFixed(2)} s; log ${p.completeAtWait ? 'complete' : `INCOMPLETE (tail showed line ${p.firstTail.shown})`} right after docker wait; check ${p.check.ok ? 'ok' : 'FAILED'}`);
      if (!p.check.ok) throw new Error(`docker logs gave ${p.check.bytes} bytes in ${p.check.lines} lines ending with line ${p.check.last}, ${p.check.stderrBytes} bytes on stderr (expected ${out.bytes} bytes in ${out.lines} lines ending with ${out.lastLine.slice(0, 9)})`);
      live.push(t);
    } catch (err) {
      failed.push({ ...t, error: err.message.split('\n')[0] });
      console.log(`\n  ${t.kind}: ${err.message.split('\n')[0]}`);
    }
  }
  if (aborting()) return undefined;

  console.log(`\n${live.map((t) => t.name).join(' vs ') || 'no engine'}; ${o.runs} runs; ${out.bytes / 1e6} MB of output; ${os.cpus().length} CPUs, kernel ${os.release()}\n`);
  const mb = out.bytes / 1e6;
  const sc = (id, title, rows) => ({ id, title, unit: 's', perRun: mb, rateUnit: ' MB/s', rows });
  const cats = live.filter((t) => t.produced.logPath).map((t) => ({
    kind: 'floor', label: `cat ${t.kind}`, name: `cat ${t.kind}'s log file`, logPath: t.produced.logPath, info: { of: t.kind, fileBytes: t.produced.logFileBytes },
  }));
  const scenarios = [
    sc('docker-logs', `docker logs <id> > /dev/null (${mb} MB)`, [...await measure('docker logs', live, o.runs, 0, (t) => timed('docker', ['logs', t.id], t.env)), ...failedRows(failed)]),
    sc('api-curl', 'API GET /logs, curl > /dev/null', await measure('API (curl)', live, o.runs, 0, (t) => timed('curl', ['-sSf', '--unix-socket', t.socket, '-o', '/dev/null', `http://localhost/containers/${t.id}/logs?stdout=1&stderr=1`]))),
    sc('cat-floor', 'floor: cat <LogPath> > /dev/null', await measure('cat floor', cats, o.runs, 0, (t) => timed('cat', [t.logPath]))),
  ];
  if (aborting()) return undefined;
  const collection = targets.filter((t) => t.produced).map((t) => ({ engine: t.name, kind: t.kind, ...t.produced }));
  const result = {
    date: new Date().toISOString(), host: { cpus: os.cpus().length, kernel: os.release() },
    flags: o, output: { bytes: out.bytes, lines: out.lines, lineBytes: LINE }, skipped, collection,
    scenarios: report(scenarios),
  };
  printCollection(collection);
  return result;
}
