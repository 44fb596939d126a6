/**
 * `storage.overlay2`: copy-on-write layers on Linux overlayfs. Skipped (not failed) where
 * overlayfs cannot run — not root, no overlay in the kernel, or a backing filesystem that cannot
 * hold upper dirs — so the engine falls back to vfs unless `--storage-driver overlay2` is asked.
 * No stop callback: mounts outlive the daemon on purpose (live restore) and `recover()`
 * reconciles them on the next start.
 */
import { coreServices, definePlugin, drivers } from '@keel/sdk';
import { Overlay2Driver } from './overlay2-driver.js';

export const overlay2StoragePlugin = definePlugin({
  id: 'storage.overlay2',
  sdk: '^1.0.0',
  description: 'copy-on-write layers on overlayfs',
  provides: drivers.storage,
  deps: { log: coreServices.logger, paths: coreServices.paths },
  async init({ log, paths }) {
    const driver = new Overlay2Driver({ root: paths.pluginRoot, log });
    const probe = await driver.probe();
    await driver.recover();
    log.debug({ backingFilesystem: probe.backingFilesystem, mountOptions: probe.mountOptions }, 'overlay2 ready');
    return driver;
  },
});
