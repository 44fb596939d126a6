/**
 * The services the kernel gives every plugin. Depend on them through {@link coreServices}:
 * `deps: { log: coreServices.logger, state: coreServices.state }`. Plugin-scoped services
 * (logger, paths, state, hooks, httpRouter) are bound to the plugin that receives them.
 * @packageDocumentation
 */
import type { EngineEvent, EventInput, SubscribeOptions } from './events.js';
import type { HooksService } from './hooks.js';
import type { HttpRouter } from './http.js';
import { createServiceRef, type DriverKind, type ServiceRef } from './refs.js';

/** A structured logger (pino's method shape). Bound to `{ plugin: <id> }`. */
export interface Logger {
  trace(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  fatal(obj: object | string, msg?: string): void;
  /** A child logger with extra bound fields. */
  child(bindings: Record<string, unknown>): Logger;
}

/** The daemon configuration as plugins see it: `daemon.json` keys merged with flags (Docker's names). */
export interface ConfigService {
  /** The effective value of a daemon key (`data-root`, `log-driver`, `default-runtime` …). */
  get<T = unknown>(key: string): T | undefined;
  /** The whole effective daemon configuration, frozen. */
  snapshot(): Readonly<Record<string, unknown>>;
  /**
   * Called after SIGHUP applied a new configuration (only the keys Docker reloads change),
   * with the names of the keys that changed.
   */
  onReload(fn: (changed: readonly string[]) => void): void;
}

/** Directories a plugin may use. All exist when `init` runs. */
export interface EnginePaths {
  /** `--data-root` (default `/var/lib/keel`). */
  readonly dataRoot: string;
  /** `--exec-root` (default `/run/keel`). */
  readonly execRoot: string;
  /** `<data-root>/plugins/<plugin id>`: persistent, private to the plugin. */
  readonly pluginRoot: string;
  /** `<exec-root>/plugins/<plugin id>`: runtime files (sockets, fifos), private to the plugin. */
  readonly pluginRunRoot: string;
}

/**
 * Namespaced JSON documents, written atomically (temp file, fsync, rename): a crash mid-write
 * leaves the old or the new document, never a torn one. Keys are path-like (`containers/<id>`).
 */
export interface StateStore {
  /** The document at `key`, or undefined. */
  get<T>(key: string): Promise<T | undefined>;
  /** Writes the document at `key` atomically. */
  put<T>(key: string, value: T): Promise<void>;
  /** Removes `key`; true when it existed. */
  delete(key: string): Promise<boolean>;
  /** The keys under `prefix` (e.g. `containers/`), sorted. */
  list(prefix?: string): Promise<string[]>;
  /** A store whose keys are prefixed with `name/`. */
  namespace(name: string): StateStore;
}

/** A live subscription: iterate it; `close()` ends it. */
export interface EventSubscription extends AsyncIterable<EngineEvent> {
  /** Ends the iteration. */
  close(): void;
}

/** `coreServices.events`: publish facts, subscribe with Docker's filters, replay recent history. */
export interface EventBus {
  /** Stamps the time and delivers the event to subscribers; returns the published event. */
  publish(event: EventInput): EngineEvent;
  /** Buffered events matching `options`, then live ones until `until` or `close()`. */
  subscribe(options?: SubscribeOptions): EventSubscription;
  /** How many subscriptions are live (`NEventsListener` in `/info`). */
  listenerCount(): number;
}

/** Status of a plugin in the engine. */
export type PluginStatus = 'pending' | 'running' | 'skipped' | 'failed' | 'disabled' | 'stopped';

/** What `/_engine/plugins` and `keel plugin ls` show of a plugin. */
export interface PluginInfo {
  /** `<kind>.<name>`. */
  readonly id: string;
  /** Driver kind, or `service` for everything else. */
  readonly kind: DriverKind | 'service';
  /** Name users type for drivers (`overlay2`), else the id. */
  readonly name: string;
  /** Status. */
  readonly status: PluginStatus;
  /** Why it is skipped, failed or disabled. */
  readonly reason?: string;
  /** One-line description. */
  readonly description?: string;
  /** The driver's capabilities, when it declares any. */
  readonly capabilities?: Readonly<Record<string, unknown>>;
  /** Address of an out-of-process plugin. */
  readonly remote?: string;
  /** Whether boot fails without it. */
  readonly required: boolean;
  /** Milliseconds its init took. */
  readonly initMs?: number;
}

/** `coreServices.engine`: what the engine is and what it loaded (read-only). */
export interface EngineInfo {
  /** keel's version. */
  readonly version: string;
  /** The highest Docker API version served (`1.47`). */
  readonly apiVersion: string;
  /** The lowest Docker API version served. */
  readonly minApiVersion: string;
  /** The git commit keel was built from (`unknown` outside a git checkout). */
  readonly gitCommit: string;
  /** When keel was built (RFC 3339). */
  readonly buildTime: string;
  /** The build's name (`default`, or a custom build's). */
  readonly buildName: string;
  /** Engine start time (ms since epoch). */
  readonly startedAt: number;
  /** Every plugin of the build, with its status. */
  plugins(): PluginInfo[];
  /** Names of the running drivers of one kind, in build order. */
  driverNames(kind: DriverKind): string[];
  /** The default driver name of one kind, if any. */
  defaultDriver(kind: DriverKind): string | undefined;
}

/** The refs of the services the kernel provides to every plugin. */
export const coreServices = Object.freeze({
  /** Logger bound to the plugin id. */
  logger: createServiceRef<Logger>({ id: 'core.logger' }),
  /** Daemon configuration. */
  config: createServiceRef<ConfigService>({ id: 'core.config' }),
  /** The plugin's directories. */
  paths: createServiceRef<EnginePaths>({ id: 'core.paths' }),
  /** The plugin's state store (namespaced by plugin id). */
  state: createServiceRef<StateStore>({ id: 'core.state' }),
  /** The engine's event bus. */
  events: createServiceRef<EventBus>({ id: 'core.events' }),
  /** Hook sets (declare/tap, bound to the plugin id). */
  hooks: createServiceRef<HooksService>({ id: 'core.hooks' }),
  /** Docker API routes (bound to the plugin id). */
  httpRouter: createServiceRef<HttpRouter>({ id: 'core.http-router' }),
  /** Engine introspection. */
  engine: createServiceRef<EngineInfo>({ id: 'core.engine' }),
}) satisfies Record<string, ServiceRef<unknown>>;
