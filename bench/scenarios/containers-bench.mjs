/**
 * The container benchmark of bench/containers.mjs (which says what each scenario measures) as a
 * function, for that script and for bench/all.mjs: its flags, their checking, and the run, which
 * prints the table and resolves with the JSON of bench/results/containers.json.
 *
 * Scenarios 1–9 and 11 share one pair of engines without networks; scenario 10 (the default bridge)
 * starts a pair of its own with bridges (bench/lib/engines.mjs, `network: 'bridge'`), stopped and
 * cleaned as soon as it is measured.
 */
import os from 'node:os';
import { aborting, checkInts, engineList, scoped, timed } from '../lib/common.mjs';
import { busyboxEngines } from '../lib/engines.mjs';
import { apiClient } from './api.mjs';
import { memoryScenario, pingScenario, psScenario, runningScenarios } from './daemon.mjs';
import { IMAGE, apiLifecycle, createBurst, runcFloor } from './lifecycle.mjs';
import { failedRows, measure, report } from './report.mjs';

const ALL = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11'];
/** Scenarios that need neither engine. */
const FLOORS = new Set(['4', '11']);
/** Where a scenario goes in the table (by default its number): 10 after 1, 11 after 4. */
const place = (no) => ({ 10: 1.5, 11: 4.5 })[no] ?? no;

/** The flags of bench/containers.mjs and their defaults. */
export const containersDefaults = {
  runs: '20', engines: 'keel,docker', count: '200', concurrency: '8', rounds: '3', warmups: '2', driver: '',
  scenarios: ALL.join(','), 'ps-count': '500', 'ping-seconds': '3', 'rss-count': '50', names: false,
};

/** Checked options from parsed flags. */
export function containersOptions(flags) {
  const only = new Set(String(flags.scenarios).split(',').map((x) => x.trim()).filter(Boolean));
  for (const s of only) if (!ALL.includes(s)) throw new Error(`--scenarios: unknown scenario ${s} (1 to ${ALL.length})`);
  const o = {
    runs: Number(flags.runs), count: Number(flags.count), concurrency: Number(flags.concurrency), rounds: Number(flags.rounds),
    psCount: Number(flags['ps-count']), pingSeconds: Number(flags['ping-seconds']), rssCount: Number(flags['rss-count']),
    warmups: Number(flags.warmups), engines: engineList(flags.engines), driver: flags.driver || undefined, names: !!flags.names, only,
  };
  checkInts({ runs: o.runs, count: o.count, concurrency: o.concurrency, rounds: o.rounds, 'ps-count': o.psCount, 'ping-seconds': o.pingSeconds, 'rss-count': o.rssCount });
  checkInts({ warmups: o.warmups }, 0);
  return o;
}

const dockerRun = (t, network) => timed('docker', ['run', '--rm', '--pull', 'never', ...network, IMAGE, 'true'], t.env);

/** The address a container gets on the engine's default network (`docker run busybox ip addr`), or throws. */
async function bridgeAddress(harness, t) {
  const r = await harness.run('docker', ['run', '--rm', '--pull', 'never', IMAGE, 'busybox', 'ip', '-o', '-4', 'addr', 'show', 'eth0'], { env: t.env });
  const addr = /inet (\S+)/.exec(r.stdout)?.[1];
  if (r.code !== 0 || !addr) throw new Error(`the container has no IPv4 address on eth0 (exit ${r.code}: ${(r.stderr || r.stdout).trim().slice(0, 200)})`);
  return addr;
}

/** Runs the selected scenarios (options from `containersOptions`); resolves with the results' JSON (undefined when interrupted). */
export async function containersBench(o) {
  const { runs, warmups, only } = o;
  const needEngines = [...only].some((s) => !FLOORS.has(s) && s !== '10');
  const base = await busyboxEngines(needEngines ? o.engines : [], { workPrefix: 'keel-bench-ctr-', keelDriver: o.driver, load: true });
  const { live, work } = base;
  for (const t of live) t.api = apiClient(t.socket);
  const skipped = [...base.skipped];

  const scenarios = [];
  let no = 0; // the scenario running: the table follows the scenarios' places, not the order they ran in
  const record = (sc, failed = base.failed) => scenarios.push({ ...sc, no, rows: [...sc.rows, ...failedRows(failed)] });
  const step = (n) => only.has(String(n)) && !aborting() && ((no = n), true);
  const floor = async (id, title, target, run) => record({ id, title, unit: 'ms', perRun: 1, rows: await measure(`${no} ${title}`, [{ ...target, kind: 'floor' }], runs, warmups, run) }, []);
  const ctx = { live, runs, warmups, record };
  console.log(`\n${live.map((t) => t.name).join(' vs ') || 'no engine'}; ${runs} runs, ${warmups} warm-ups; ${os.cpus().length} CPUs, kernel ${os.release()}\n`);
  // Memory first: the idle reading should not depend on which of the heavier scenarios ran before.
  if (step(9)) await memoryScenario(ctx, o.rssCount);
  if (step(1)) record({ id: 'docker-run', title: 'docker run --rm --pull never --network none busybox true', unit: 'ms', perRun: 1, rows: await measure('1 docker run', live, runs, warmups, (t) => dockerRun(t, ['--network', 'none'])) });
  if (step(2)) record({ id: 'api-lifecycle', title: 'API create + wait + start + delete', unit: 'ms', perRun: 1, rows: await measure('2 API life cycle', live, runs, warmups, (t) => apiLifecycle(t.api, o.names)) });
  if (step(3)) {
    const rows = await measure(`3 create x${o.count}`, live, o.rounds, 0, (t) => createBurst(t.api, { count: o.count, concurrency: o.concurrency, names: o.names }));
    record({ id: 'create-burst', title: `API create x${o.count}, concurrency ${o.concurrency}${o.names ? ', named' : ''}`, unit: 's', perRun: o.count, rateUnit: ' ctr/s', rows });
  }
  if (step(4)) {
    const runc = await runcFloor(work);
    await floor('runc-floor', 'floor: runc run busybox true', { label: 'runc', name: runc.name }, runc.run);
  }
  if (step(11)) await floor('node-floor', 'floor: node -e 0', { label: 'node', name: `node ${process.version}` }, () => timed(process.execPath, ['-e', '0']));
  if (step(5)) await psScenario(ctx, o.psCount);
  if (step(6)) await pingScenario(ctx, { windows: o.pingSeconds, conns: 16 });
  if (step(7) || step(8)) await runningScenarios(ctx, { inspect: only.has('7'), exec: only.has('8') });
  if (step(10)) {
    await scoped(async () => {
      console.log('10: engines with a default bridge each (iptables, masquerading and ip_forward off in both)');
      const br = await busyboxEngines(o.engines, { workPrefix: 'keel-bench-br-', keelDriver: o.driver, network: 'bridge', load: true });
      skipped.push(...br.skipped.map((s) => ({ ...s, scenario: 10 })));
      const bridged = [];
      const failed = [...br.failed];
      const details = {};
      for (const t of br.live) {
        try {
          details[t.kind] = { bridge: t.bridge, containerAddress: await bridgeAddress(br.harness, t) };
          console.log(`  ${t.kind}: bridge ${t.bridge}, a container gets ${details[t.kind].containerAddress}`);
          bridged.push(t);
        } catch (err) {
          failed.push({ ...t, error: err.message.split('\n')[0] });
          console.log(`  ${t.kind}: ${err.message.split('\n')[0]}`);
        }
      }
      const rows = await measure('10 docker run, default bridge', bridged, runs, warmups, (t) => dockerRun(t, []));
      record({ id: 'docker-run-bridge', title: 'docker run --rm --pull never busybox true (default bridge, no iptables)', unit: 'ms', perRun: 1, rows, details }, failed);
    });
  }
  if (aborting()) return undefined;
  return {
    date: new Date().toISOString(), host: { cpus: os.cpus().length, kernel: os.release() },
    flags: { ...o, only: undefined, scenarios: [...only].sort((a, b) => a - b) },
    skipped, scenarios: report(scenarios.sort((a, b) => place(a.no) - place(b.no)).map(({ no: _, ...sc }) => sc)),
  };
}
