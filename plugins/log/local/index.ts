/**
 * `log.local`: compact binary records (see local-codec.ts) in `<logDirectory>/container.log`,
 * rotated and compressed by default like Docker's local driver (max-size 20m, max-file 5,
 * compress true), readable by `docker logs`.
 */
import { definePlugin, drivers, InvalidArgumentError } from '@keel/sdk';
import { checkLogOptKeys, FileLogDriver, parseGoBool, parseGoInt, parseHumanSize, type FileLogFormat, type RotationPolicy } from '@keel/sdk/logging';
import { localCodec } from './local-codec.js';

/** Parses and checks local options, with the messages of Docker's local driver. */
export function localRotation(options: Readonly<Record<string, string>>): RotationPolicy {
  checkLogOptKeys('local', options, ['max-size', 'max-file', 'compress'], (key) => `unknown log opt '${key}' for log driver local`);
  const wrap = (what: string, fn: () => number | boolean) => {
    try { return fn(); } catch (err) { throw new InvalidArgumentError(`${what}: ${(err as Error).message}`); }
  };
  const size = options['max-size'];
  const count = options['max-file'];
  const maxSize = size === undefined ? 20 * 1024 * 1024 : wrap(`invalid value for max-size: ${size}`, () => parseHumanSize(size)) as number;
  const maxFiles = count === undefined ? 5 : wrap(`invalid value for max-file: ${count}`, () => parseGoInt(count)) as number;
  const compress = options.compress === undefined ? true : wrap('invalid boolean value for compress', () => parseGoBool(options.compress!)) as boolean;
  if (maxSize < 0) throw new InvalidArgumentError('max-size must not be negative');
  if (maxFiles < 0) throw new InvalidArgumentError('max-file must not be negative');
  if (compress && maxFiles <= 1) throw new InvalidArgumentError('compression cannot be enabled when max file count is 1');
  return { maxSize, maxFiles: Math.max(maxFiles, 1), compress };
}

const localFormat: FileLogFormat = {
  validateOptions: (options) => void localRotation(options),
  rotation: localRotation,
  fileName: () => 'container.log',
  codec: () => localCodec,
};

export const localLogPlugin = definePlugin({
  id: 'log.local',
  sdk: '^1.0.0',
  description: 'compact binary records, rotated and compressed by default, readable by docker logs',
  provides: drivers.log,
  init(_deps, { lifecycle }) {
    const driver = new FileLogDriver(localFormat);
    lifecycle.onStop(() => driver.close());
    return driver;
  },
});
