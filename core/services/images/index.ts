/**
 * `core.images`: the local image store and Docker's image API (load, save, import, tag, rmi,
 * list, inspect, history, prune) over the default storage driver; fills `/info` and
 * `/system/df`, publishes image events, and provides {@link imageBackendRef} to other services.
 *
 * Layout under the plugin root, per storage driver (as Docker keeps `image/<driver>/`): blobs in
 * `<driver>/blobs/sha256/`, staging in `<driver>/tmp/`; state documents `<driver>/index` (images
 * and references) and `<driver>/layers/…` (layer records, holds, pending creations).
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { coreServices, definePlugin, drivers, goArch } from '@keel/sdk';
import { systemHooks } from '../system/index.js';
import { imageBackendRef } from './image-backend.js';
import { BlobStore } from './blob-store.js';
import { ImageStore } from './image-store.js';
import { diskUsage } from './image-views.js';
import { imagesHooks } from './images-hooks.js';
import { registerImageRoutes } from './images-routes.js';
import { ImagesService } from './images-service.js';
import { LayerStore } from './layer-store.js';
import { registryOptionDefaults, registryOptionsSchema, setupRegistry, type RegistryPluginOptions } from './registry/registry-setup.js';

export { imagesHooks, type ImageDeleteRequest } from './images-hooks.js';
export { imageBackendRef, type ImageBackend, type ImageInfo, type ImageRootfs } from './image-backend.js';
export type { ImageConfig } from './image-config.js';

/** Plugin config (daemon.json `plugins["core.images"]`). */
export interface ImagesConfig extends RegistryPluginOptions {
  /** Largest archive `docker load` accepts and largest decompressed layer, in bytes. */
  readonly maxLoadBytes: number;
}


/** The image service plugin. */
export const imagesServicePlugin = definePlugin({
  id: 'core.images',
  sdk: '^1.0.0',
  description: 'Docker image API: pull, push, login, load, save, import, tag, rmi, list, inspect, history, prune',
  provides: imageBackendRef,
  config: {
    schema: { type: 'object', properties: { maxLoadBytes: { type: 'integer', minimum: 1 }, ...registryOptionsSchema }, additionalProperties: false },
    defaults: { maxLoadBytes: 64 * 1024 ** 3, ...registryOptionDefaults } as ImagesConfig,
  },
  deps: {
    storage: drivers.storage, state: coreServices.state, paths: coreServices.paths, events: coreServices.events,
    hooks: coreServices.hooks, router: coreServices.httpRouter, log: coreServices.logger, daemon: coreServices.config,
  },
  async init({ storage, state, paths, events, hooks, router, log, daemon }, { config, lifecycle }) {
    const driverName = storage.defaultName() ?? 'none';
    const root = path.join(paths.pluginRoot, driverName);
    const blobs = new BlobStore(path.join(root, 'blobs'));
    const store = state.namespace(driverName);
    const layers = new LayerStore(store.namespace('layers'), blobs, driverName, () => storage.default());
    const images = new ImageStore(store, blobs, layers);
    const tmpRoot = path.join(root, 'tmp');

    // Recovery: what a crash interrupted never became visible; remove it now.
    await rm(tmpRoot, { recursive: true, force: true });
    const { interrupted } = storage.defaultName() ? await layers.open() : { interrupted: 0 };
    const broken = await images.open();
    const unused = storage.defaultName() ? await layers.collect(images.chainsInUse()) : [];
    const keep = new Set([...images.configDigests(), ...layers.list().map((l) => l.diffId)]);
    const blobsSwept = await blobs.sweep((d) => keep.has(d));
    if (interrupted || broken.length || unused.length || blobsSwept) {
      log.info({ interrupted, broken, unusedLayers: unused.length, blobsSwept }, 'image store: removed what interrupted operations left');
    }

    const service = new ImagesService({ images, layers, events, hooks: hooks.declare(imagesHooks), driverName });
    const platform = { os: 'linux', architecture: goArch() };
    const views = { images, layers, driverName };
    const registry = setupRegistry({
      config: daemon, options: config, state: store, root, images, layers, blobs, events, tmpRoot, maxBytes: config.maxLoadBytes, platform,
      exclusiveStream: (make) => service.exclusiveStream(make), exclusive: (fn) => service.exclusive(fn),
    });
    // Downloads an interrupted pull left are kept for a day, so pulling again resumes them.
    await registry.context.sweepDownloads(24 * 3600_000);
    lifecycle.onStop(() => registry.context.close());
    registerImageRoutes(router, { service, blobs, views, load: { images, layers, events, tmpRoot, maxBytes: config.maxLoadBytes, platform }, registry: registry.routes });
    hooks.tap(systemHooks, 'info', (info) => ({ ...info, Images: images.list().length }));
    hooks.tap(systemHooks, 'df', (df) => ({ ...df, ...diskUsage(views) }));
    return service;
  },
});
