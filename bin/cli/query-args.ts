/**
 * Turns user-friendly flags into what the Docker API expects: `--since 10m` into Unix seconds,
 * repeated `--filter k=v` into the filters JSON map.
 */

const DURATION = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/;

/**
 * Unix seconds for `--since`/`--until`: Unix seconds as given, an RFC 3339 time, or a duration
 * (`10m`, `1h30m`, `45s`) meaning that long before now. The daemon only takes seconds, so the
 * conversion happens here, against the client's clock — as docker does.
 */
export function parseTimeArg(value: string, now = Date.now()): string {
  if (/^\d+(\.\d+)?$/.test(value)) return value;
  const d = DURATION.exec(value);
  if (d && value) {
    const seconds = Number(d[1] ?? 0) * 3600 + Number(d[2] ?? 0) * 60 + Number(d[3] ?? 0);
    return String(Math.floor(now / 1000 - seconds));
  }
  // Date.parse accepts far more than RFC 3339 (e.g. "1"); insist on a date first.
  const t = /^\d{4}-\d\d-\d\d/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(t)) throw new Error(`invalid time "${value}": use Unix seconds, RFC 3339 (2026-11-23T06:00:00Z) or a duration like 10m or 1h30m`);
  return String(Math.floor(t / 1000));
}

/** Splits `key=value`; the value may itself contain `=` (label filters: `label=a=b`). */
export function splitPair(pair: string): [string, string] {
  const eq = pair.indexOf('=');
  if (eq <= 0) throw new Error(`invalid filter "${pair}": expected KEY=VALUE`);
  return [pair.slice(0, eq), pair.slice(eq + 1)];
}

/** `--filter k=v` flags as Docker's filters JSON (`{"k":{"v":true}}`); undefined when none. */
export function encodeFilters(pairs: readonly string[]): string | undefined {
  if (!pairs.length) return undefined;
  const out: Record<string, Record<string, boolean>> = {};
  for (const p of pairs) {
    const [k, v] = splitPair(p);
    (out[k] ??= {})[v] = true;
  }
  return JSON.stringify(out);
}

/** Collects a repeatable option's values (commander's reducer form). */
export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
