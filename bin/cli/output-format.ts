/**
 * `--format`: keel prints docker-like text, or JSON for scripts. docker takes Go templates; the
 * only one scripts really use, `{{json .}}`, is accepted as a synonym for `json`. Anything else is
 * refused rather than silently ignored, so a script never parses text it did not ask for.
 */

/** The output forms commands support. */
export type OutputFormat = 'text' | 'json';

/** Reads a `--format` value. */
export function outputFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === '' || value === 'table' || value === 'text') return 'text';
  if (value === 'json' || value.replace(/\s+/g, '') === '{{json.}}') return 'json';
  throw new Error(`unsupported --format "${value}": use json (or leave it out for text)`);
}

/** Pretty JSON with a trailing newline. */
export const toJson = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;
