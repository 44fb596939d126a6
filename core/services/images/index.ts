/**
 * `core.images`: the local image store and Docker's image API (load, save, import, tag, rmi,
 * list, inspect, history, prune) over the default storage driver; fills `/info` and
 * `/system/df`.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { coreServices, definePlugin, drivers } from '@keel/sdk';
import { systemHooks } from '../system/index.js';
import { BlobStore } from './blob-store.js';
import { ImageStore } from './image-store.js';
import { imagesHooks } from './images-hooks.js';
import { registerImageRoutes } from './images-routes.js';
import { ImagesService } from './images-service.js';
import { LayerStore } from './layer-store.js';

export { imagesHooks, type ImageDeleteRequest } from './images-hooks.js';

/** Plugin config: limits on what a load may unpack. */
export interface ImagesConfig {
  /** Largest archive `docker load` accepts, in bytes. */
  readonly maxLoadBytes: number;
}

const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export const imagesServicePlugin = definePlugin({
  id: 'core.images',
  sdk: '^1.0.0',
  description: 'Docker image API: load, save, import, tag, rmi, list, inspect, history, prune',
  config: {
    schema: { type: 'object', properties: { maxLoadBytes: { type: 'integer', minimum: 1 } }, additionalProperties: false },
    defaults: { maxLoadBytes: 64 * 1024 ** 3 } as ImagesConfig,
  },
  deps: {
    storage: drivers.storage, state: coreServices.state, paths: coreServices.paths, events: coreServices.events,
    hooks: coreServices.hooks, router: coreServices.httpRouter, log: coreServices.logger,
  },
  async init({ storage, state, paths, events, hooks, router, log }, { config }) {
    const storageNow = () => {
      const name = storage.defaultName();
      return { name: name ?? '', driver: storage.default() };
    };
    const blobs = new BlobStore(path.join(paths.pluginRoot, 'blobs'));
    const layers = new LayerStore(state.namespace('layers'), blobs, storageNow);
    const images = new ImageStore(state, blobs, layers);
    const tmpRoot = path.join(paths.pluginRoot, 'tmp');
    await rm(tmpRoot, { recursive: true, force: true }); // staging of loads a crash interrupted
    await blobs.sweep();
    if (storage.defaultName()) {
      // Driver layers that a crash left unrecorded (an interrupted load) are removed.
      const orphans = await layers.sweepOrphans(await storage.default().list());
      if (orphans) log.info({ orphans }, 'removed layers of interrupted loads');
    }
    const service = new ImagesService({ images, layers, events, hooks: hooks.declare(imagesHooks), driverName: () => storage.defaultName() ?? '' });
    registerImageRoutes(router, { service, blobs, architecture: GO_ARCH[process.arch] ?? process.arch, load: { images, layers, events, tmpRoot, maxBytes: config.maxLoadBytes } });
    hooks.tap(systemHooks, 'info', async (info) => ({ ...info, Images: (await images.list()).length }));
    hooks.tap(systemHooks, 'df', async (df) => ({ ...df, ...(await service.df()) }));
    return service;
  },
});
