/**
 * The engine's event bus: stamps events, keeps the most recent ones for `since` replays (Docker
 * keeps a bounded in-memory history too), and feeds subscribers through bounded queues so a slow
 * `GET /events` client can never grow the daemon's memory without limit.
 */
import type { EngineEvent, EventBus, EventInput, EventSubscription, SubscribeOptions } from '@keel/sdk';
import { matchesEventFilter } from './event-filter.js';

/** Subscriber queue bound: past it the oldest undelivered events are dropped for that subscriber. */
const QUEUE_LIMIT = 4096;

interface Subscriber {
  push(event: EngineEvent): void;
}

/** In-memory {@link EventBus} with a ring buffer of recent events. */
export class MemoryEventBus implements EventBus {
  private readonly history: EngineEvent[] = [];
  private readonly subscribers = new Set<Subscriber>();
  private lastNano = 0;

  constructor(private readonly historyLimit = 1024, private readonly now: () => number = Date.now) {}

  publish(input: EventInput): EngineEvent {
    // Nanoseconds from a millisecond clock, kept strictly increasing so events keep their order.
    const nano = Math.max(this.now() * 1e6, this.lastNano + 1000);
    this.lastNano = nano;
    const legacy = input.type === 'container' ? { status: input.action, id: input.actor.ID, from: input.actor.Attributes['image'] } : {};
    const event: EngineEvent = Object.freeze({
      ...legacy,
      Type: input.type,
      Action: input.action,
      Actor: Object.freeze({ ID: input.actor.ID, Attributes: Object.freeze({ ...input.actor.Attributes }) }),
      scope: input.scope ?? 'local',
      time: Math.floor(nano / 1e9),
      timeNano: nano,
    });
    this.history.push(event);
    if (this.history.length > this.historyLimit) this.history.shift();
    for (const s of this.subscribers) s.push(event);
    return event;
  }

  listenerCount(): number {
    return this.subscribers.size;
  }

  subscribe(options: SubscribeOptions = {}): EventSubscription {
    const { since, until, filter, signal } = options;
    const untilNano = until === undefined ? undefined : until * 1e9;
    const sinceNano = since === undefined ? undefined : since * 1e9;
    const wanted = (e: EngineEvent) =>
      (sinceNano === undefined || e.timeNano >= sinceNano) && (untilNano === undefined || e.timeNano <= untilNano) && matchesEventFilter(e, filter);

    const queue: EngineEvent[] = since === undefined ? [] : this.history.filter(wanted);
    let wake: (() => void) | undefined;
    let closed = false;
    let timer: NodeJS.Timeout | undefined;
    const bus = this;
    const subscriber: Subscriber = {
      push(event) {
        if (closed || !wanted(event)) return;
        if (queue.length >= QUEUE_LIMIT) queue.shift();
        queue.push(event);
        wake?.();
      },
    };
    const close = () => {
      if (closed) return;
      closed = true;
      bus.subscribers.delete(subscriber);
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', close);
      wake?.();
    };
    this.subscribers.add(subscriber);
    signal?.addEventListener('abort', close);
    if (signal?.aborted) close();
    if (untilNano !== undefined) {
      const ms = untilNano / 1e6 - this.now();
      if (ms <= 0) close();
      else timer = setTimeout(close, ms);
    }
    return {
      close,
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) {
            while (queue.length) yield queue.shift()!;
            if (closed) return;
            await new Promise<void>((r) => (wake = r));
            wake = undefined;
          }
        } finally {
          close();
        }
      },
    };
  }
}
