/**
 * `runtime.crun`: a fast OCI runtime in C, from Debian's crun package. crun refuses hosts with a
 * cgroup v1 hybrid layout ("cgroups in hybrid mode not supported"), so the plugin is skipped
 * there with that reason, and works on v1-only and v2 hosts.
 */
import { coreServices, definePlugin, drivers } from '@keel/sdk';
import { cliRuntimeConfig, startCliRuntime } from '@keel/sdk/oci-cli';

export const crunRuntimePlugin = definePlugin({
  id: 'runtime.crun',
  sdk: '^1.0.0',
  description: 'crun, a fast OCI runtime in C',
  provides: drivers.runtime,
  config: cliRuntimeConfig,
  deps: { paths: coreServices.paths, log: coreServices.logger },
  init: ({ paths, log }, { config }) =>
    startCliRuntime({
      name: 'crun', candidates: ['/usr/bin/crun', '/usr/local/bin/crun', '/usr/sbin/crun'], config, runRoot: paths.pluginRunRoot, log,
      refuse: (layout) => (layout === 'hybrid' ? 'crun does not support this host\'s cgroup v1 hybrid layout (a cgroup2 mount beside the v1 controllers): "cgroups in hybrid mode not supported"; use runc' : undefined),
    }),
});
