/**
 * Transparent decompression of layer input: gzip (magic `1f 8b`) is inflated with Node's zlib,
 * anything else passes through. Formats keel cannot read (zstd, xz, bzip2) are named in a clear
 * error instead of surfacing as a checksum mismatch. Output is capped against gzip bombs.
 * @packageDocumentation
 */
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { TarSource } from './byte-reader.js';
import { TarError } from './errors.js';

/** Compression formats recognised from the first bytes of a stream. */
export type Compression = 'gzip' | 'zstd' | 'xz' | 'bzip2' | 'none';

/** Options of {@link maybeGunzip}. */
export interface GunzipOptions {
  /** Most decompressed bytes before `ERR_TAR_LIMIT` (default: no limit). */
  readonly maxBytes?: number;
}

/** The compression of a stream that starts with `head` (at least 10 bytes for a sure answer). */
export function detectCompression(head: Uint8Array): Compression {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  if (b.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd';
  if (b.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  // "BZh" + level + the block magic: a tar entry name could start with "BZh" alone.
  if (/^BZh[1-9]1AY&SY/.test(b.subarray(0, 10).toString('latin1'))) return 'bzip2';
  return 'none';
}

type Chunk = Buffer | Uint8Array | string;

const asBuffer = (c: Chunk): Buffer => (typeof c === 'string' ? Buffer.from(c, 'latin1') : Buffer.from(c));

/** Reads chunks until `n` bytes are buffered (or the input ends). */
async function peek(it: AsyncIterator<Chunk>, n: number): Promise<{ head: Buffer; done: boolean }> {
  const parts: Buffer[] = [];
  let have = 0;
  while (have < n) {
    const r = await it.next();
    if (r.done) return { head: Buffer.concat(parts), done: true };
    const b = asBuffer(r.value);
    parts.push(b);
    have += b.length;
  }
  return { head: Buffer.concat(parts), done: false };
}

async function* resume(head: Buffer, it: AsyncIterator<Chunk>, done: boolean): AsyncGenerator<Buffer> {
  try {
    if (head.length) yield head;
    if (done) return;
    for (let r = await it.next(); !r.done; r = await it.next()) yield asBuffer(r.value);
  } finally {
    await it.return?.();
  }
}

async function* gunzip(input: AsyncGenerator<Buffer>, maxBytes: number): AsyncGenerator<Buffer> {
  const src = Readable.from(input, { objectMode: false });
  const gz = createGunzip();
  src.on('error', (err) => gz.destroy(err));
  src.pipe(gz);
  let total = 0;
  try {
    for await (const c of gz as AsyncIterable<Buffer>) {
      total += c.length;
      if (total > maxBytes) throw new TarError('ERR_TAR_LIMIT', `decompressed data exceeds ${maxBytes} bytes`);
      yield c;
    }
  } catch (err) {
    // zlib errors carry Z_* codes: the input is not valid gzip (or is cut short).
    if (err instanceof Error && /^Z_/.test(String((err as NodeJS.ErrnoException).code))) {
      throw new TarError('ERR_TAR_MALFORMED', `invalid gzip data (${err.message})`);
    }
    throw err;
  } finally {
    src.destroy();
    gz.destroy();
  }
}

/**
 * Passes gzip input through gunzip and anything uncompressed unchanged, as an async iterable
 * with back-pressure. zstd, xz and bzip2 input is refused with `ERR_TAR_UNSUPPORTED`.
 * @param source - the (maybe compressed) bytes
 * @param options - the output cap
 */
export async function* maybeGunzip(source: TarSource, options: GunzipOptions = {}): AsyncGenerator<Buffer> {
  const it = (source as AsyncIterable<Chunk>)[Symbol.asyncIterator]();
  const { head, done } = await peek(it, 10);
  const kind = detectCompression(head);
  const input = resume(head, it, done);
  if (kind === 'gzip') {
    yield* gunzip(input, options.maxBytes ?? Number.MAX_SAFE_INTEGER);
    return;
  }
  if (kind !== 'none') {
    await input.return(undefined);
    throw new TarError('ERR_TAR_UNSUPPORTED', `${kind}-compressed data is not supported (use gzip or an uncompressed tar)`);
  }
  yield* input;
}
