/**
 * `storage.vfs`: full-copy layers; the storage driver that works everywhere.
 */
import { coreServices, definePlugin, drivers } from '@keel/sdk';
import { VfsDriver } from './vfs-driver.js';

export const vfsStoragePlugin = definePlugin({
  id: 'storage.vfs',
  sdk: '^1.0.0',
  description: 'full copies of each layer; works on any filesystem',
  provides: drivers.storage,
  deps: { paths: coreServices.paths },
  init: ({ paths }) => new VfsDriver({ root: paths.pluginRoot }),
});
