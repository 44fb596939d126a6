/**
 * The json-file driver's options (Docker's: max-size, max-file, compress and the common
 * labels/env/tag attributes) and file layout (`<logDirectory>/<id>-json.log`, rotated to
 * `.1` … `.<max-file - 1>`, gzipped when `compress`).
 */
import { hostname } from 'node:os';
import { InvalidArgumentError, type LogInfo } from '@keel/sdk';
import { checkLogOptKeys, extraAttributes, parseGoBool, parseGoInt, parseHumanSize, renderLogTag, type FileLogFormat, type RotationPolicy } from '@keel/sdk/logging';
import { jsonFileCodec } from './json-file-codec.js';

/** Parses and checks json-file options, with Docker's messages. */
export function jsonFileRotation(options: Readonly<Record<string, string>>): RotationPolicy {
  checkLogOptKeys('json-file', options, ['max-size', 'max-file', 'compress']);
  let maxSize = 0;
  if (options['max-size'] !== undefined) {
    maxSize = parseHumanSize(options['max-size']);
    if (maxSize <= 0) throw new InvalidArgumentError('max-size must be a positive number');
  }
  let maxFiles = 1;
  if (options['max-file'] !== undefined) {
    maxFiles = parseGoInt(options['max-file']);
    if (maxFiles < 1) throw new InvalidArgumentError('max-file cannot be less than 1');
  }
  const compress = options.compress !== undefined && parseGoBool(options.compress);
  if (compress && (maxFiles === 1 || !maxSize)) throw new InvalidArgumentError('compress cannot be true when max-file is less than 2 or max-size is not set');
  return { maxSize, maxFiles, compress };
}

/** The json-file format for {@link FileLogDriver}. */
export const jsonFileFormat: FileLogFormat = {
  validateOptions: (options) => void jsonFileRotation(options),
  rotation: jsonFileRotation,
  fileName: (info) => `${info.containerId}-json.log`,
  codec(info: LogInfo) {
    const attrs = extraAttributes(info);
    // Like Docker, a tag is recorded only when the user asked for one.
    if (info.options.tag) attrs.tag = renderLogTag(info, hostname(), '');
    return jsonFileCodec(attrs);
  },
};
