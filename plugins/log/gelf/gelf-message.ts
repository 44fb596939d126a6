/**
 * GELF 1.1 messages as Docker's gelf driver builds them (version, host, short_message,
 * timestamp in seconds with milliseconds, level 6/3, the `_container_*`, `_image_*`, `_command`,
 * `_tag`, `_created` fields and the selected labels/env as `_<key>`), the options check with
 * Docker's wording, and UDP chunking per the GELF spec.
 */
import { randomBytes } from 'node:crypto';
import { InvalidArgumentError, type LogEntry, type LogInfo } from '@keel/sdk';
import { COMMON_LOG_OPTS, extraAttributes, renderLogTag } from '@keel/sdk/logging';

/** The parsed `gelf-address`. */
export interface GelfAddress {
  readonly scheme: 'udp' | 'tcp';
  readonly host: string;
  readonly port: number;
}

/** Parses `gelf-address` with Docker's messages. */
export function parseGelfAddress(address: string | undefined): GelfAddress {
  if (!address) throw new InvalidArgumentError('gelf-address is a required parameter');
  const m = /^([a-z]+):\/\/(\[[^\]]+\]|[^:/]*)(?::(\d+))?\/?$/.exec(address);
  if (!m || (m[1] !== 'udp' && m[1] !== 'tcp')) throw new InvalidArgumentError('gelf: endpoint needs to be TCP or UDP');
  if (!m[3]) throw new InvalidArgumentError('gelf: please provide gelf-address as proto://host:port');
  return { scheme: m[1], host: m[2]!.replace(/^\[|\]$/g, ''), port: Number(m[3]) };
}

/** Checks gelf options (Docker's ValidateLogOpt). */
export function validateGelfOptions(options: Readonly<Record<string, string>>): GelfAddress {
  const address = parseGelfAddress(options['gelf-address']);
  for (const [key, val] of Object.entries(options)) {
    if (COMMON_LOG_OPTS.includes(key) || key === 'gelf-address') continue;
    if (key === 'gelf-compression-level' || key === 'gelf-compression-type') {
      if (address.scheme !== 'udp') throw new InvalidArgumentError('compression is only supported on UDP');
      const ok = key === 'gelf-compression-type' ? ['gzip', 'zlib', 'none'].includes(val) : /^-?\d+$/.test(val) && Number(val) >= -1 && Number(val) <= 9;
      if (!ok) throw new InvalidArgumentError(`unknown value ${JSON.stringify(val)} for log opt ${JSON.stringify(key)} for gelf log driver`);
    } else if (key === 'gelf-tcp-max-reconnect' || key === 'gelf-tcp-reconnect-delay') {
      if (address.scheme !== 'tcp') throw new InvalidArgumentError(`${JSON.stringify(key)} is only valid for TCP`);
      if (!/^\d+$/.test(val)) throw new InvalidArgumentError(`${JSON.stringify(key)} must be a positive integer`);
    } else {
      throw new InvalidArgumentError(`unknown log opt ${JSON.stringify(key)} for gelf log driver`);
    }
  }
  return address;
}

/** Builds the JSON of each entry's GELF message; the per-container fields are made once. */
export function gelfEncoder(info: LogInfo, host: string): (e: LogEntry) => string | undefined {
  const extra: Record<string, string> = {
    _container_id: info.containerId, _container_name: info.containerName, _image_id: info.imageId, _image_name: info.imageName,
    _command: (info.command ?? []).join(' '), _tag: renderLogTag(info, host), _created: info.containerCreated,
    ...extraAttributes(info, (k) => (k.startsWith('_') ? k : `_${k}`)),
  };
  const tail = JSON.stringify(extra).slice(1);
  const head = `{"version":"1.1","host":${JSON.stringify(host)},`;
  return (e) => {
    if (!e.line.length) return undefined; // Docker skips empty lines
    const ms = Number(BigInt(e.timeNano) / 1_000_000n);
    return `${head}"short_message":${JSON.stringify(Buffer.from(e.line).toString())},"timestamp":${ms / 1000},"level":${e.stream === 'stderr' ? 3 : 6},${tail}`;
  };
}

/** Datagrams larger than this are chunked (the spec's limit for a UDP datagram). */
export const GELF_CHUNK_THRESHOLD = 8192;
const CHUNK_DATA = GELF_CHUNK_THRESHOLD - 12;

/** Splits a (compressed) message into GELF chunks: magic 0x1e0f, 8-byte id, index, count. */
export function gelfChunks(message: Buffer): Buffer[] {
  if (message.length <= GELF_CHUNK_THRESHOLD) return [message];
  const count = Math.ceil(message.length / CHUNK_DATA);
  if (count > 128) return []; // the spec's maximum: such a message cannot be sent
  const id = randomBytes(8);
  return Array.from({ length: count }, (_, i) => Buffer.concat([Buffer.from([0x1e, 0x0f]), id, Buffer.from([i, count]), message.subarray(i * CHUNK_DATA, (i + 1) * CHUNK_DATA)]));
}
