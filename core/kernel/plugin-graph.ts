/**
 * The resolve step: checks a build against the SDK and the daemon config before anything runs,
 * and orders the plugins. Every problem is collected and attributed to its plugin id, so one
 * boot attempt reports all of them.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import {
  DRIVER_KINDS,
  EngineError,
  SDK_VERSION,
  InvalidArgumentError,
  isDriverRef,
  orderPlugins,
  satisfiesRange,
  type AnyPlugin,
  type DriverKind,
} from '@keel/sdk';

/** A plugin ready for init: its definition, validated config, and whether config disabled it. */
export interface ResolvedPlugin {
  readonly plugin: AnyPlugin;
  readonly config: unknown;
  readonly disabled: boolean;
}

/** One resolve problem, attributed. */
export interface PluginProblem {
  readonly pluginId: string;
  readonly message: string;
}

/** Thrown when boot cannot go on; lists every problem with its plugin id. */
export class BootError extends InvalidArgumentError {
  constructor(readonly problems: readonly PluginProblem[]) {
    super(`engine cannot start:\n${problems.map((p) => `  - ${p.pluginId}: ${p.message}`).join('\n')}`, { code: 'ERR_BOOT' });
  }
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const validators = new WeakMap<object, ValidateFunction>();

function validatorFor(schema: object): ValidateFunction {
  let v = validators.get(schema);
  if (!v) validators.set(schema, (v = ajv.compile(schema)));
  return v;
}

/** The driver kind a plugin id claims by its prefix, if any. */
export function kindOfId(id: string): DriverKind | undefined {
  const prefix = id.slice(0, id.indexOf('.'));
  return (DRIVER_KINDS as readonly string[]).includes(prefix) ? (prefix as DriverKind) : undefined;
}

function checkIdentity(p: AnyPlugin, problems: PluginProblem[]): void {
  const claimed = kindOfId(p.id);
  if (p.provides && isDriverRef(p.provides) && claimed !== p.provides.kind) {
    problems.push({ pluginId: p.id, message: `provides a ${p.provides.kind} driver, so its id must start with "${p.provides.kind}."` });
  } else if (claimed && !(p.provides && isDriverRef(p.provides))) {
    problems.push({ pluginId: p.id, message: `ids starting with "${claimed}." are for ${claimed} drivers, but it does not provide drivers.${claimed}` });
  }
  if (!satisfiesRange(SDK_VERSION, p.sdk)) {
    problems.push({ pluginId: p.id, message: `needs @keel/sdk ${p.sdk}, but this engine has ${SDK_VERSION}` });
  }
}

function resolveConfig(p: AnyPlugin, raw: unknown, problems: PluginProblem[]): { config: unknown; disabled: boolean } {
  const given = (raw ?? {}) as Record<string, unknown>;
  if (typeof given !== 'object' || Array.isArray(given)) {
    problems.push({ pluginId: p.id, message: `daemon.json "plugins.${p.id}" must be an object` });
    return { config: undefined, disabled: false };
  }
  const { enabled, ...rest } = given;
  if (enabled !== undefined && typeof enabled !== 'boolean') problems.push({ pluginId: p.id, message: `"plugins.${p.id}.enabled" must be a boolean` });
  const config = structuredClone({ ...((p.config?.defaults as object) ?? {}), ...rest });
  if (p.config) {
    const validate = validatorFor(p.config.schema);
    if (!validate(config)) {
      const why = (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` "${e.params.additionalProperty}"` : ''}`).join('; ');
      problems.push({ pluginId: p.id, message: `invalid config in daemon.json "plugins.${p.id}": ${why}` });
    }
  } else if (Object.keys(rest).length) {
    problems.push({ pluginId: p.id, message: `takes no configuration, but daemon.json "plugins.${p.id}" sets ${Object.keys(rest).join(', ')}` });
  }
  return { config, disabled: enabled === false };
}

/**
 * Validates and orders `plugins` with their `plugins` section of daemon.json. Throws a
 * {@link BootError} listing every problem.
 */
export function resolvePlugins(plugins: readonly AnyPlugin[], pluginConfig: Readonly<Record<string, unknown>>): ResolvedPlugin[] {
  const problems: PluginProblem[] = [];
  const seen = new Set<string>();
  for (const p of plugins) {
    if (seen.has(p.id)) problems.push({ pluginId: p.id, message: 'is listed twice in the build (duplicate id)' });
    seen.add(p.id);
    checkIdentity(p, problems);
  }
  const serviceProviders = new Map<string, string>();
  for (const p of plugins) {
    if (!p.provides || isDriverRef(p.provides)) continue;
    const other = serviceProviders.get(p.provides.id);
    if (other && other !== p.id) problems.push({ pluginId: p.id, message: `provides service ${p.provides.id}, which ${other} already provides` });
    serviceProviders.set(p.provides.id, p.id);
  }
  for (const id of Object.keys(pluginConfig)) {
    if (!seen.has(id)) problems.push({ pluginId: id, message: `daemon.json "plugins" names a plugin this build does not have (known: ${[...seen].sort().join(', ')})` });
  }
  const resolved = new Map(plugins.map((p) => [p, resolveConfig(p, pluginConfig[p.id], problems)]));
  let ordered: AnyPlugin[] = [];
  try {
    ordered = orderPlugins([...new Map(plugins.map((p) => [p.id, p])).values()]);
  } catch (err) {
    problems.push({ pluginId: 'build', message: EngineError.is(err) ? err.message : String(err) });
  }
  if (problems.length) throw new BootError(problems);
  return ordered.map((plugin) => ({ plugin, ...resolved.get(plugin)! }));
}
