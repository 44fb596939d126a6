/**
 * Engine events: facts after the fact, streamed on `GET /events` in Docker's format. Plugins
 * publish through `coreServices.events`; subscribers never change outcomes (use hooks for that).
 * @packageDocumentation
 */

/** Docker's event object types. */
export type EventType = 'container' | 'image' | 'volume' | 'network' | 'daemon' | 'plugin' | 'node' | 'service' | 'secret' | 'config';

/** The object an event is about. */
export interface EventActor {
  /** The object's id; for containers the full 64-hex id (the docker CLI slices it). */
  readonly ID: string;
  /** Key/value details shown by `docker events` (`name`, `image`, `exitCode`, labels …). */
  readonly Attributes: Readonly<Record<string, string>>;
}

/** What a publisher supplies; the bus stamps the time. */
export interface EventInput {
  /** Object type. */
  readonly type: EventType;
  /** What happened: `start`, `die`, `reload`, `health_status: healthy` … */
  readonly action: string;
  /** The object. */
  readonly actor: EventActor;
  /** `local` (default) or `swarm`. */
  readonly scope?: 'local' | 'swarm';
}

/** A published event, in Docker's field names. */
export interface EngineEvent {
  /** Object type. */
  readonly Type: EventType;
  /** What happened. */
  readonly Action: string;
  /** The object. */
  readonly Actor: EventActor;
  /** `local` or `swarm`. */
  readonly scope: 'local' | 'swarm';
  /** Unix seconds. */
  readonly time: number;
  /** Unix nanoseconds (microsecond precision). */
  readonly timeNano: number;
  /** Legacy container field: the status (same as Action). */
  readonly status?: string;
  /** Legacy container field: the id. */
  readonly id?: string;
  /** Legacy container field: the image. */
  readonly from?: string;
}

/** Filters `GET /events` understands, in Docker's names; each key matches when any value matches. */
export interface EventFilter {
  readonly type?: readonly string[];
  readonly event?: readonly string[];
  readonly container?: readonly string[];
  readonly image?: readonly string[];
  readonly network?: readonly string[];
  readonly volume?: readonly string[];
  readonly plugin?: readonly string[];
  readonly daemon?: readonly string[];
  readonly label?: readonly string[];
  readonly scope?: readonly string[];
}

/** The filter keys `GET /events` accepts (Docker's). */
export const EVENT_FILTER_KEYS: readonly string[] = Object.freeze([
  'type', 'event', 'image', 'label', 'scope', 'container', 'network', 'volume', 'plugin', 'daemon', 'node', 'service', 'secret', 'config',
]);

/** Options of a subscription. */
export interface SubscribeOptions {
  /** Replay buffered events at or after this time (Unix seconds, fractions allowed). */
  readonly since?: number;
  /** End the stream after this time (Unix seconds); in the past, only replay. */
  readonly until?: number;
  /** Only events matching this filter. */
  readonly filter?: EventFilter;
  /** Ends the subscription. */
  readonly signal?: AbortSignal;
}

/** The canonical name of an event, `<type>.<action>`, e.g. `container.start`. */
export function eventName(event: Pick<EngineEvent, 'Type' | 'Action'>): string {
  return `${event.Type}.${event.Action}`;
}
