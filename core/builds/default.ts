/**
 * The default engine build: what `keeld` runs unless told otherwise. Drivers join this list as
 * their issues land; the defaults name the drivers Docker users expect.
 */
import { defineBuild } from '../kernel/build.js';
import { systemServicePlugin } from '../services/system/index.js';

export const defaultBuild = defineBuild({
  name: 'default',
  plugins: [systemServicePlugin],
  defaults: { storage: 'overlay2', network: 'bridge', log: 'json-file', runtime: 'runc' },
  required: ['core.system'],
});
