/**
 * Option parsing shared by log drivers, with Docker's semantics and wording so `docker run
 * --log-opt …` fails the same way on keel: sizes (`go-units` FromHumanSize: decimal `k`/`m`/`g`),
 * Go booleans and integers, the common `labels`/`env`/`tag` attributes and tag templates.
 */
import { InvalidArgumentError } from '../errors.js';
import type { LogInfo } from '../drivers/log.js';

/** The attribute options every Docker driver accepts besides its own. */
export const COMMON_LOG_OPTS: readonly string[] = ['env', 'env-regex', 'labels', 'labels-regex', 'tag'];

/**
 * Throws Docker's `unknown log opt 'k' for <driver> log driver` (or `message(key)`) for a key
 * outside `known` and the common attribute options, and the error of a bad `*-regex`.
 */
export function checkLogOptKeys(driver: string, options: Readonly<Record<string, string>>, known: readonly string[], message = (key: string) => `unknown log opt '${key}' for ${driver} log driver`): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key) && !COMMON_LOG_OPTS.includes(key)) throw new InvalidArgumentError(message(key));
  }
  for (const key of ['labels-regex', 'env-regex']) {
    const re = options[key];
    if (re) try { new RegExp(re); } catch { throw new InvalidArgumentError(`error parsing regexp: invalid ${key} ${JSON.stringify(re)}`); }
  }
}

const UNITS: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };

/** Docker's FromHumanSize (`10k` = 10 000, `1m`, `1.5g`, `20MB`, `100`); throws its messages. */
export function parseHumanSize(text: string): number {
  // Like go-units: the number ends at the last digit, dot or space; the rest is the suffix.
  const sep = Math.max(...[...'0123456789. '].map((c) => text.lastIndexOf(c)));
  if (sep < 0) throw new InvalidArgumentError(`invalid size: '${text}'`);
  const numText = text[sep] === ' ' ? text.slice(0, sep) : text.slice(0, sep + 1);
  const num = /^[+-]?(\d+\.?\d*|\.\d+)$/.test(numText) ? Number(numText) : NaN;
  if (Number.isNaN(num)) throw new InvalidArgumentError(`strconv.ParseFloat: parsing ${JSON.stringify(numText)}: invalid syntax`);
  if (num < 0) throw new InvalidArgumentError(`invalid size: '${text}'`);
  const sfx = text.slice(sep + 1).toLowerCase();
  if (!sfx || sfx === 'b') return Math.trunc(num);
  const mul = UNITS[sfx[0]!];
  if (!mul || sfx.length > 3 || (sfx.length === 2 && sfx[1] !== 'b') || (sfx.length === 3 && sfx.slice(1) !== 'ib')) {
    throw new InvalidArgumentError(`invalid suffix: '${sfx}'`);
  }
  return Math.trunc(num * mul);
}

/** Go's strconv.Atoi, with its error text. */
export function parseGoInt(text: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw new InvalidArgumentError(`strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`);
  return Number(text);
}

/** Go's strconv.ParseBool (`1`, `t`, `TRUE`, `false` …), with its error text. */
export function parseGoBool(text: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  throw new InvalidArgumentError(`strconv.ParseBool: parsing ${JSON.stringify(text)}: invalid syntax`);
}

/** Go's time.ParseDuration for the common units (`500ms`, `1s`, `1m30s`), in milliseconds. */
export function parseGoDuration(text: string): number {
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };
  const parts = [...text.matchAll(/([0-9.]+)(ns|us|µs|ms|s|m|h)/g)];
  if (text === '0') return 0;
  if (!parts.length || parts.map((p) => p[0]).join('') !== text) throw new InvalidArgumentError(`time: invalid duration ${JSON.stringify(text)}`);
  return parts.reduce((ms, p) => ms + Number(p[1]) * unit[p[2]!]!, 0);
}

/**
 * Docker's `ExtraAttributes`: the labels and env variables selected by the `labels`,
 * `labels-regex`, `env`, `env-regex` options, keys passed through `rename` (GELF adds `_`).
 */
export function extraAttributes(info: LogInfo, rename: (key: string) => string = (k) => k): Record<string, string> {
  const out: Record<string, string> = {};
  const pick = (source: Readonly<Record<string, string>>, list?: string, regex?: string) => {
    for (const k of list ? list.split(',') : []) if (k in source) out[rename(k)] = source[k]!;
    if (regex) { const re = new RegExp(regex); for (const [k, v] of Object.entries(source)) if (re.test(k)) out[rename(k)] = v; }
  };
  pick(info.labels, info.options.labels, info.options['labels-regex']);
  const env: Record<string, string> = {};
  for (const kv of info.env) { const eq = kv.indexOf('='); if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1); }
  pick(env, info.options.env, info.options['env-regex']);
  return out;
}

/**
 * The `tag` option rendered for a container (Docker's `ParseLogTag`): `{{.ID}}` (12 chars),
 * `{{.FullID}}`, `{{.Name}}`, `{{.ImageName}}`, `{{.ImageID}}`, `{{.ImageFullID}}`,
 * `{{.Command}}`, `{{.Hostname}}`, `{{.DaemonName}}`, mixed with text; `fallback` applies when
 * the option is absent or empty.
 */
export function renderLogTag(info: LogInfo, hostname: string, fallback = '{{.ID}}'): string {
  const template = info.options.tag || fallback;
  const fields: Record<string, string> = {
    ID: info.containerId.slice(0, 12), FullID: info.containerId, Name: info.containerName,
    ImageName: info.imageName, ImageID: shortImageId(info.imageId), ImageFullID: info.imageId,
    Command: (info.command ?? []).join(' '), Hostname: hostname, DaemonName: 'docker',
  };
  return template.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (whole, name: string) => {
    if (!(name in fields)) throw new InvalidArgumentError(`template: log-tag: can't evaluate field ${name} in ${whole}`);
    return fields[name]!;
  });
}

function shortImageId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** `timeNano` padded to a fixed width, so decimal strings compare as numbers. */
export const sortableNano = (timeNano: string): string => timeNano.padStart(22, '0');

/** Unix seconds (fractional) as a {@link sortableNano} string. */
export function secondsToSortableNano(seconds: number): string {
  const whole = Math.floor(seconds);
  const nanos = Math.round((seconds - whole) * 1e9);
  return sortableNano((BigInt(whole) * 1_000_000_000n + BigInt(nanos)).toString());
}
