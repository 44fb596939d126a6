/**
 * `runtime.runc`: the OCI reference runtime, from Debian's runc package. Works with cgroups v1,
 * v2 and hybrid hosts.
 */
import { NotSupportedError, coreServices, definePlugin, drivers } from '@keel/sdk';
import { CliRuntime, binaryVersion, cgroupLayout, findBinary } from '@keel/sdk/oci-cli';

export const runcRuntimePlugin = definePlugin({
  id: 'runtime.runc',
  sdk: '^1.0.0',
  description: 'runc, the OCI reference runtime',
  provides: drivers.runtime,
  config: {
    schema: { type: 'object', properties: { path: { type: 'string' } }, additionalProperties: false },
    defaults: {} as { path?: string },
  },
  deps: { paths: coreServices.paths, log: coreServices.logger },
  async init({ paths, log }, { config }) {
    const binary = await findBinary(config.path ? [config.path] : ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/sbin/runc', '/usr/local/bin/runc']);
    if (!binary) throw new NotSupportedError('runc is not installed (apt-get install runc, or set plugins."runtime.runc".path)');
    const version = await binaryVersion(binary);
    const layout = await cgroupLayout();
    log.debug({ binary, version, layout }, 'runc ready');
    return new CliRuntime({ path: binary, root: `${paths.pluginRunRoot}/state`, capabilities: { cgroupVersions: layout === 'v2' ? [2] : [1], pause: true, update: true } });
  },
});
