/**
 * A tabwriter in docker's borderless style: caps headers, each column as wide as its widest cell,
 * three spaces between columns, and no padding after the last one (so lines never end in blanks).
 */

/** Renders `rows` under `header`; returns the text with a trailing newline. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    header.map((_, i) => (i === header.length - 1 ? cells[i] ?? '' : (cells[i] ?? '').padEnd(widths[i]!))).join('   ').trimEnd();
  return [line(header), ...rows.map(line)].map((l) => `${l}\n`).join('');
}
