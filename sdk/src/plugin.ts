/**
 * Plugin definitions. A plugin is a plain object made by {@link definePlugin}: an id, the SDK
 * range it was written for, what it provides, what it depends on, and an `init` that receives the
 * resolved dependencies and returns what it provides.
 * @packageDocumentation
 */
import type { AnyRef, DriverRef, DriverSet, ServiceRef } from './refs.js';

/** A JSON Schema object (draft-07 subset, as understood by ajv). */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** The dependencies a plugin declares: a map from a local name to a ref. */
export type DepsMap = Readonly<Record<string, AnyRef>>;

/** What a ref resolves to when injected: the service, or a DriverSet for a driver ref. */
export type Resolved<R> = R extends DriverRef<infer T> ? DriverSet<T> : R extends ServiceRef<infer T> ? T : never;

/** The injected form of a {@link DepsMap}. */
export type ResolvedDeps<D extends DepsMap> = { [K in keyof D]: Resolved<D[K]> };

/** Lifecycle registration available during `init`. */
export interface PluginLifecycle {
  /** Runs after every plugin initialised, in init order, before the API server listens. */
  onStart(fn: () => void | Promise<void>): void;
  /** Runs at engine stop, in reverse init order, each under a timeout; failures never skip others. */
  onStop(fn: () => void | Promise<void>): void;
}

/** The context passed to `init` beside the dependencies. */
export interface PluginContext<TConfig> {
  /** The plugin's id. */
  readonly pluginId: string;
  /** The plugin's config from `daemon.json` `plugins.<id>`, validated against its schema, defaults applied. */
  readonly config: TConfig;
  /** Start/stop registration. */
  readonly lifecycle: PluginLifecycle;
  /** Aborted when init times out or the engine stops during init. */
  readonly signal: AbortSignal;
}

/** Config declaration of a plugin: a JSON Schema and its defaults. */
export interface PluginConfigSpec<TConfig> {
  /** JSON Schema for `daemon.json` `plugins.<id>`; unknown keys should be rejected (`additionalProperties: false`). */
  readonly schema: JsonSchema;
  /** Values used where the daemon config is silent. */
  readonly defaults: TConfig;
}

/** Everything `definePlugin` accepts. */
export interface PluginOptions<TDeps extends DepsMap, TProvided, TConfig> {
  /** `<kind>.<name>` for drivers (`storage.overlay2`), `core.<name>` for core services. */
  readonly id: string;
  /** The semver range of `@keel/sdk` this plugin was written for, e.g. `^1.0.0`. */
  readonly sdk: string;
  /** One line for `keel plugin ls` and `/_engine/plugins`. */
  readonly description?: string;
  /** What `init` returns: a driver kind (`drivers.storage`) or a service ref. */
  readonly provides?: ServiceRef<TProvided> | DriverRef<TProvided>;
  /** What `init` receives, resolved. */
  readonly deps?: TDeps;
  /** Config schema and defaults. */
  readonly config?: PluginConfigSpec<TConfig>;
  /** Init timeout in milliseconds (default: the kernel's, 30 s). */
  readonly initTimeoutMs?: number;
  /**
   * Creates what the plugin provides. Throw `NotSupportedError` when the host lacks a feature
   * (the plugin is then `skipped`, not `failed`).
   */
  init(deps: ResolvedDeps<TDeps>, ctx: PluginContext<TConfig>): TProvided | Promise<TProvided>;
}

/** A defined plugin, as passed to builds and to the kernel. */
export interface PluginDefinition<TDeps extends DepsMap = DepsMap, TProvided = unknown, TConfig = unknown>
  extends PluginOptions<TDeps, TProvided, TConfig> {
  /** Discriminator; always `plugin`. */
  readonly $$type: 'plugin';
  /** The deps map, never undefined. */
  readonly deps: TDeps;
}

/** Any plugin definition, whatever its type parameters. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPlugin = PluginDefinition<any, any, any>;

const PLUGIN_ID = /^[a-z][a-z0-9-]*\.[a-z0-9][a-z0-9._-]*$/;

/**
 * Defines a plugin. Pure: no side effects until the kernel calls `init`.
 * @example
 * export const noneLogPlugin = definePlugin({
 *   id: 'log.none', sdk: '^1.0.0', provides: drivers.log,
 *   init: () => new NoneLogDriver(),
 * });
 */
export function definePlugin<TDeps extends DepsMap = Record<never, never>, TProvided = void, TConfig = Record<string, never>>(
  options: PluginOptions<TDeps, TProvided, TConfig>,
): PluginDefinition<TDeps, TProvided, TConfig> {
  if (!PLUGIN_ID.test(options.id)) {
    throw new TypeError(`invalid plugin id "${options.id}": expected "<kind>.<name>" in lowercase, e.g. "storage.overlay2"`);
  }
  if (typeof options.init !== 'function') throw new TypeError(`plugin "${options.id}" has no init function`);
  return Object.freeze({ ...options, deps: options.deps ?? ({} as TDeps), $$type: 'plugin' as const });
}
