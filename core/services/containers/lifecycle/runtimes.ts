/**
 * The runtimes containers may name: the runtime plugins (runc, crun …) plus Docker's
 * daemon.json `runtimes` — `{"name": {"path": "/usr/bin/x", "runtimeArgs": ["--debug"]}}` —
 * which are runc-compatible command lines driven through `@keel/sdk/oci-cli`.
 */
import path from 'node:path';
import { InvalidArgumentError, NotFoundError, type DriverSet, type OciRuntime } from '@keel/sdk';
import { CliRuntime } from '@keel/sdk/oci-cli';

/** One entry of daemon.json `runtimes`. */
interface RuntimeEntry {
  path?: string;
  runtimeArgs?: string[];
}

/** Parses daemon.json `runtimes`; a bad entry is a 400-style error naming it. */
export function configuredRuntimes(value: unknown, root: string): Map<string, OciRuntime> {
  const out = new Map<string, OciRuntime>();
  if (!value || typeof value !== 'object') return out;
  for (const [name, raw] of Object.entries(value as Record<string, RuntimeEntry>)) {
    if (!raw?.path || typeof raw.path !== 'string') throw new InvalidArgumentError(`runtime "${name}" in daemon.json needs a "path"`);
    if (raw.runtimeArgs !== undefined && (!Array.isArray(raw.runtimeArgs) || raw.runtimeArgs.some((a) => typeof a !== 'string'))) {
      throw new InvalidArgumentError(`runtimeArgs of runtime "${name}" must be a list of strings`);
    }
    out.set(name, new CliRuntime({ path: raw.path, root: path.join(root, name), args: raw.runtimeArgs ?? [], capabilities: { cgroupVersions: [1, 2], pause: true, update: true } }));
  }
  return out;
}

/** The runtime plugins with the configured runtimes added (plugins win on a name clash). */
export function withConfiguredRuntimes(plugins: DriverSet<OciRuntime>, extra: ReadonlyMap<string, OciRuntime>): DriverSet<OciRuntime> {
  const get = (name: string) => plugins.get(name) ?? extra.get(name);
  return {
    kind: plugins.kind,
    get,
    require(name) {
      const rt = get(name);
      if (!rt) throw new NotFoundError(`unknown runtime "${name}"; available: ${this.names().join(', ')}`);
      return rt;
    },
    names: () => [...new Set([...plugins.names(), ...extra.keys()])],
    defaultName: () => plugins.defaultName(),
    default: () => plugins.default(),
  };
}
