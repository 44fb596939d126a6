/**
 * `storage.vfs`: full-copy layers; the storage driver that works on any filesystem, without root
 * or mounts — the fallback where overlay2 is skipped.
 */
import { coreServices, definePlugin, drivers } from '@keel/sdk';
import { VfsDriver } from './vfs-driver.js';

export const vfsStoragePlugin = definePlugin({
  id: 'storage.vfs',
  sdk: '^1.0.0',
  description: 'full copies of each layer; works on any filesystem',
  provides: drivers.storage,
  deps: { log: coreServices.logger, paths: coreServices.paths },
  async init({ log, paths }) {
    const driver = new VfsDriver({ root: paths.pluginRoot, log });
    await driver.recover();
    return driver;
  },
});
