/**
 * The daemon configuration: `daemon.json` merged with command-line flags, both in dockerd's key
 * names. As dockerd does, an unknown key or a key given both as a flag and in the file is an
 * error that names the key; so is a value of the wrong type.
 */
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, type ConfigService } from '@keel/sdk';
import { DAEMON_DEFAULTS, DAEMON_KEYS, LOG_LEVELS, RELOADABLE_KEYS, type KeyType } from './daemon-keys.js';

/** Where the configuration comes from. */
export interface ConfigSources {
  /** Flags given on the command line, by daemon key (only those the user set). */
  readonly flags: Readonly<Record<string, unknown>>;
  /** The daemon.json path. */
  readonly configFile: string;
  /** True when the path was given explicitly (then a missing file is an error). */
  readonly configFileExplicit: boolean;
}

function typeOk(type: KeyType, v: unknown): boolean {
  switch (type) {
    case 'string': return typeof v === 'string';
    case 'boolean': return typeof v === 'boolean';
    case 'integer': return Number.isInteger(v);
    case 'string[]': return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'object': return !!v && typeof v === 'object' && !Array.isArray(v);
    case 'object[]': return Array.isArray(v) && v.every((x) => !!x && typeof x === 'object' && !Array.isArray(x));
  }
}

const TYPE_WORDS: Record<KeyType, string> = {
  string: 'a string', boolean: 'a boolean', integer: 'an integer', 'string[]': 'a list of strings', object: 'an object', 'object[]': 'a list of objects',
};

/** Checks keys and types of a daemon configuration object; throws InvalidArgument naming the keys. */
export function validateDaemonKeys(values: Readonly<Record<string, unknown>>, origin: string): void {
  const unknown = Object.keys(values).filter((k) => !(k in DAEMON_KEYS));
  if (unknown.length) {
    throw new InvalidArgumentError(`${origin}: the following directives don't match any configuration option: ${unknown.sort().join(', ')}`, { code: 'ERR_CONFIG_UNKNOWN_KEY' });
  }
  for (const [key, value] of Object.entries(values)) {
    const type = DAEMON_KEYS[key]!;
    if (!typeOk(type, value)) {
      throw new InvalidArgumentError(`${origin}: "${key}" must be ${TYPE_WORDS[type]}, got ${JSON.stringify(value)}`, { code: 'ERR_CONFIG_TYPE' });
    }
  }
  const level = values['log-level'];
  if (typeof level === 'string' && !LOG_LEVELS.includes(level)) {
    throw new InvalidArgumentError(`${origin}: "log-level" must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`, { code: 'ERR_CONFIG_TYPE' });
  }
}

/** Reads and validates daemon.json; a missing default file is an empty configuration. */
export async function readConfigFile(file: string, explicit: boolean): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !explicit) return {};
    throw new InvalidArgumentError(`unable to configure the daemon: cannot read ${file}: ${(err as Error).message}`, { code: 'ERR_CONFIG_READ' });
  }
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`unable to configure the daemon: ${file} is not valid JSON: ${(err as Error).message}`, { code: 'ERR_CONFIG_JSON' });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidArgumentError(`unable to configure the daemon: ${file} must hold a JSON object`, { code: 'ERR_CONFIG_JSON' });
  }
  validateDaemonKeys(parsed as Record<string, unknown>, `unable to configure the daemon with file ${file}`);
  return parsed as Record<string, unknown>;
}

/** Merges defaults, file and flags; a key set both as a flag and in the file is an error (dockerd's rule). */
export function mergeDaemonConfig(flags: Readonly<Record<string, unknown>>, file: Readonly<Record<string, unknown>>): Record<string, unknown> {
  validateDaemonKeys(flags, 'invalid flags');
  const both = Object.keys(flags).filter((k) => k in file);
  if (both.length) {
    const detail = both.map((k) => `${k}: (from flag: ${JSON.stringify(flags[k])}, from file: ${JSON.stringify(file[k])})`).join(', ');
    throw new InvalidArgumentError(`the following directives are specified both as a flag and in the configuration file: ${detail}`, { code: 'ERR_CONFIG_CONFLICT' });
  }
  return { ...DAEMON_DEFAULTS, ...file, ...flags };
}

/** Loads the effective configuration from its sources. */
export async function loadDaemonConfig(sources: ConfigSources): Promise<Record<string, unknown>> {
  const file = await readConfigFile(sources.configFile, sources.configFileExplicit);
  return mergeDaemonConfig(sources.flags, file);
}

/** The live configuration: read by plugins, replaced (reloadable keys only) on SIGHUP. */
export class DaemonConfig implements ConfigService {
  private values: Readonly<Record<string, unknown>>;
  private readonly listeners: Array<(changed: readonly string[]) => void> = [];

  constructor(values: Record<string, unknown>, private readonly sources?: ConfigSources) {
    this.values = Object.freeze({ ...values });
  }

  get<T = unknown>(key: string): T | undefined {
    return this.values[key] as T | undefined;
  }

  snapshot(): Readonly<Record<string, unknown>> {
    return this.values;
  }

  onReload(fn: (changed: readonly string[]) => void): void {
    this.listeners.push(fn);
  }

  /**
   * Re-reads the file and applies the reloadable keys that changed; flags keep precedence.
   * Listeners run even when nothing changed (Docker reports every reload). Returns the changed
   * keys; an invalid file throws and leaves the configuration as it was.
   */
  async reload(): Promise<string[]> {
    if (!this.sources) return [];
    const next = await loadDaemonConfig(this.sources);
    const changed = RELOADABLE_KEYS.filter((k) => JSON.stringify(next[k]) !== JSON.stringify(this.values[k]));
    const updated: Record<string, unknown> = { ...this.values };
    for (const k of changed) updated[k] = next[k];
    this.values = Object.freeze(updated);
    for (const fn of this.listeners) fn(changed);
    return changed;
  }
}
