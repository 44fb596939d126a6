/**
 * `GET /images/json` filters, with Docker's meaning: dangling, label, reference (glob on familiar
 * names; without a tag it matches the repository), before/since (another image), until (time).
 */
import { InvalidArgumentError } from '@keel/sdk';

/** Filter keys images accept. */
export const IMAGE_FILTERS = ['dangling', 'label', 'reference', 'before', 'since', 'until'];

/** What filters look at. */
export interface FilterSubject {
  readonly names: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly created: number;
}

function glob(pattern: string): RegExp {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${re}$`);
}

/** True when one of `names` (familiar `repo:tag`) matches a reference pattern. */
export function matchesReference(names: readonly string[], pattern: string): boolean {
  const hasTag = /:[^/]*$/.test(pattern);
  const re = glob(pattern);
  return names.some((n) => re.test(hasTag ? n : n.slice(0, n.lastIndexOf(':'))));
}

/** Parses `until`: Unix seconds, RFC 3339, or a Go-style duration before now (`10m`, `1h30m`). */
export function parseUntil(value: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const d = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(value);
  if (d && value) return (now - (Number(d[1] ?? 0) * 3600 + Number(d[2] ?? 0) * 60 + Number(d[3] ?? 0)) * 1000) / 1000;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError(`invalid until filter: ${value}`);
  return t / 1000;
}

/** Builds a predicate from parsed filters; `createdOf` resolves before/since images. */
export async function imagePredicate(
  filters: Record<string, string[]>,
  createdOf: (ref: string) => Promise<number>,
): Promise<(s: FilterSubject) => boolean> {
  const dangling = filters.dangling?.map((v) => v.toLowerCase());
  if (dangling?.some((v) => !['true', 'false', '1', '0'].includes(v))) throw new InvalidArgumentError(`invalid filter 'dangling=${dangling.join(',')}'`);
  const before = filters.before?.length ? Math.min(...(await Promise.all(filters.before.map(createdOf)))) : undefined;
  const since = filters.since?.length ? Math.max(...(await Promise.all(filters.since.map(createdOf)))) : undefined;
  const until = filters.until?.length ? Math.min(...filters.until.map((u) => parseUntil(u))) : undefined;
  return (s) => {
    if (dangling?.length) {
      const want = dangling[0] === 'true' || dangling[0] === '1';
      if (want !== (s.names.length === 0)) return false;
    }
    if (filters.label?.length && !filters.label.every((l) => (l.includes('=') ? s.labels[l.slice(0, l.indexOf('='))] === l.slice(l.indexOf('=') + 1) : l in s.labels))) return false;
    if (filters.reference?.length && !filters.reference.some((p) => matchesReference(s.names, p))) return false;
    if (before !== undefined && !(s.created < before)) return false;
    if (since !== undefined && !(s.created > since)) return false;
    if (until !== undefined && !(s.created <= until)) return false;
    return true;
  };
}
