/**
 * Docker's filters of `GET /volumes` and `POST /volumes/prune`, with moby's matching rules:
 * `name` is a regular expression (any value), `driver` exact (any value), `label` every value
 * (`key` or `key=value`), `label!` none of them, `dangling`/`all` booleans.
 */
import { InvalidArgumentError } from '@keel/sdk';

/** Filter keys of `GET /volumes`. */
export const LIST_FILTERS = ['name', 'driver', 'label', 'dangling'] as const;
/** Filter keys of `POST /volumes/prune`. */
export const PRUNE_FILTERS = ['label', 'label!', 'all'] as const;

/** What a filter looks at. */
export interface FilterSubject {
  readonly name: string;
  readonly driver: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly inUse: boolean;
}

/** A boolean filter value as Go's strconv.ParseBool reads it; anything else is 400 naming it. */
export function filterBool(filters: Record<string, string[]>, key: string): boolean | undefined {
  const values = filters[key];
  if (!values?.length) return undefined;
  const v = values[values.length - 1]!;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  throw new InvalidArgumentError(`invalid filter '${key}=${v}'`);
}

function labelMatches(labels: Readonly<Record<string, string>>, term: string): boolean {
  const eq = term.indexOf('=');
  if (eq < 0) return term in labels;
  const key = term.slice(0, eq);
  return key in labels && labels[key] === term.slice(eq + 1);
}

function nameMatches(name: string, term: string): boolean {
  if (name === term) return true;
  try {
    return new RegExp(term).test(name);
  } catch {
    return false; // moby skips terms that are not valid expressions
  }
}

/** A predicate for `filters` (already checked against the allowed keys). */
export function volumeFilter(filters: Record<string, string[]>): (v: FilterSubject) => boolean {
  const dangling = filterBool(filters, 'dangling');
  const { name = [], driver = [], label = [] } = filters;
  const notLabel = filters['label!'] ?? [];
  return (v) =>
    (!name.length || name.some((t) => nameMatches(v.name, t))) &&
    (!driver.length || driver.includes(v.driver)) &&
    label.every((t) => labelMatches(v.labels, t)) &&
    !notLabel.some((t) => labelMatches(v.labels, t)) &&
    (dangling === undefined || dangling === !v.inUse);
}
