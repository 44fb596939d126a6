/**
 * `startTestEngine`: boots plugins in dependency order with in-memory core services, so a plugin
 * (or a few together) can be tested without the kernel, the API server or root. Services can be
 * replaced with `mockService(ref, value)`; driver refs resolve to the drivers among `plugins`.
 */
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EngineError, NotFoundError, UnavailableError } from '../errors.js';
import { orderPlugins } from '../graph.js';
import type { AnyPlugin } from '../plugin.js';
import { isDriverRef, type AnyRef, type DriverKind, type DriverRef, type DriverSet, type ServiceRef } from '../refs.js';
import { coreServices, type EngineInfo, type PluginInfo, type PluginStatus } from '../services.js';
import { FakeHooks } from './fake-hooks.js';
import { FakeRouter } from './fake-router.js';
import { createFakeLogger, FakeConfig, FakeEventBus, MemoryStateStore, type LogRecord } from './fakes.js';

/** A service replacement. */
export interface ServiceOverride {
  readonly ref: ServiceRef<unknown>;
  readonly value: unknown;
}

/** Replaces the service behind `ref` with `value` in a test engine. */
export function mockService<T>(ref: ServiceRef<T>, value: T): ServiceOverride {
  return { ref: ref as ServiceRef<unknown>, value };
}

/** Options of {@link startTestEngine}. */
export interface TestEngineOptions {
  readonly plugins: readonly AnyPlugin[];
  readonly overrides?: readonly ServiceOverride[];
  /** Daemon configuration (dockerd keys). */
  readonly config?: Record<string, unknown>;
  /** Per-plugin config (what daemon.json `plugins.<id>` would hold), used as is (no schema defaults). */
  readonly pluginConfig?: Record<string, unknown>;
  /** Default driver names per kind. */
  readonly defaults?: Partial<Record<DriverKind, string>>;
}

/** A started test engine. */
export interface TestEngine {
  /** The value a plugin (or override) provides for `ref`. */
  get<T>(ref: ServiceRef<T>): T;
  /** The drivers of a kind. */
  drivers<T>(ref: DriverRef<T>): DriverSet<T>;
  /** Status of each plugin. */
  plugins(): PluginInfo[];
  readonly logs: LogRecord[];
  readonly events: FakeEventBus;
  readonly router: FakeRouter;
  readonly hooks: FakeHooks;
  readonly config: FakeConfig;
  /** Temporary directory holding dataRoot and execRoot; removed by `stop()`. */
  readonly root: string;
  /** Runs stop callbacks in reverse order and removes the temporary directory. */
  stop(): Promise<void>;
}

/** Boots `plugins` with fakes. Init errors other than NotSupported are thrown (tests want them). */
export async function startTestEngine(options: TestEngineOptions): Promise<TestEngine> {
  const root = await mkdtemp(path.join(tmpdir(), 'keel-testengine-'));
  try {
    return await boot(options, root);
  } catch (err) {
    await rm(root, { recursive: true, force: true });
    throw err;
  }
}

async function boot(options: TestEngineOptions, root: string): Promise<TestEngine> {
  const logs: LogRecord[] = [];
  const logger = createFakeLogger(logs);
  const events = new FakeEventBus();
  const router = new FakeRouter();
  const hooks = new FakeHooks();
  const config = new FakeConfig({ 'data-root': path.join(root, 'data'), 'exec-root': path.join(root, 'exec'), ...options.config });
  const state = new MemoryStateStore();
  const services = new Map<string, unknown>(options.overrides?.map((o) => [o.ref.id, o.value]) ?? []);
  const drivers = new Map<DriverKind, Map<string, unknown>>();
  const status = new Map<string, { status: PluginStatus; reason?: string; kind: DriverKind | 'service' }>();
  const stops: Array<() => void | Promise<void>> = [];
  const driverSet = <T>(kind: DriverKind): DriverSet<T> => {
    const m = () => drivers.get(kind) ?? new Map<string, unknown>();
    const defaultName = () => (options.defaults?.[kind] && m().has(options.defaults[kind]!) ? options.defaults[kind] : [...m().keys()][0]);
    return {
      kind, names: () => [...m().keys()], defaultName, get: (n) => m().get(n) as T | undefined,
      require: (n) => { if (!m().has(n)) throw new NotFoundError(`${kind} driver "${n}" is not available`); return m().get(n) as T; },
      default: () => { const n = defaultName(); if (!n) throw new UnavailableError(`no ${kind} driver is available`); return m().get(n) as T; },
    };
  };
  const pluginInfo = (): PluginInfo[] => [...status].map(([id, s]) => ({ id, kind: s.kind, name: id.slice(id.indexOf('.') + 1), status: s.status, reason: s.reason, required: false }));
  const engine: EngineInfo = {
    version: '0.0.0-test', gitCommit: 'test', buildTime: new Date(0).toISOString(), apiVersion: '1.47', minApiVersion: '1.40', buildName: 'test', startedAt: Date.now(),
    plugins: pluginInfo, driverNames: (k) => [...(drivers.get(k)?.keys() ?? [])], defaultDriver: (k) => driverSet(k).defaultName(),
  };

  for (const plugin of orderPlugins(options.plugins)) {
    const kind = isDriverRef(plugin.provides ?? { $$ref: 'service', id: '' }) ? (plugin.provides as DriverRef<unknown>).kind : 'service';
    const paths = { dataRoot: config.get<string>('data-root')!, execRoot: config.get<string>('exec-root')!, pluginRoot: path.join(root, 'data/plugins', plugin.id), pluginRunRoot: path.join(root, 'exec/plugins', plugin.id) };
    await Promise.all([mkdir(paths.pluginRoot, { recursive: true }), mkdir(paths.pluginRunRoot, { recursive: true })]);
    const core: Record<string, unknown> = {
      [coreServices.logger.id]: logger.child({ plugin: plugin.id }), [coreServices.config.id]: config, [coreServices.paths.id]: paths,
      [coreServices.state.id]: state.namespace(plugin.id), [coreServices.events.id]: events, [coreServices.hooks.id]: hooks.forPlugin(plugin.id),
      [coreServices.httpRouter.id]: router.forPlugin(plugin.id), [coreServices.engine.id]: engine,
    };
    const deps: Record<string, unknown> = {};
    for (const [name, ref] of Object.entries(plugin.deps as Record<string, AnyRef>)) {
      if (isDriverRef(ref)) deps[name] = driverSet(ref.kind);
      else if (services.has(ref.id)) deps[name] = services.get(ref.id);
      else if (ref.id in core) deps[name] = core[ref.id];
      else throw new Error(`${plugin.id} depends on ${ref.id}: add its plugin to the test engine or mockService() it`);
    }
    const lifecycle = { onStart: () => undefined, onStop: (fn: () => void | Promise<void>) => void stops.push(fn) };
    try {
      const value = await plugin.init(deps, { pluginId: plugin.id, config: options.pluginConfig?.[plugin.id] ?? plugin.config?.defaults ?? {}, lifecycle, signal: new AbortController().signal });
      if (plugin.provides && isDriverRef(plugin.provides)) {
        const m = drivers.get(plugin.provides.kind) ?? new Map();
        drivers.set(plugin.provides.kind, m.set(plugin.id.slice(plugin.provides.kind.length + 1), value));
      } else if (plugin.provides && !services.has(plugin.provides.id)) services.set(plugin.provides.id, value);
      status.set(plugin.id, { status: 'running', kind });
    } catch (err) {
      if (!(EngineError.is(err) && err.kind === 'NotSupported')) throw err;
      status.set(plugin.id, { status: 'skipped', reason: err.message, kind });
    }
  }
  return {
    logs, events, router, hooks, config, root,
    plugins: pluginInfo,
    get: <T>(ref: ServiceRef<T>) => {
      if (!services.has(ref.id)) throw new Error(`no plugin in this test engine provides ${ref.id}`);
      return services.get(ref.id) as T;
    },
    drivers: <T>(ref: DriverRef<T>) => driverSet<T>(ref.kind),
    async stop() {
      for (const fn of stops.reverse()) await fn();
      await rm(root, { recursive: true, force: true });
    },
  };
}
