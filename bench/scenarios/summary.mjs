/**
 * The one table of bench/all.mjs: a line per scenario of the issue with keel's median, Docker's
 * median, the physical floor where there is one, the keel/Docker ratio and the target that ratio
 * must meet (✓ met, ✗ missed, ? no Docker to compare with), read from the JSON the benchmarks
 * return (`{ containers, logs, load, pull }`, each `{ flags, scenarios }` as
 * bench/scenarios/report.mjs writes them).
 *
 * A line shows either times (lower is better, ratio of the times) or rates (`metric: 'rate'`:
 * containers/s, MB/s, requests/s; higher is better, ratio of the rates), so a target always reads
 * "keel/Docker ≤ x" for times and memory and "≥ x" for rates. `floorWithin: n`: keel's time must
 * also be within n times the floor's (its rate at least 1/n of the floor's).
 */

/** The floors, and the rows of a scenario's results that hold them. */
const RUNC = { bench: 'containers', id: 'runc-floor', pick: (r) => r.kind === 'floor' };
const NODE = { bench: 'containers', id: 'node-floor', pick: (r) => r.kind === 'floor' };
const LOG_CAT = { bench: 'logs', id: 'cat-floor', pick: (r) => r.of === 'keel' };
const LOAD_TAR = { bench: 'load', id: 'docker-load', pick: (r) => r.floor === 'tar' };
const LOAD_CAT = { bench: 'load', id: 'docker-load', pick: (r) => r.floor === 'cat' };

const c = (res) => res.containers?.flags ?? {};
/** The lines, in order: `{ bench (default containers), id, label(results), metric?, target?, floor? }`; `floorOnly` lines show a floor alone. */
const LINES = [
  { id: 'docker-run', label: () => 'docker run --rm busybox true, --network none', target: { ratio: 0.6 }, floor: RUNC },
  { id: 'docker-run-bridge', label: () => 'docker run --rm busybox true, default bridge*', target: { ratio: 0.6 }, floor: RUNC },
  { id: 'api-lifecycle', label: () => 'API create + start + wait + remove', floor: RUNC },
  { id: 'create-burst', label: (r) => `API create throughput (${c(r).count}, concurrency ${c(r).concurrency})`, metric: 'rate', target: { ratio: 2 } },
  { id: 'ps-500', label: (r) => `docker ps -a, ${c(r).psCount} containers`, target: { ratio: 0.5 } },
  { id: 'ps-500-api', label: (r) => `GET /containers/json?all=1, ${c(r).psCount}` },
  { id: 'ping-rate', label: () => 'GET /_ping requests/s (16 connections)', target: { ratio: 2 } },
  { id: 'ping-cpu', label: () => 'daemon CPU per GET /_ping' },
  { id: 'inspect-cli', label: () => 'docker inspect (running container)' },
  { id: 'inspect-api', label: () => 'GET /containers/{id}/json' },
  { id: 'exec-true', label: () => 'docker exec <id> true' },
  { bench: 'logs', id: 'docker-logs', label: (r) => `docker logs, ${r.logs.output.bytes / 1e6} MB`, metric: 'rate', target: { ratio: 1, floorWithin: 2 }, floor: LOG_CAT },
  { bench: 'logs', id: 'api-curl', label: () => 'GET /containers/{id}/logs (curl)', metric: 'rate', floor: LOG_CAT },
  { bench: 'load', id: 'docker-load', label: (r) => `docker load, ${(r.load.bytes / 1e6).toFixed(0)} MB, ${r.load.layers} layers`, metric: 'rate', target: { ratio: 1, floorWithin: 2 }, floor: LOAD_TAR },
  { bench: 'pull', id: 'docker-pull', label: (r) => `docker pull (loopback), ${(r.pull.bytes / 1e6).toFixed(0)} MB`, metric: 'rate' },
  { id: 'rss-idle', label: () => 'daemon RSS idle (keeld; dockerd + containerd)', target: { ratio: 0.5 } },
  { id: (r) => `rss-running-${c(r).rssCount}`, label: (r) => `RSS with ${c(r).rssCount} running (+ conmons; + shims)` },
  { id: 'rss-per-container', label: () => 'RSS per running container', target: { ratio: 1 } },
  { floorOnly: RUNC, label: () => 'floor: runc run busybox true' },
  { floorOnly: NODE, label: () => 'floor: node -e 0 (start of a Node daemon or CLI)' },
  { floorOnly: LOG_CAT, label: () => "floor: cat keel's log file", metric: 'rate' },
  { floorOnly: LOAD_TAR, label: () => 'floor: tar -xf of the load archive', metric: 'rate' },
  { floorOnly: LOAD_CAT, label: () => 'floor: cat of the load archive', metric: 'rate' },
];

const scenarioOf = (results, bench, id) => results[bench]?.scenarios?.find((s) => s.id === id);
const isTime = (sc) => sc.unit === 'µs' || sc.unit === 'ms' || sc.unit === 's';

/** A row's figure in the line's metric: seconds, a rate (per second), requests/s or bytes. */
function figure(sc, r, metric) {
  if (!sc || !r || r.error || !r.runs) return null;
  if (isTime(sc)) return metric === 'rate' ? r.perS : r.medianS;
  return sc.unit === 'req/s' ? r.medianPerS : r.medianBytes;
}

function show(v, sc, metric) {
  if (v === null || v === undefined) return '-';
  if (sc.unit === 'req/s') return `${Math.round(v)} req/s`;
  if (sc.unit === 'MB') return `${(v / 1e6).toFixed(1)} MB`;
  if (metric === 'rate') return `${v.toFixed(1)}${sc.rateUnit ?? ' /s'}`;
  if (sc.unit === 'µs') return `${(v * 1e6).toFixed(1)} µs`;
  return v < 10 ? `${(v * 1000).toFixed(v < 0.001 ? 2 : 1)} ms` : `${v.toFixed(2)} s`;
}

/** One line's JSON, or undefined when its scenario did not run. */
function line(results, spec) {
  if (spec.floorOnly) {
    const sc = scenarioOf(results, spec.floorOnly.bench, spec.floorOnly.id);
    const v = figure(sc, sc?.rows.find(spec.floorOnly.pick), spec.metric);
    return v === null ? undefined : { scenario: spec.label(results), floor: v, shown: { keel: '', docker: '', floor: show(v, sc, spec.metric), ratio: '', target: '', ok: '' } };
  }
  const id = typeof spec.id === 'function' ? spec.id(results) : spec.id;
  const sc = scenarioOf(results, spec.bench ?? 'containers', id);
  if (!sc) return undefined;
  const label = spec.label(results);
  const metric = spec.metric ?? 'value';
  const higher = metric === 'rate' || sc.unit === 'req/s';
  const keelRow = sc.rows.find((r) => r.kind === 'keel');
  const keel = figure(sc, keelRow, metric);
  const docker = figure(sc, sc.rows.find((r) => r.kind === 'docker'), metric);
  const fsc = spec.floor && scenarioOf(results, spec.floor.bench, spec.floor.id);
  const floor = figure(fsc, fsc?.rows.find(spec.floor.pick), metric);
  const ratio = keel !== null && docker ? keel / docker : null;
  const t = spec.target;
  let ok = '';
  let target = '';
  if (t) {
    target = `${higher ? '≥' : '≤'} ${t.ratio}x${t.floorWithin ? `, ${t.floorWithin}x floor` : ''}`;
    const checks = [ratio === null ? null : higher ? ratio >= t.ratio : ratio <= t.ratio];
    if (t.floorWithin) checks.push(keel === null || floor === null ? null : higher ? keel * t.floorWithin >= floor : keel <= floor * t.floorWithin);
    ok = checks.includes(false) ? '✗' : checks.includes(null) ? '?' : '✓';
  }
  const keelShown = keelRow?.error ? 'FAILED' : show(keel, sc, metric);
  return {
    scenario: label, id, unit: metric === 'rate' && isTime(sc) ? sc.rateUnit?.trim() ?? '/s' : sc.unit, better: higher ? 'higher' : 'lower',
    keel, docker, floor, ratio, target: target || null, met: ok === '✓' ? true : ok === '✗' ? false : null,
    ...(keelRow?.error ? { keelError: keelRow.error } : {}),
    shown: { keel: keelShown, docker: show(docker, sc, metric), floor: show(floor, fsc ?? sc, metric), ratio: ratio === null ? '-' : `${ratio.toFixed(3)}x`, target, ok },
  };
}

/** Prints the combined table and returns its lines as JSON. */
export function summarize(results) {
  const lines = LINES.map((spec) => line(results, spec)).filter(Boolean);
  const cols = [['scenario', (l) => l.scenario, 'left'], ['keel', (l) => l.shown.keel], ['Docker', (l) => l.shown.docker], ['floor', (l) => l.shown.floor],
    ['keel/Docker', (l) => l.shown.ratio], ['target', (l) => l.shown.target, 'left'], ['met', (l) => l.shown.ok, 'left']];
  const widths = cols.map(([h, f]) => Math.max(h.length, ...lines.map((l) => f(l).length)));
  const fmt = (cells) => cells.map((x, i) => (cols[i][2] ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  ').trimEnd();
  console.log(`\n${fmt(cols.map(([h]) => h))}`);
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(fmt(cols.map(([, f]) => f(l))));
  console.log('\nmedians; keel/Docker: ratio of the medians (of times, memory, or rates: containers/s, MB/s, requests/s), target: what');
  console.log('the ratio must be (✓ met, ✗ missed, ? no Docker figure); floor: the physical floor of the same work (runc run of the same');
  console.log('bundle, cat or tar -x of the same bytes). * default bridge: each engine its own bridge, iptables/masquerading/ip_forward off.');
  return lines.map(({ shown: _, ...l }) => l);
}
