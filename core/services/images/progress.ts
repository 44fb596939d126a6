/** Docker's progress bar text (`[=====>      ] 1.2MB/3.4MB`), as the CLI shows it verbatim. */

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** Bytes in Docker's decimal units (`1.2MB`). */
export function humanSize(n: number): string {
  let i = 0;
  let v = n;
  while (v >= 1000 && i < UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i ? v.toFixed(v < 10 ? 2 : 1).replace(/\.?0+$/, '') : v}${UNITS[i]}`;
}

/** A 50-column bar with sizes. */
export function progressBar(current: number, total: number): string {
  const width = 50;
  const done = total > 0 ? Math.min(width, Math.floor((current / total) * width)) : 0;
  const bar = done >= width ? '='.repeat(width) : `${'='.repeat(done)}>${' '.repeat(width - done - 1)}`;
  return `[${bar}] ${humanSize(current)}/${humanSize(total)}`;
}
