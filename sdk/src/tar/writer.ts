/**
 * Streaming tar writer: PAX-capable ustar, with back-pressure (each `add` resolves once its bytes
 * were accepted by the readable side).
 * @packageDocumentation
 */
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { TarError } from './errors.js';
import { encodeHeader, type TarHeader } from './header.js';

/** What `add` takes: a header (missing fields default) and an optional body. */
export type TarWriterEntry = Partial<TarHeader> & Pick<TarHeader, 'path' | 'type'>;

/** Writes a tar archive to `readable`. */
export class TarWriter {
  private readonly out = new PassThrough({ highWaterMark: 1 << 20 });
  /** The archive bytes. */
  readonly readable: Readable = this.out;

  private async write(b: Buffer): Promise<void> {
    if (this.out.destroyed) throw new Error('tar output closed');
    if (!this.out.write(b)) await Promise.race([once(this.out, 'drain'), once(this.out, 'close')]);
  }

  /** Adds an entry; for files, `body` must hold exactly `size` bytes. */
  async add(entry: TarWriterEntry, body?: Buffer | AsyncIterable<Buffer | Uint8Array | string> | NodeJS.ReadableStream): Promise<void> {
    const size = entry.type === 'file' ? entry.size ?? (Buffer.isBuffer(body) ? body.length : 0) : 0;
    const header: TarHeader = { mode: entry.type === 'dir' ? 0o755 : 0o644, uid: 0, gid: 0, mtime: 0, ...entry, size };
    await this.write(encodeHeader(header));
    let written = 0;
    if (body !== undefined && size > 0) {
      const chunks = Buffer.isBuffer(body) ? [body] : (body as AsyncIterable<Buffer>);
      for await (const c of chunks) {
        const b = Buffer.from(c as Buffer);
        written += b.length;
        if (written > size) throw new TarError('ERR_TAR_MALFORMED', `body larger than the declared size ${size}`, entry.path);
        await this.write(b);
      }
    }
    if (written !== size) throw new TarError('ERR_TAR_MALFORMED', `body of ${written} bytes, declared ${size}`, entry.path);
    if (size % 512) await this.write(Buffer.alloc(512 - (size % 512)));
  }

  /** Writes the end-of-archive marker and ends the stream. */
  async finish(): Promise<void> {
    await this.write(Buffer.alloc(1024));
    this.out.end();
  }
}
