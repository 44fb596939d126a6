/**
 * `core.networks`: Docker's network API (create, ls, inspect, rm, prune, connect, disconnect),
 * the predefined networks (bridge on `keel0`, host, none), the embedded DNS of user-defined
 * networks, published ports, and {@link networkBackendRef} (`networks.backend`) through which the
 * container service plumbs containers. State: `networks/<id>` and `sandboxes/<container id>` in
 * the plugin's state store; namespace bind mounts under `<exec-root>/plugins/core.networks/netns/`.
 *
 * Wiring with the container service: it depends on `networkBackendRef`, calls
 * `registerContainers(port)` in its init (with a `list()` that answers before its own start),
 * `attach` before the runtime's create (namespace path into the OCI spec, the returned hosts and
 * resolv.conf into the container's files), `detach` when the container stops or is removed.
 */
import path from 'node:path';
import { coreServices, definePlugin, drivers } from '@keel/sdk';
import { systemHooks } from '../system/index.js';
import { createDnsResolver } from './dns-names.js';
import { EmbeddedDns } from './dns-server.js';
import { NetworkBackendImpl } from './network-backend.js';
import { reconcileNetworks } from './network-reconcile.js';
import { registerNetworkRoutes } from './network-routes.js';
import { NetworksService } from './network-service.js';
import { NetworkStore } from './network-store.js';
import { networkBackendRef } from './network-types.js';
import { apiDriverName } from './network-views.js';
import { PortAllocator } from './port-allocator.js';
import { ensurePredefined } from './predefined-networks.js';
import { SandboxPlumbing } from './sandbox-plumbing.js';

export * from './network-types.js';

/** The network service plugin. */
export const networksServicePlugin = definePlugin({
  id: 'core.networks',
  sdk: '^1.0.0',
  description: 'Docker network API, predefined networks, embedded DNS, published ports; network backend for containers',
  provides: networkBackendRef,
  deps: {
    networks: drivers.network, ipam: drivers.ipam, config: coreServices.config, state: coreServices.state, events: coreServices.events,
    hooks: coreServices.hooks, router: coreServices.httpRouter, log: coreServices.logger, paths: coreServices.paths,
  },
  async init({ networks, ipam, config, state, events, hooks, router, log, paths }, { lifecycle }) {
    const store = new NetworkStore(state);
    await store.open();
    const dns = new EmbeddedDns(createDnsResolver(store, config), log);
    const service = new NetworksService({ store, drivers: networks, ipam, events, config, dns, log });
    const ports = new PortAllocator();
    const plumbing = new SandboxPlumbing({ store, service, ipam, ports, events, log });
    const netnsDir = path.join(paths.pluginRunRoot, 'netns');
    const backend = new NetworkBackendImpl({ store, service, plumbing, config, log, netnsDir });
    registerNetworkRoutes(router, service, backend, store);
    hooks.tap(systemHooks, 'info', (info) => ({ ...info, Plugins: { ...(info.Plugins as Record<string, unknown>), Network: networks.names().map(apiDriverName) } }));
    // Networks come back before containers start: their drivers must know them to plumb containers.
    await reconcileNetworks({
      store, service, backend, plumbing, netnsDir, log,
      driverNames: () => networks.names(), driver: (n) => networks.get(n),
    });
    await ensurePredefined(service, store, networks, config, log);
    lifecycle.onStart(async () => {
      // Now the container service has registered its port: tear down sandboxes of containers that are gone.
      if (backend.containers) {
        await reconcileNetworks({ store, service, backend, plumbing, netnsDir, log, driverNames: () => networks.names(), driver: (n) => networks.get(n) });
      }
    });
    lifecycle.onStop(async () => {
      await dns.closeAll();
      ports.releaseAll();
      // Attached containers keep running while keeld is down (live restore) and need every bridge
      // and rule; with none attached the host is left clean, and the next start rebuilds it all.
      if (store.sandboxes.size) return;
      for (const n of store.networks.values()) {
        await networks.get(n.driver)?.deleteNetwork(n.id).catch((err: unknown) => log.warn({ err, network: n.name }, 'network plumbing not removed at stop'));
      }
    });
    return backend;
  },
});
