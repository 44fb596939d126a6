/**
 * The "Examples:" block shown after a command's `--help`: every command shows at least one real
 * invocation, because an example answers most questions faster than the option list does.
 */

/** Help text listing `lines` as examples. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}

/** Aligned `Key: value` lines as docker prints them under `Client:`/`Server:`. */
export function fields(indent: string, pairs: ReadonlyArray<readonly [string, unknown]>): string {
  const width = Math.max(...pairs.map(([k]) => k.length)) + 2;
  return pairs.map(([k, v]) => `${indent}${`${k}:`.padEnd(width)}${v ?? ''}`.trimEnd() + '\n').join('');
}
