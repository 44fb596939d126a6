/**
 * `runtime.runc`: the OCI reference runtime, from Debian's runc package. Works with cgroups v1,
 * v2 and hybrid hosts.
 */
import { coreServices, definePlugin, drivers } from '@keel/sdk';
import { cliRuntimeConfig, startCliRuntime } from '@keel/sdk/oci-cli';

export const runcRuntimePlugin = definePlugin({
  id: 'runtime.runc',
  sdk: '^1.0.0',
  description: 'runc, the OCI reference runtime',
  provides: drivers.runtime,
  config: cliRuntimeConfig,
  deps: { paths: coreServices.paths, log: coreServices.logger },
  init: ({ paths, log }, { config }) =>
    startCliRuntime({ name: 'runc', candidates: ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/sbin/runc', '/usr/local/bin/runc'], config, runRoot: paths.pluginRunRoot, log }),
});
