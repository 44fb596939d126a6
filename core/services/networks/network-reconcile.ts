/**
 * Startup reconciliation: make the host match the records after a daemon restart, a crash or a
 * reboot. Networks are recreated (drivers recreate missing bridges and rewrite their rules),
 * sandboxes of containers that are gone or stopped are torn down, those of running containers
 * get their ports back, and namespace mounts no record knows are removed.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger, NetworkDriver } from '@keel/sdk';
import { removeNetns } from '@keel/sdk/netutil';
import type { NetworkBackendImpl } from './network-backend.js';
import type { NetworksService } from './network-service.js';
import type { NetworkStore } from './network-store.js';
import type { SandboxPlumbing } from './sandbox-plumbing.js';

/** What reconciliation touches. */
export interface ReconcileDeps {
  readonly store: NetworkStore;
  readonly service: NetworksService;
  readonly backend: NetworkBackendImpl;
  readonly plumbing: SandboxPlumbing;
  readonly driverNames: () => string[];
  readonly driver: (name: string) => NetworkDriver | undefined;
  readonly netnsDir: string;
  readonly log: Logger;
}

/** Runs reconciliation; every step logs and goes on (a broken network must not stop the daemon). */
export async function reconcileNetworks(d: ReconcileDeps): Promise<void> {
  const containers = await d.backend.containers?.list().catch(() => undefined);
  const alive = containers && new Map(containers.map((c) => [c.id, c]));
  const keep = [...d.store.sandboxes.values()].filter((s) => !alive || alive.get(s.containerId)?.running);
  for (const name of d.driverNames()) {
    const driver = d.driver(name);
    const nets = [...d.store.networks.values()].filter((n) => n.driver === name);
    const endpoints = keep.flatMap((s) => s.endpoints).filter((e) => nets.some((n) => n.id === e.networkId)).map((e) => ({ networkId: e.networkId, endpointId: e.endpointId }));
    try {
      if (driver?.reconcile) await driver.reconcile({ networks: nets.map((n) => d.service.request(n)), endpoints });
      else for (const n of nets) await driver?.createNetwork(d.service.request(n));
    } catch (err) {
      d.log.error({ err, driver: name }, 'network driver reconciliation failed');
    }
  }
  for (const n of d.store.networks.values()) await d.service.startDns(n);
  for (const s of [...d.store.sandboxes.values()]) {
    if (!keep.includes(s)) {
      d.log.info({ container: s.containerId }, 'releasing the network of a container that is gone or stopped');
      await d.backend.detach(s.containerId).catch((err: unknown) => d.log.warn({ err }, 'teardown failed'));
    } else {
      await d.plumbing.republish(s, {}).catch((err: unknown) => d.log.warn({ err, container: s.containerId }, 'published ports not restored'));
    }
  }
  const files = await readdir(d.netnsDir).catch(() => [] as string[]);
  for (const f of files) {
    if (!d.store.sandboxes.has(f)) await removeNetns(path.join(d.netnsDir, f)).catch(() => undefined);
  }
}
