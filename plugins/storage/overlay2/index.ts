/**
 * `storage.overlay2`: copy-on-write layers on Linux overlayfs. Skipped (not failed) where
 * overlayfs cannot run, so the engine falls back to vfs unless `--storage-driver overlay2`.
 */
import { coreServices, definePlugin, drivers } from '@keel/sdk';
import { Overlay2Driver } from './overlay2-driver.js';
import { probeOverlay } from './overlay-probe.js';

export const overlay2StoragePlugin = definePlugin({
  id: 'storage.overlay2',
  sdk: '^1.0.0',
  description: 'copy-on-write layers on overlayfs',
  provides: drivers.storage,
  deps: { paths: coreServices.paths, log: coreServices.logger },
  async init({ paths, log }) {
    const probe = await probeOverlay(paths.pluginRoot);
    const driver = new Overlay2Driver({ root: paths.pluginRoot, probe });
    await driver.recover();
    log.debug({ backingFilesystem: probe.backingFilesystem }, 'overlay2 ready');
    return driver;
  },
});
