/**
 * `volume.local`: Docker's `local` volume driver — plain directories under the plugin root, or,
 * with `-o type=… -o device=… -o o=…`, a filesystem (tmpfs, nfs, ext4, a bind) mounted while
 * containers use the volume.
 */
import { coreServices, definePlugin, drivers } from '@keel/sdk';
import { LocalVolumeDriver } from './local-driver.js';

export { LocalVolumeDriver, type LocalVolumeDriverOptions } from './local-driver.js';

export const localVolumePlugin = definePlugin({
  id: 'volume.local',
  sdk: '^1.0.0',
  description: 'directories under the data root, or tmpfs/nfs/ext4/bind mounts from -o options',
  provides: drivers.volume,
  deps: { log: coreServices.logger, paths: coreServices.paths, state: coreServices.state },
  async init({ log, paths, state }) {
    const driver = new LocalVolumeDriver({ root: paths.pluginRoot, state, log });
    await driver.open();
    return driver;
  },
});
