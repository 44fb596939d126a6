/**
 * `core.system`: the engine's own Docker routes (`/version`, `/info`, `/events`) and keel's
 * `/_engine/plugins`; publishes `daemon reload` events on SIGHUP reloads.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { coreServices, definePlugin, drivers } from '@keel/sdk';
import { readHostFacts } from './host-facts.js';
import { systemHooks } from './system-hooks.js';
import { registerSystemRoutes } from './system-routes.js';
import { SystemService } from './system-service.js';

export { systemHooks, type SystemDfBody, type SystemInfoBody } from './system-hooks.js';

/** The system service plugin. */
export const systemServicePlugin = definePlugin({
  id: 'core.system',
  sdk: '^1.0.0',
  description: 'Docker system API: version, info, events; keel engine introspection',
  deps: {
    engine: coreServices.engine,
    config: coreServices.config,
    events: coreServices.events,
    hooks: coreServices.hooks,
    router: coreServices.httpRouter,
    state: coreServices.state,
    runtimes: drivers.runtime,
    storage: drivers.storage,
  },
  async init({ engine, config, events, hooks, router, state, runtimes, storage }) {
    // The daemon ID survives restarts, like dockerd's engine-id file.
    let daemonId = await state.get<string>('engine-id');
    if (!daemonId) await state.put('engine-id', (daemonId = randomUUID()));
    const hosts = config.get<string[]>('hosts') ?? [];
    const system = new SystemService({
      engine, config, runtimes, storage, daemonId,
      facts: await readHostFacts(),
      hooks: hooks.declare(systemHooks),
      eventListeners: () => events.listenerCount(),
      warnings: () => hosts.filter((h) => h.startsWith('tcp://')).map((h) => `WARNING: API is accessible on http://${h.slice(6)} without encryption.`),
    });
    registerSystemRoutes(router, system, events, engine);
    config.onReload(() => {
      const snap = config.snapshot();
      const attrs: Record<string, string> = { name: hostname() };
      for (const key of ['debug', 'labels', 'live-restore', 'max-concurrent-downloads', 'max-concurrent-uploads', 'default-runtime', 'insecure-registries', 'registry-mirrors', 'shutdown-timeout']) {
        if (snap[key] !== undefined) attrs[key] = typeof snap[key] === 'string' ? (snap[key] as string) : JSON.stringify(snap[key]);
      }
      events.publish({ type: 'daemon', action: 'reload', actor: { ID: daemonId!, Attributes: attrs } });
    });
    return system;
  },
});
