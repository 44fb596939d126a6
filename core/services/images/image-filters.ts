/**
 * Image filters with moby's meaning. `GET /images/json`: dangling, label, reference (a glob
 * matched, like Go's path.Match, against `busybox:latest`, `busybox`,
 * `docker.io/library/busybox:latest` and `docker.io/library/busybox`; only matching names are
 * shown), before/since (another image's creation time), until (a time). `POST /images/prune`:
 * dangling, label, label!, until.
 */
import { InvalidArgumentError } from '@keel/sdk';
import { familiarRepository, familiarString, referenceKey, repositoryName, type ImageReference } from './reference.js';

/** Filter keys `GET /images/json` accepts. */
export const LIST_FILTERS = ['dangling', 'label', 'before', 'since', 'reference', 'until'];
/** Filter keys `POST /images/prune` accepts. */
export const PRUNE_FILTERS = ['dangling', 'label', 'label!', 'until'];

type Filters = Readonly<Record<string, readonly string[]>>;

/** A boolean filter (moby's GetBoolOrDefault): `true`/`1` or `false`/`0`, not both. */
export function boolFilter(filters: Filters, key: string, fallback: boolean): boolean {
  const values = filters[key];
  if (!values) return fallback;
  const isTrue = values.includes('true') || values.includes('1');
  const isFalse = values.includes('false') || values.includes('0');
  if (isTrue === isFalse) throw new InvalidArgumentError(`invalid filter '${key}${values.length ? `=${values.join(',')}` : ''}'`);
  return isTrue;
}

const GO_UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/**
 * A time as moby's filters take it: Unix seconds (with a fraction), a Go duration before `now`
 * (`10m`, `1h30m`), or an RFC 3339 date/time. Returns Unix seconds.
 */
export function parseTimestamp(value: string, now = Date.now()): number {
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(value)) {
    let secs = 0;
    for (const m of value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) secs += Number(m[1]) * GO_UNITS[m[2]!]!;
    return now / 1000 - secs;
  }
  let iso = value;
  if (/^\d{4}-\d\d-\d\d$/.test(iso)) iso += 'T00:00:00Z';
  else if (/^\d{4}-\d\d-\d\dT[\d:.]+$/.test(iso)) iso += 'Z';
  const t = /^\d{4}-\d\d-\d\dT/.test(iso) ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(t)) throw new InvalidArgumentError(`invalid value for 'until' filter: ${JSON.stringify(value)} is not a timestamp, duration or RFC 3339 time`);
  return t / 1000;
}

const literal = (ch: string) => ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Go's path.Match as a RegExp: `*`, `?` and `[…]` never match `/`. */
export function globRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '\\' && i + 1 < pattern.length) re += literal(pattern[++i]!);
    else if (ch === '[') {
      const neg = pattern[i + 1] === '^';
      const start = i + (neg ? 2 : 1);
      const end = pattern.indexOf(']', start);
      if (end <= start) throw new InvalidArgumentError(`invalid reference filter ${JSON.stringify(pattern)}: syntax error in pattern`);
      const body = pattern.slice(start, end).replace(/[\\^\]]/g, '\\$&');
      re += neg ? `[^/${body}]` : `[${body}]`;
      i = end;
    } else re += literal(ch);
  }
  return new RegExp(`^${re}$`);
}

/** True when a reference filter pattern matches `ref` in any of the four forms Docker tries. */
export function referenceMatches(pattern: RegExp, ref: ImageReference): boolean {
  return [familiarString(ref), familiarRepository(ref), referenceKey(ref), repositoryName(ref)].some((t) => pattern.test(t));
}

/** `label=k` / `label=k=v` filters (all must hold). */
export function labelsMatch(wanted: readonly string[] | undefined, labels: Readonly<Record<string, string>>): boolean {
  return (wanted ?? []).every((l) => {
    const eq = l.indexOf('=');
    return eq < 0 ? Object.hasOwn(labels, l) : labels[l.slice(0, eq)] === l.slice(eq + 1);
  });
}

/** An image as filters see it. */
export interface FilterSubject {
  readonly refs: readonly ImageReference[];
  readonly labels: Readonly<Record<string, string>>;
  /** Unix seconds. */
  readonly created: number;
}

/**
 * The `GET /images/json` filter: returns the names to show for a matching image, or undefined to
 * leave it out. `createdOf` resolves a before/since image (404 when there is none).
 */
export function listFilter(filters: Filters, createdOf: (ref: string) => number, now = Date.now()): (s: FilterSubject) => string[] | undefined {
  const dangling = filters.dangling ? boolFilter(filters, 'dangling', false) : undefined;
  const bounds = [...(filters.before ?? []).map(createdOf), ...(filters.until ?? []).map((u) => parseTimestamp(u, now))];
  const before = bounds.length ? Math.min(...bounds) : undefined;
  const since = filters.since?.length ? Math.max(...filters.since.map(createdOf)) : undefined;
  const patterns = filters.reference?.map(globRegExp);
  return (s) => {
    if (before !== undefined && !(s.created < before)) return undefined;
    if (since !== undefined && !(s.created > since)) return undefined;
    if (!labelsMatch(filters.label, s.labels)) return undefined;
    const refs = patterns ? s.refs.filter((r) => patterns.some((p) => referenceMatches(p, r))) : s.refs;
    if (patterns && !refs.length) return undefined;
    if (dangling !== undefined && dangling !== (s.refs.length === 0)) return undefined;
    return refs.map(familiarString).sort();
  };
}

/** The `POST /images/prune` filter: which images (beyond dangling/all) may go. */
export function pruneFilter(filters: Filters, now = Date.now()): { all: boolean; accepts: (s: FilterSubject) => boolean } {
  const all = !boolFilter(filters, 'dangling', true);
  if ((filters.until?.length ?? 0) > 1) throw new InvalidArgumentError('more than one until filter specified');
  const until = filters.until?.[0] !== undefined ? parseTimestamp(filters.until[0], now) : undefined;
  const notLabels = filters['label!'];
  return {
    all,
    accepts: (s) => {
      if (until !== undefined && s.created > until) return false;
      if (!labelsMatch(filters.label, s.labels)) return false;
      if (notLabels?.length && labelsMatch(notLabels, s.labels)) return false;
      return true;
    },
  };
}
