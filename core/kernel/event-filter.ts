/**
 * Docker's event filter rules (`GET /events?filters=`): every filter key present must match;
 * within a key any value may match. Object keys (`container`, `network` …) match the actor's id
 * by prefix or its `name` attribute exactly, so a `container=` filter excludes other types.
 */
import type { EngineEvent, EventFilter } from '@keel/sdk';

const OBJECT_KEYS = ['container', 'network', 'volume', 'plugin', 'daemon', 'node', 'service', 'secret', 'config'] as const;

function matchesObject(values: readonly string[] | undefined, event: EngineEvent, type: string): boolean {
  if (!values?.length) return true;
  if (event.Type !== type) return false;
  const name = event.Actor.Attributes['name'];
  return values.some((v) => event.Actor.ID.startsWith(v) || (name !== undefined && (name === v || name === v.replace(/^\//, ''))));
}

function matchesImage(values: readonly string[] | undefined, event: EngineEvent): boolean {
  if (!values?.length) return true;
  const candidates = event.Type === 'image' ? [event.Actor.ID, event.Actor.Attributes['name']] : [event.Actor.Attributes['image'], event.from];
  const norm = (s: string) => (s.includes(':') || s.includes('@') ? s : `${s}:latest`);
  return values.some((v) => candidates.some((c) => c !== undefined && (c === v || norm(c) === norm(v))));
}

function matchesLabels(values: readonly string[] | undefined, attrs: Readonly<Record<string, string>>): boolean {
  if (!values?.length) return true;
  return values.every((v) => {
    const eq = v.indexOf('=');
    if (eq < 0) return v in attrs;
    return attrs[v.slice(0, eq)] === v.slice(eq + 1);
  });
}

/** True when `event` passes `filter`. */
export function matchesEventFilter(event: EngineEvent, filter: EventFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.type?.length && !filter.type.includes(event.Type)) return false;
  if (filter.event?.length && !filter.event.some((e) => e === event.Action || e === event.Action.split(':')[0]!.trim())) return false;
  if (filter.scope?.length && !filter.scope.includes(event.scope)) return false;
  for (const key of OBJECT_KEYS) {
    if (!matchesObject(filter[key as keyof EventFilter] as readonly string[] | undefined, event, key)) return false;
  }
  return matchesImage(filter.image, event) && matchesLabels(filter.label, event.Actor.Attributes);
}
