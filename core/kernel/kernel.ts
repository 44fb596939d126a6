/**
 * The kernel: resolve → init → start → stop over a build's plugins. It knows nothing about
 * containers; it gives plugins their scopes, core services, driver sets and lifecycle.
 */
import {
  EngineError,
  isDriverRef,
  type AnyRef,
  type DriverKind,
  type EngineInfo,
  type Logger,
  type PluginInfo,
  type PluginStatus,
} from '@keel/sdk';
import type { EngineBuild } from './build.js';
import type { ConfigService } from '@keel/sdk';
import { DiScope } from './di.js';
import { DriverRegistry } from './driver-registry.js';
import { MemoryEventBus } from './event-bus.js';
import { HookRegistry } from './hooks.js';
import { BootError, kindOfId, resolvePlugins, type PluginProblem, type ResolvedPlugin } from './plugin-graph.js';
import { createPluginScope, isCoreServiceId, type KernelServices } from './plugin-scope.js';
import { RouteTable } from './route-table.js';
import { FileStateStore } from './state-store.js';
import { withTimeout } from './timeout.js';
import path from 'node:path';

/** What a kernel is made from. */
export interface KernelOptions {
  readonly build: EngineBuild;
  readonly config: ConfigService;
  readonly logger: Logger;
  readonly version: string;
  readonly gitCommit: string;
  readonly buildTime: string;
  readonly apiVersion: string;
  readonly minApiVersion: string;
  /** Default 30 s; a plugin's own `initTimeoutMs` wins. */
  readonly initTimeoutMs?: number;
  /** Per stop callback; default 10 s. */
  readonly stopTimeoutMs?: number;
}

interface Record_ {
  readonly resolved: ResolvedPlugin;
  status: PluginStatus;
  reason?: string;
  required: boolean;
  initMs?: number;
  value?: unknown;
  readonly startFns: Array<() => void | Promise<void>>;
  readonly stopFns: Array<() => void | Promise<void>>;
}

/** Config keys through which an operator demands a specific driver. */
const DEMANDING_KEYS: Readonly<Partial<Record<DriverKind, string>>> = { storage: 'storage-driver', log: 'log-driver', runtime: 'default-runtime' };

/** The engine's kernel. */
export class Kernel {
  readonly events = new MemoryEventBus();
  readonly hooks = new HookRegistry();
  readonly routes = new RouteTable();
  readonly drivers: DriverRegistry;
  readonly info: EngineInfo;
  private readonly records: Record_[] = [];
  private readonly root = DiScope.createRoot();
  private readonly demanded: Partial<Record<DriverKind, string>> = {};
  private readonly log: Logger;

  constructor(private readonly opts: KernelOptions) {
    for (const [kind, key] of Object.entries(DEMANDING_KEYS)) {
      const v = opts.config.get<string>(key);
      if (v) this.demanded[kind as DriverKind] = v;
    }
    this.drivers = new DriverRegistry(opts.build.defaults, this.demanded);
    this.log = opts.logger.child({ plugin: 'kernel' });
    const startedAt = Date.now();
    this.info = Object.freeze({
      version: opts.version,
      gitCommit: opts.gitCommit,
      buildTime: opts.buildTime,
      apiVersion: opts.apiVersion,
      minApiVersion: opts.minApiVersion,
      buildName: opts.build.name,
      startedAt,
      plugins: () => this.pluginInfo(),
      driverNames: (kind: DriverKind) => this.drivers.names(kind),
      defaultDriver: (kind: DriverKind) => this.drivers.defaultName(kind),
    });
  }

  /** Resolve and init every plugin; throws {@link BootError} when a required one is not running. */
  async init(): Promise<void> {
    const resolved = resolvePlugins(this.opts.build.plugins, this.opts.config.get<Record<string, unknown>>('plugins') ?? {});
    const requiredIds = new Set(this.opts.build.required);
    const problems: PluginProblem[] = [];
    for (const [kind, name] of Object.entries(this.demanded)) {
      const id = `${kind}.${name}`;
      if (resolved.some((r) => r.plugin.id === id)) requiredIds.add(id);
      else problems.push({ pluginId: id, message: `${DEMANDING_KEYS[kind as DriverKind]} is "${name}", but this build has no such ${kind} driver (available: ${resolved.filter((r) => kindOfId(r.plugin.id) === kind).map((r) => r.plugin.id.slice(kind.length + 1)).join(', ') || 'none'})` });
    }
    if (problems.length) throw new BootError(problems);
    const services: KernelServices = {
      logger: this.opts.logger, config: this.opts.config,
      dataRoot: this.opts.config.get<string>('data-root')!, execRoot: this.opts.config.get<string>('exec-root')!,
      state: new FileStateStore(path.join(this.opts.config.get<string>('data-root')!, 'state')),
      events: this.events, hooks: this.hooks, routes: this.routes, engine: this.info,
    };
    for (const r of resolved) {
      const rec: Record_ = { resolved: r, status: 'pending', required: requiredIds.has(r.plugin.id), startFns: [], stopFns: [] };
      this.records.push(rec);
      if (r.disabled) this.setStatus(rec, 'disabled', 'disabled in daemon.json');
      else await this.initOne(rec, services);
    }
    const failedRequired = this.records.filter((r) => r.required && r.status !== 'running');
    if (failedRequired.length) {
      await this.stop();
      throw new BootError(failedRequired.map((r) => ({ pluginId: r.resolved.plugin.id, message: `required plugin is ${r.status}: ${r.reason ?? ''}` })));
    }
  }

  /** Runs start callbacks in init order, then freezes hooks. */
  async start(): Promise<void> {
    for (const rec of this.records.filter((r) => r.status === 'running')) {
      try {
        for (const fn of rec.startFns) await fn();
      } catch (err) {
        this.setStatus(rec, 'failed', `start failed: ${(err as Error).message}`);
        if (rec.required) {
          await this.stop();
          throw new BootError([{ pluginId: rec.resolved.plugin.id, message: rec.reason! }]);
        }
      }
    }
    this.hooks.freeze();
  }

  /** Runs stop callbacks in reverse init order, each under a timeout; one failure never skips the rest. */
  async stop(): Promise<void> {
    const ms = this.opts.stopTimeoutMs ?? 10_000;
    for (const rec of [...this.records].reverse()) {
      if (rec.status !== 'running') continue;
      for (const fn of [...rec.stopFns].reverse()) {
        try {
          await withTimeout(ms, `stop of ${rec.resolved.plugin.id}`, () => fn());
        } catch (err) {
          this.log.error({ err, pluginId: rec.resolved.plugin.id }, `plugin ${rec.resolved.plugin.id} failed to stop cleanly`);
        }
      }
      const kind = kindOfId(rec.resolved.plugin.id);
      if (kind) this.drivers.remove(kind, rec.resolved.plugin.id.slice(kind.length + 1));
      this.setStatus(rec, 'stopped');
    }
  }

  private blockingDependency(rec: Record_): { status: PluginStatus; message: string } | undefined {
    for (const ref of Object.values(rec.resolved.plugin.deps as Record<string, AnyRef>)) {
      if (isDriverRef(ref) || isCoreServiceId(ref.id)) continue;
      const provider = this.records.find((r) => r.resolved.plugin.provides?.id === ref.id);
      if (!provider) return { status: 'failed', message: `depends on service ${ref.id}, which no plugin in this build provides` };
      if (provider.status !== 'running') return { status: 'skipped', message: `dependency ${provider.resolved.plugin.id} is ${provider.status}` };
    }
    return undefined;
  }

  private async initOne(rec: Record_, services: KernelServices): Promise<void> {
    const { plugin, config } = rec.resolved;
    const blocked = this.blockingDependency(rec);
    if (blocked) return this.setStatus(rec, blocked.status, blocked.message);
    const started = performance.now();
    try {
      const scope = await createPluginScope(this.root, plugin.id, services);
      const deps: Record<string, unknown> = {};
      for (const [name, ref] of Object.entries(plugin.deps as Record<string, AnyRef>)) {
        deps[name] = isDriverRef(ref) ? this.drivers.set(ref.kind) : scope.resolve(ref.id);
      }
      const lifecycle = { onStart: (fn: () => void) => void rec.startFns.push(fn), onStop: (fn: () => void) => void rec.stopFns.push(fn) };
      const ms = plugin.initTimeoutMs ?? this.opts.initTimeoutMs ?? 30_000;
      rec.value = await withTimeout(ms, `init of ${plugin.id}`, (signal) => plugin.init(deps, { pluginId: plugin.id, config, lifecycle, signal }));
      rec.initMs = Math.round(performance.now() - started);
      this.register(rec);
      this.setStatus(rec, 'running');
    } catch (err) {
      const notSupported = EngineError.is(err) && err.kind === 'NotSupported';
      this.setStatus(rec, notSupported ? 'skipped' : 'failed', (err as Error)?.message ?? String(err));
      if (!notSupported) this.log.error({ err, pluginId: plugin.id }, `plugin ${plugin.id} failed to init`);
    }
  }

  private register(rec: Record_): void {
    const { provides, id } = rec.resolved.plugin;
    if (!provides) return;
    if (isDriverRef(provides)) this.drivers.add(provides.kind, id.slice(provides.kind.length + 1), rec.value);
    else this.root.provideValue(provides.id, rec.value);
  }

  private setStatus(rec: Record_, status: PluginStatus, reason?: string): void {
    rec.status = status;
    rec.reason = reason;
    const level = status === 'failed' ? 'error' : status === 'skipped' ? 'warn' : 'debug';
    this.log[level]({ pluginId: rec.resolved.plugin.id, status, reason }, `plugin ${rec.resolved.plugin.id}: ${status}${reason ? ` (${reason})` : ''}`);
  }

  private pluginInfo(): PluginInfo[] {
    return this.records.map((r) => {
      const id = r.resolved.plugin.id;
      const kind = kindOfId(id);
      const caps = (r.value as { capabilities?: Record<string, unknown> } | undefined)?.capabilities;
      return {
        id, kind: kind ?? 'service', name: kind ? id.slice(kind.length + 1) : id, status: r.status, required: r.required,
        ...(r.reason ? { reason: r.reason } : {}), ...(r.resolved.plugin.description ? { description: r.resolved.plugin.description } : {}),
        ...(kind && caps ? { capabilities: caps } : {}), ...(r.initMs !== undefined ? { initMs: r.initMs } : {}),
      };
    });
  }
}
