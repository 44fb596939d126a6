/**
 * `runtime.crun`: a fast OCI runtime in C, from Debian's crun package. crun refuses hosts with a
 * cgroup v1 hybrid layout ("cgroups in hybrid mode not supported"), so the plugin is skipped
 * there with that reason, and works on v1-only and v2 hosts.
 */
import { NotSupportedError, coreServices, definePlugin, drivers } from '@keel/sdk';
import { CliRuntime, binaryVersion, cgroupLayout, findBinary } from '@keel/sdk/oci-cli';

export const crunRuntimePlugin = definePlugin({
  id: 'runtime.crun',
  sdk: '^1.0.0',
  description: 'crun, a fast OCI runtime in C',
  provides: drivers.runtime,
  config: {
    schema: { type: 'object', properties: { path: { type: 'string' } }, additionalProperties: false },
    defaults: {} as { path?: string },
  },
  deps: { paths: coreServices.paths, log: coreServices.logger },
  async init({ paths, log }, { config }) {
    const binary = await findBinary(config.path ? [config.path] : ['/usr/bin/crun', '/usr/local/bin/crun', '/usr/sbin/crun']);
    if (!binary) throw new NotSupportedError('crun is not installed (apt-get install crun, or set plugins."runtime.crun".path)');
    const layout = await cgroupLayout();
    if (layout === 'hybrid') {
      throw new NotSupportedError('crun does not support this host\'s cgroup v1 hybrid layout (a cgroup2 mount beside the v1 controllers): "cgroups in hybrid mode not supported"; use runc');
    }
    const version = await binaryVersion(binary);
    log.debug({ binary, version, layout }, 'crun ready');
    return new CliRuntime({ path: binary, root: `${paths.pluginRunRoot}/state`, capabilities: { cgroupVersions: layout === 'v2' ? [2] : [1], pause: true, update: true } });
  },
});
