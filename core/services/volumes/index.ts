/**
 * `core.volumes`: volume records over the volume drivers and Docker's volume API (create, list,
 * inspect, rm, prune); fills the volumes of `/system/df`, publishes volume events, and provides
 * {@link volumeBackendRef} to the containers service. Records are state documents `volumes/<name>`
 * holding name, driver, labels, options, creation time, scope, the anonymous flag and the
 * containers that reference or mount the volume.
 */
import { coreServices, definePlugin, drivers } from '@keel/sdk';
import { systemHooks } from '../system/index.js';
import { volumeBackendRef } from './volume-backend.js';
import { VolumeStore } from './volume-store.js';
import { registerVolumeRoutes } from './volumes-routes.js';
import { VolumesService } from './volumes-service.js';

export {
  ANONYMOUS_LABEL, volumeBackendRef, type EnsureVolumeOptions, type EnsuredVolume, type VolumeBackend, type VolumeMountDetails, type VolumeSummary,
} from './volume-backend.js';

/** The volume service plugin. */
export const volumesServicePlugin = definePlugin({
  id: 'core.volumes',
  sdk: '^1.0.0',
  description: 'Docker volume API: create, ls, inspect, rm, prune; volumes for containers',
  provides: volumeBackendRef,
  deps: {
    volumes: drivers.volume, state: coreServices.state, events: coreServices.events,
    hooks: coreServices.hooks, router: coreServices.httpRouter, log: coreServices.logger,
  },
  async init({ volumes, state, events, hooks, router, log }, { signal }) {
    const store = new VolumeStore(state);
    await store.open();
    const service = new VolumesService({ drivers: volumes, store, events, log });
    await service.adoptDriverVolumes(signal);
    registerVolumeRoutes(router, service);
    hooks.tap(systemHooks, 'df', async (df) => ({ ...df, Volumes: await service.diskUsage() }));
    return service;
  },
});
