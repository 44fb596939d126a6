/**
 * Streaming tar writer: ustar blocks, with a PAX header in front only when an entry needs one
 * (long or non-ASCII names and targets, big sizes or ids, fractional times, xattrs with binary
 * values). Back-pressure: each `add` resolves once the consumer has taken its bytes.
 * @packageDocumentation
 */
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { TarError } from './errors.js';
import { encodeBlock, padding, type TarHeader } from './header.js';
import { encodePaxHeader } from './pax.js';

/** What {@link TarWriter.add} takes: a header whose other fields default (mode 0644/0755, ids 0, mtime 0). */
export type TarWriterEntry = Partial<TarHeader> & Pick<TarHeader, 'path' | 'type'>;

/** Content of a file entry: bytes, or a stream/iterable of chunks. */
export type TarBody = Buffer | Uint8Array | AsyncIterable<Buffer | Uint8Array | string> | NodeJS.ReadableStream;

/**
 * Writes a tar archive to {@link TarWriter.readable}.
 *
 * @example
 * const w = new TarWriter();
 * pipeline(w.readable, createWriteStream('out.tar')).catch(onError);
 * await w.add({ path: 'etc/hostname', type: 'file', size: 5 }, Buffer.from('keel\n'));
 * await w.finish();
 */
export class TarWriter {
  private readonly out = new PassThrough({ highWaterMark: 1 << 20 });
  private finished = false;
  /** The archive bytes. */
  readonly readable: Readable = this.out;

  private async write(b: Buffer): Promise<void> {
    if (this.out.destroyed) throw new Error('tar output was closed by its consumer');
    if (!this.out.write(b)) await Promise.race([once(this.out, 'drain'), once(this.out, 'close')]);
  }

  /**
   * Adds an entry. For files, `body` must hold exactly `size` bytes (`size` defaults to the length
   * of a Buffer body); other types carry no data.
   * @throws TarError `ERR_TAR_MALFORMED` when the body's length differs from `size`, or a name has a NUL
   */
  async add(entry: TarWriterEntry, body?: TarBody): Promise<void> {
    if (this.finished) throw new Error('TarWriter.add after finish');
    const bodyLength = body instanceof Uint8Array ? body.length : 0;
    const size = entry.type === 'file' ? entry.size ?? bodyLength : 0;
    const header: TarHeader = { mode: entry.type === 'dir' ? 0o755 : 0o644, uid: 0, gid: 0, mtime: 0, ...entry, size };
    for (const s of [header.path, header.linkpath ?? '']) {
      if (s.includes('\0')) throw new TarError('ERR_TAR_MALFORMED', 'names cannot contain NUL bytes', header.path);
    }
    // A PAX key ends at the first '=': such a name would be read back as another one.
    const badXattr = Object.keys(header.xattrs ?? {}).find((k) => /[=\0]/.test(k) || !k);
    if (badXattr !== undefined) throw new TarError('ERR_TAR_MALFORMED', `xattr name ${JSON.stringify(badXattr)} cannot be stored`, header.path);
    const { block, pax } = encodeBlock(header);
    if (pax.length) await this.write(encodePaxHeader(pax, header.path, header.mtime));
    await this.write(block);
    const written = size > 0 && body !== undefined ? await this.copy(body, size, header.path) : 0;
    if (written !== size) throw new TarError('ERR_TAR_MALFORMED', `body of ${written} bytes, ${size} declared`, header.path);
    if (padding(size)) await this.write(Buffer.alloc(padding(size)));
  }

  private async copy(body: TarBody, size: number, path: string): Promise<number> {
    const chunks = body instanceof Uint8Array ? [body] : (body as AsyncIterable<Buffer | Uint8Array | string>);
    let written = 0;
    for await (const c of chunks) {
      const b = typeof c === 'string' ? Buffer.from(c) : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
      written += b.length;
      if (written > size) throw new TarError('ERR_TAR_MALFORMED', `body larger than the ${size} bytes declared`, path);
      await this.write(b);
    }
    return written;
  }

  /** Writes the end-of-archive marker (two zero blocks) and ends the stream. */
  async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.write(Buffer.alloc(1024));
    this.out.end();
  }

  /** Ends the stream with an error (the consumer sees it), e.g. when a source file failed. */
  destroy(err: Error): void {
    this.finished = true;
    this.out.destroy(err);
  }
}
