/**
 * fluentd options with Docker's defaults and messages: `fluentd-address` (tcp://host:port,
 * host:port, unix:///path; default 127.0.0.1:24224), buffer limit (default 1 MiB), retry wait
 * (default 1s), max retries, async, sub-second precision, and the accepted-but-unused
 * request-ack and timeouts.
 */
import { InvalidArgumentError } from '@keel/sdk';
import { checkLogOptKeys, parseGoBool, parseGoDuration, parseHumanSize } from '@keel/sdk/logging';

const KEYS = ['fluentd-address', 'fluentd-async', 'fluentd-async-reconnect-interval', 'fluentd-buffer-limit', 'fluentd-max-retries', 'fluentd-request-ack', 'fluentd-retry-wait', 'fluentd-sub-second-precision', 'fluentd-write-timeout', 'fluentd-read-timeout'];

/** The parsed options. */
export interface FluentdConfig {
  readonly target: { readonly path: string } | { readonly host: string; readonly port: number };
  readonly bufferLimit: number;
  readonly retryWaitMs: number;
  readonly maxRetries: number;
  readonly async: boolean;
  readonly subSecond: boolean;
}

function parseAddress(address: string | undefined): FluentdConfig['target'] {
  if (!address) return { host: '127.0.0.1', port: 24224 };
  const full = address.includes('://') ? address : `tcp://${address}`;
  const m = /^([a-z]+):\/\/(.*)$/.exec(full)!;
  const bad = (why: string) => new InvalidArgumentError(`invalid fluentd-address (${address}): ${why}`);
  if (m[1] === 'unix') {
    if (!m[2]!.replace(/^\/+/, '')) throw bad('path is empty');
    return { path: m[2]! };
  }
  if (m[1] !== 'tcp' && m[1] !== 'tls') throw bad(`unsupported scheme: '${m[1]}'`);
  const hp = /^(\[[^\]]+\]|[^:/]*)(?::(\d+))?(\/.*)?$/.exec(m[2]!);
  if (!hp || hp[3]) throw bad('should not contain a path element');
  return { host: hp[1]!.replace(/^\[|\]$/g, '') || '127.0.0.1', port: hp[2] ? Number(hp[2]) : 24224 };
}

/** Checks and parses fluentd options. */
export function parseFluentdOptions(o: Readonly<Record<string, string>>): FluentdConfig {
  checkLogOptKeys('fluentd', o, KEYS);
  const target = parseAddress(o['fluentd-address']);
  let maxRetries = 2 ** 31 - 1;
  if (o['fluentd-max-retries']) {
    if (!/^\d+$/.test(o['fluentd-max-retries'])) throw new InvalidArgumentError(`strconv.ParseUint: parsing ${JSON.stringify(o['fluentd-max-retries'])}: invalid syntax`);
    maxRetries = Number(o['fluentd-max-retries']);
    if (maxRetries > 2 ** 31 - 1) throw new InvalidArgumentError('invalid fluentd-max-retries: value out of range');
  }
  for (const key of ['fluentd-request-ack']) if (o[key]) parseGoBool(o[key]!);
  for (const key of ['fluentd-write-timeout', 'fluentd-read-timeout', 'fluentd-async-reconnect-interval']) if (o[key]) parseGoDuration(o[key]!);
  return {
    target,
    bufferLimit: o['fluentd-buffer-limit'] ? ramInBytes(o['fluentd-buffer-limit']) : 1024 * 1024,
    retryWaitMs: o['fluentd-retry-wait'] ? parseGoDuration(o['fluentd-retry-wait']) : 1000,
    maxRetries,
    async: o['fluentd-async'] ? parseGoBool(o['fluentd-async']) : false,
    subSecond: o['fluentd-sub-second-precision'] ? parseGoBool(o['fluentd-sub-second-precision']) : false,
  };
}

/** Docker's RAMInBytes: like FromHumanSize, but k/m/g are powers of 1024. */
function ramInBytes(text: string): number {
  const decimal = parseHumanSize(text);
  const sfx = /[kmgtp]/i.exec(text.replace(/[0-9. ]/g, ''))?.[0]?.toLowerCase();
  const power = sfx ? 'kmgtp'.indexOf(sfx) + 1 : 0;
  return power ? Math.trunc((decimal / 1000 ** power) * 1024 ** power) : decimal;
}
