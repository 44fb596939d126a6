/**
 * Sizes and ages printed the way docker prints them, so output from keel and docker reads alike.
 */

// docker formats sizes with Go's %.4g: four significant digits, trailing zeros dropped.
function humanSize(n: number, base: number, units: readonly string[]): string {
  let i = 0;
  while (n >= base && i < units.length - 1) { n /= base; i++; }
  return `${Number(n.toPrecision(4))}${units[i]}`;
}

/** Decimal sizes as docker prints image and disk sizes (`1.982MB`). */
export const decimalSize = (n: number): string => humanSize(n, 1000, ['B', 'kB', 'MB', 'GB', 'TB', 'PB']);

/** Binary sizes as docker prints memory (`23.54GiB`). */
export const binarySize = (n: number): string => humanSize(n, 1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']);

/** `5 minutes ago`, as docker's CREATED column. */
export function ago(unixSeconds: number, now = Date.now()): string {
  const s = Math.max(0, Math.round(now / 1000 - unixSeconds));
  if (s < 1) return 'Less than a second ago';
  const steps: Array<[number, string]> = [[60, 'second'], [60, 'minute'], [24, 'hour'], [7, 'day'], [4.35, 'week'], [12, 'month'], [Infinity, 'year']];
  let v = s;
  for (const [size, unit] of steps) {
    if (v < size) {
      const n = Math.floor(v);
      return `${n === 1 && unit !== 'second' ? (unit === 'hour' ? 'An' : 'A') : n} ${unit}${n === 1 ? '' : 's'} ago`;
    }
    v /= size;
  }
  return 'A long time ago';
}
