/**
 * The default engine build: what `keeld` runs unless told otherwise. Drivers join this list as
 * their issues land; the defaults name the drivers Docker users expect.
 */
import { overlay2StoragePlugin } from '../../plugins/storage/overlay2/index.js';
import { vfsStoragePlugin } from '../../plugins/storage/vfs/index.js';
import { crunRuntimePlugin } from '../../plugins/runtime/crun/index.js';
import { runcRuntimePlugin } from '../../plugins/runtime/runc/index.js';
import { fluentdLogPlugin } from '../../plugins/log/fluentd/index.js';
import { gelfLogPlugin } from '../../plugins/log/gelf/index.js';
import { jsonFileLogPlugin } from '../../plugins/log/json-file/index.js';
import { localLogPlugin } from '../../plugins/log/local/index.js';
import { noneLogPlugin } from '../../plugins/log/none/index.js';
import { syslogLogPlugin } from '../../plugins/log/syslog/index.js';
import { defaultIpamPlugin } from '../../plugins/ipam/default/index.js';
import { bridgeNetworkPlugin } from '../../plugins/network/bridge/index.js';
import { hostNetworkPlugin } from '../../plugins/network/host/index.js';
import { macvlanNetworkPlugin } from '../../plugins/network/macvlan/index.js';
import { noneNetworkPlugin } from '../../plugins/network/none/index.js';
import { localVolumePlugin } from '../../plugins/volume/local/index.js';
import { defineBuild } from '../kernel/build.js';
import { containersServicePlugin } from '../services/containers/index.js';
import { imagesServicePlugin } from '../services/images/index.js';
import { systemServicePlugin } from '../services/system/index.js';
import { networksServicePlugin } from '../services/networks/index.js';
import { volumesServicePlugin } from '../services/volumes/index.js';

export const defaultBuild = defineBuild({
  name: 'default',
  plugins: [
    systemServicePlugin, overlay2StoragePlugin, vfsStoragePlugin, runcRuntimePlugin, crunRuntimePlugin, localVolumePlugin,
    jsonFileLogPlugin, localLogPlugin, noneLogPlugin, syslogLogPlugin, gelfLogPlugin, fluentdLogPlugin,
    bridgeNetworkPlugin, hostNetworkPlugin, noneNetworkPlugin, macvlanNetworkPlugin, defaultIpamPlugin,
    imagesServicePlugin, volumesServicePlugin, networksServicePlugin, containersServicePlugin,
  ],
  defaults: { storage: 'overlay2', network: 'bridge', log: 'json-file', runtime: 'runc', volume: 'local' },
  required: ['core.system', 'core.images', 'core.volumes', 'core.networks', 'core.containers'],
});
