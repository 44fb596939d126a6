/**
 * What every runc-compatible runtime plugin does at init: find the binary (or the configured
 * path), check the host, and return a {@link CliRuntime} on the plugin's own state root.
 * @packageDocumentation
 */
import { NotSupportedError } from '../errors.js';
import type { JsonSchema } from '../plugin.js';
import type { Logger } from '../services.js';
import { CliRuntime } from './cli-runtime.js';
import { binaryVersion, cgroupLayout, findBinary, type CgroupLayout } from './probe.js';

/** Plugin config of a CLI runtime: an optional binary path. */
export interface CliRuntimeConfig {
  readonly path?: string;
}

/** The config spec runtime plugins declare (`plugins."runtime.<name>".path`). */
export const cliRuntimeConfig: { readonly schema: JsonSchema; readonly defaults: CliRuntimeConfig } = Object.freeze({
  schema: { type: 'object', properties: { path: { type: 'string' } }, additionalProperties: false },
  defaults: {},
});

/** How to start one runtime. */
export interface StartCliRuntimeOptions {
  /** The name users know (`runc`). */
  readonly name: string;
  /** Where to look for the binary when the config names none. */
  readonly candidates: readonly string[];
  readonly config: CliRuntimeConfig;
  /** The plugin's run root; runtime state goes under `<runRoot>/state`. */
  readonly runRoot: string;
  readonly log: Logger;
  /** A reason to refuse this host's cgroup layout, if the runtime cannot run on it. */
  readonly refuse?: (layout: CgroupLayout) => string | undefined;
}

/** Finds, checks and wraps the runtime; throws NotSupportedError (plugin skipped) when it cannot run. */
export async function startCliRuntime(o: StartCliRuntimeOptions): Promise<CliRuntime> {
  const binary = await findBinary(o.config.path ? [o.config.path] : o.candidates);
  if (!binary) throw new NotSupportedError(`${o.name} is not installed (apt-get install ${o.name}, or set plugins."runtime.${o.name}".path)`);
  const layout = await cgroupLayout();
  const refused = o.refuse?.(layout);
  if (refused) throw new NotSupportedError(refused);
  const version = await binaryVersion(binary);
  o.log.debug({ binary, version, layout }, `${o.name} ready`);
  return new CliRuntime({ path: binary, root: `${o.runRoot}/state`, capabilities: { cgroupVersions: layout === 'v2' ? [2] : [1], pause: true, update: true } });
}
