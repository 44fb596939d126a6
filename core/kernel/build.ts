/**
 * Engine builds: an explicit list of plugins (static imports, no directory scanning) plus the
 * default driver of each kind and the plugins boot cannot do without.
 */
import type { AnyPlugin, DriverKind } from '@keel/sdk';

/** A build of the engine. */
export interface EngineBuild {
  /** Shown in `/version` and `/info`. */
  readonly name: string;
  /** Every plugin, in the order ties are broken (and drivers listed). */
  readonly plugins: readonly AnyPlugin[];
  /** Default driver name per kind, used where the daemon config is silent. */
  readonly defaults: Readonly<Partial<Record<DriverKind, string>>>;
  /** Plugin ids whose failure aborts boot. */
  readonly required: readonly string[];
}

/** Defines a build. */
export function defineBuild(build: { name: string; plugins: readonly AnyPlugin[]; defaults?: EngineBuild['defaults']; required?: readonly string[] }): EngineBuild {
  return Object.freeze({ name: build.name, plugins: Object.freeze([...build.plugins]), defaults: Object.freeze({ ...(build.defaults ?? {}) }), required: Object.freeze([...(build.required ?? [])]) });
}
