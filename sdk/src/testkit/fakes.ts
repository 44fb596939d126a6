/**
 * In-memory fakes of the core services, for testing plugins without a kernel. They follow the
 * contracts of the real services closely enough that a plugin cannot tell in ordinary use.
 */
import type { EngineEvent, EventInput, SubscribeOptions } from '../events.js';
import type { ConfigService, EventBus, EventSubscription, Logger, StateStore } from '../services.js';

/** A captured log line. */
export interface LogRecord {
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  readonly msg: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** A logger that records every line in `records` (shared with its children). */
export function createFakeLogger(records: LogRecord[] = [], bindings: Record<string, unknown> = {}): Logger & { records: LogRecord[] } {
  const line = (level: LogRecord['level']) => (obj: object | string, msg?: string) => {
    const fields = typeof obj === 'string' ? { ...bindings } : { ...bindings, ...obj };
    records.push({ level, msg: typeof obj === 'string' ? obj : msg ?? '', fields });
  };
  return {
    records,
    trace: line('trace'), debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error'), fatal: line('fatal'),
    child: (more) => createFakeLogger(records, { ...bindings, ...more }),
  };
}

/** A {@link StateStore} in a Map (values are deep-copied, as the real one serialises them). */
export class MemoryStateStore implements StateStore {
  constructor(private readonly data = new Map<string, string>(), private readonly prefix = '') {}

  async get<T>(key: string): Promise<T | undefined> {
    const v = this.data.get(this.prefix + key);
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }
  async put<T>(key: string, value: T): Promise<void> {
    this.data.set(this.prefix + key, JSON.stringify(value));
  }
  async delete(key: string): Promise<boolean> {
    return this.data.delete(this.prefix + key);
  }
  async list(prefix = ''): Promise<string[]> {
    return [...this.data.keys()].filter((k) => k.startsWith(this.prefix + prefix)).map((k) => k.slice(this.prefix.length)).sort();
  }
  namespace(name: string): StateStore {
    return new MemoryStateStore(this.data, `${this.prefix}${name}/`);
  }
}

/** An {@link EventBus} that records published events; subscriptions see live events only after `since`. */
export class FakeEventBus implements EventBus {
  readonly published: EngineEvent[] = [];
  private readonly listeners = new Set<(e: EngineEvent) => void>();

  publish(input: EventInput): EngineEvent {
    const nano = Date.now() * 1e6;
    const event: EngineEvent = { Type: input.type, Action: input.action, Actor: input.actor, scope: input.scope ?? 'local', time: Math.floor(nano / 1e9), timeNano: nano };
    this.published.push(event);
    for (const l of this.listeners) l(event);
    return event;
  }

  listenerCount(): number {
    return this.listeners.size;
  }

  subscribe(options: SubscribeOptions = {}): EventSubscription {
    const queue: EngineEvent[] = options.since === undefined ? [] : this.published.filter((e) => e.time >= options.since!);
    let wake: (() => void) | undefined;
    let closed = false;
    const listener = (e: EngineEvent) => {
      queue.push(e);
      wake?.();
    };
    this.listeners.add(listener);
    const close = () => {
      closed = true;
      this.listeners.delete(listener);
      wake?.();
    };
    options.signal?.addEventListener('abort', close);
    return {
      close,
      async *[Symbol.asyncIterator]() {
        while (true) {
          while (queue.length) yield queue.shift()!;
          if (closed) return;
          await new Promise<void>((r) => (wake = r));
        }
      },
    };
  }
}

/** A {@link ConfigService} over a plain object; `reload(next)` simulates SIGHUP. */
export class FakeConfig implements ConfigService {
  private listeners: Array<(changed: readonly string[]) => void> = [];
  constructor(private values: Record<string, unknown> = {}) {}

  get<T = unknown>(key: string): T | undefined {
    return this.values[key] as T | undefined;
  }
  snapshot(): Readonly<Record<string, unknown>> {
    return Object.freeze({ ...this.values });
  }
  onReload(fn: (changed: readonly string[]) => void): void {
    this.listeners.push(fn);
  }
  /** Replaces values and notifies listeners with the keys that changed. */
  reload(next: Record<string, unknown>): void {
    const keys = new Set([...Object.keys(this.values), ...Object.keys(next)]);
    const changed = [...keys].filter((k) => JSON.stringify(this.values[k]) !== JSON.stringify(next[k]));
    this.values = { ...next };
    for (const l of this.listeners) l(changed);
  }
}
