/**
 * Output helpers in docker's style: borderless tables, sizes, relative times.
 */

/** Columns separated by three spaces, each as wide as its widest cell. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('   ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** Decimal sizes as docker prints image sizes (`1.99MB`). */
export function decimalSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return `${Number(n.toPrecision(4))}${units[i]}`;
}

/** Binary sizes as docker prints memory (`23.54GiB`). */
export function binarySize(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i ? n.toFixed(2) : n}${units[i]}`;
}

/** `5 minutes ago`, as docker's CREATED column. */
export function ago(unixSeconds: number, now = Date.now()): string {
  const s = Math.max(0, Math.round(now / 1000 - unixSeconds));
  if (s < 1) return 'Less than a second ago';
  const steps: Array<[number, string]> = [[60, 'second'], [60, 'minute'], [24, 'hour'], [7, 'day'], [4.35, 'week'], [12, 'month'], [Infinity, 'year']];
  let v = s;
  for (const [size, unit] of steps) {
    if (v < size) { const n = Math.floor(v); return `${n === 1 && unit !== 'second' ? (unit === 'hour' ? 'An' : 'A') : n} ${unit}${n === 1 ? '' : 's'} ago`; }
    v /= size;
  }
  return 'a long time ago';
}

/** Unix seconds from `--since`/`--until`: seconds, RFC 3339, or a duration before now (`10m`, `1h30m`). */
export function parseTimeArg(value: string, now = Date.now()): string {
  if (/^\d+(\.\d+)?$/.test(value)) return value;
  const d = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(value);
  if (d && value) return String(Math.floor(now / 1000) - (Number(d[1] ?? 0) * 3600 + Number(d[2] ?? 0) * 60 + Number(d[3] ?? 0)));
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new Error(`invalid time "${value}": use Unix seconds, RFC 3339 (2026-11-23T06:00:00Z) or a duration like 10m`);
  return String(Math.floor(t / 1000));
}

/** `--filter k=v` flags as Docker's filters JSON (`{"k":{"v":true}}`). */
export function encodeFilters(pairs: readonly string[]): string | undefined {
  if (!pairs.length) return undefined;
  const out: Record<string, Record<string, boolean>> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new Error(`invalid filter "${p}": expected KEY=VALUE`);
    (out[p.slice(0, eq)] ??= {})[p.slice(eq + 1)] = true;
  }
  return JSON.stringify(out);
}
