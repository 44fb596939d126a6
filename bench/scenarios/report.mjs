/**
 * Measuring and reporting for every benchmark in bench/: interleaved runs over the engines (and
 * floors), and the table (median, min, keel/Docker ratio, which direction is better) and the JSON
 * rows.
 *
 * A scenario is `{ id, title, unit, better, perRun, rateUnit?, rows, details? }`; each row is
 * `{ target, samples, error? }`, a target `{ kind: 'keel' | 'docker' | 'floor', name, label, info? }`
 * (`info`: extra fields for its JSON row). Units: `ms` and `s` (samples in seconds, lower is
 * better; the rate column is `perRun` / median, in `rateUnit`, default `/s`), `req/s` (samples are
 * rates, higher is better) and `MB` (samples in bytes, lower is better).
 */
import { aborting, median } from '../lib/common.mjs';

export function printError(engine, err) {
  console.log(`\n  ${engine}: ${err.message.split('\n')[0]}`);
}

/**
 * Runs of `run(target)` for every target, interleaved (the order alternates run by run), after
 * `warm` untimed ones; each run's result is a sample. A target that fails is marked with its error
 * and left out of the remaining runs.
 */
export async function measure(title, targets, n, warm, run) {
  const rows = targets.map((t) => ({ target: t, samples: [], error: undefined }));
  if (aborting()) return rows;
  process.stdout.write(`${title}: `);
  for (let i = -warm; i < n && !aborting(); i++) {
    const order = i % 2 ? [...rows].reverse() : rows;
    for (const r of order) {
      if (r.error || aborting()) continue;
      try {
        const s = await run(r.target);
        if (i >= 0) r.samples.push(s);
      } catch (err) {
        if (aborting()) break;
        r.error = err.message.split('\n')[0];
        printError(r.target.label, err);
      }
    }
    process.stdout.write(i < 0 ? 'w' : '.');
  }
  process.stdout.write('\n');
  return rows;
}

/** Rows for targets that could not take part (`error` set), to append to a scenario's measured rows. */
export const failedRows = (targets) => targets.filter((t) => t.error).map((t) => ({ target: t, samples: [], error: t.error }));

const isTime = (unit) => unit === 'µs' || unit === 'ms' || unit === 's';

function fmt(v, unit) {
  if (unit === 'µs') return `${(v * 1e6).toFixed(1)} µs`;
  if (unit === 'ms') return `${(v * 1000).toFixed(v < 0.001 ? 3 : v < 0.01 ? 2 : 1)} ms`;
  if (unit === 's') return `${v.toFixed(3)} s`;
  if (unit === 'MB') return `${(v / 1e6).toFixed(Math.abs(v) < 10e6 ? 2 : 1)} MB`;
  if (unit === 'req/s') return `${Math.round(v)}/s`;
  return String(v);
}

/** One scenario's JSON rows (field names by unit: medianS/minS/perS, medianPerS/minPerS, medianBytes/minBytes). */
function jsonRows(sc) {
  const ok = (r) => r.samples.length > 0 && !r.error;
  const dockerRow = sc.rows.find((r) => r.target.kind === 'docker' && ok(r));
  const dockerMed = dockerRow ? median(dockerRow.samples) : null;
  return sc.rows.map((r) => {
    const med = ok(r) ? median(r.samples) : null;
    const min = ok(r) ? Math.min(...r.samples) : null;
    const vsDocker = med !== null && dockerMed && r.target.kind === 'keel' ? med / dockerMed : null;
    const values = isTime(sc.unit) ? { medianS: med, minS: min, perS: med !== null ? sc.perRun / med : null }
      : sc.unit === 'req/s' ? { medianPerS: med, minPerS: min } : { medianBytes: med, minBytes: min };
    const samples = r.samples.map((x) => Number(x.toPrecision(6)));
    return { engine: r.target.name, kind: r.target.kind, ...(r.target.info ?? {}), runs: r.samples.length, ...values, vsDocker, samples, ...(r.error ? { error: r.error } : {}), _median: med, _min: min };
  });
}

/**
 * Prints the table and returns the scenarios as JSON (`{ id, title, unit, better, perRun, rows,
 * details? }`).
 */
export function report(scenarios) {
  const out = [];
  const w1 = Math.max(8, ...scenarios.map((sc) => sc.title.length));
  const w2 = Math.max(6, ...scenarios.flatMap((sc) => sc.rows.map((r) => r.target.name.length)));
  console.log(`\n${'scenario'.padEnd(w1)} ${'engine'.padEnd(w2)} ${'runs'.padStart(4)} ${'median'.padStart(10)} ${'min'.padStart(10)} ${'rate'.padStart(12)} ${'keel/Docker'.padStart(11)}  better`);
  for (const sc of scenarios) {
    const better = sc.better ?? (isTime(sc.unit) || sc.unit === 'MB' ? 'lower' : 'higher');
    const rows = jsonRows(sc);
    out.push({ id: sc.id, title: sc.title, unit: sc.unit, better, perRun: sc.perRun, ...(sc.rateUnit ? { rateUnit: sc.rateUnit } : {}), rows: rows.map(({ _median, _min, ...r }) => r), ...(sc.details ? { details: sc.details } : {}) });
    rows.forEach((r, i) => {
      const head = `${(i ? '' : sc.title).padEnd(w1)} ${r.engine.padEnd(w2)}`;
      if (r.error) return console.log(`${head} FAILED: ${r.error.slice(0, 200)}`);
      if (r._median === null) return console.log(`${head} no runs`);
      const rate = isTime(sc.unit) ? `${r.perS.toFixed(1)}${sc.rateUnit ?? '/s'}` : '-';
      const ratio = r.vsDocker === null ? '-' : `${r.vsDocker.toFixed(2)}x`;
      const dir = r.kind === 'keel' ? (better === 'lower' ? '< 1' : '> 1') : '';
      console.log(`${head} ${String(r.runs).padStart(4)} ${fmt(r._median, sc.unit).padStart(10)} ${fmt(r._min, sc.unit).padStart(10)} ${rate.padStart(12)} ${ratio.padStart(11)}  ${dir}`);
    });
  }
  console.log('\nrate: runs (containers for the burst, MB for logs, load and pull) per second at the median;');
  console.log('keel/Docker: ratio of the medians; better: which side of 1 favours keel (< 1 for times and memory, > 1 for requests per second)');
  return out;
}
