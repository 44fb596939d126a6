/**
 * Pulling exact byte counts out of a chunked source, with back-pressure: nothing is read from the
 * source before a consumer asks for it.
 * @packageDocumentation
 */
import { TarError } from './errors.js';

/** What the reader accepts: any async iterable of bytes (a Node Readable is one). */
export type TarSource = AsyncIterable<Buffer | Uint8Array | string> | NodeJS.ReadableStream;

function toBuffer(c: Buffer | Uint8Array | string): Buffer {
  return typeof c === 'string' ? Buffer.from(c, 'latin1') : Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
}

/** Byte-exact reads over a {@link TarSource}. */
export class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private readonly it: AsyncIterator<Buffer | Uint8Array | string>;
  private ended = false;
  /** Bytes handed out so far (the archive offset). */
  offset = 0;

  constructor(source: TarSource) {
    this.it = (source as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }

  private async fill(n: number): Promise<boolean> {
    if (this.buf.length >= n) return true;
    // Collect, then concatenate once: many small chunks must not cost quadratic copying.
    const parts: Buffer[] = [this.buf];
    let have = this.buf.length;
    while (have < n && !this.ended) {
      const r = await this.it.next();
      if (r.done) this.ended = true;
      else {
        const b = toBuffer(r.value);
        parts.push(b);
        have += b.length;
      }
    }
    this.buf = parts.length === 1 ? parts[0]! : parts.length === 2 && !parts[0]!.length ? parts[1]! : Buffer.concat(parts, have);
    return have >= n;
  }

  private take(n: number): Buffer {
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    this.offset += n;
    return out;
  }

  /** Exactly `n` bytes; null at a clean end (nothing left); a short read throws `what` was cut. */
  async read(n: number, what: string): Promise<Buffer | null> {
    if (!(await this.fill(n))) {
      if (this.buf.length === 0) return null;
      throw truncated(what);
    }
    return this.take(n);
  }

  /** Between 1 and `n` bytes, for streaming bodies without copying them together. */
  async chunk(n: number, what: string): Promise<Buffer> {
    if (!(await this.fill(1))) throw truncated(what);
    return this.take(Math.min(n, this.buf.length));
  }

  /** Whatever is buffered or arrives next (empty at the end). */
  async rest(): Promise<Buffer> {
    if (!(await this.fill(1))) return Buffer.alloc(0);
    return this.take(this.buf.length);
  }

  /** Stops reading: lets the source release its resources (a Readable is destroyed). */
  async close(): Promise<void> {
    if (!this.ended) {
      this.ended = true;
      await this.it.return?.();
    }
  }
}

function truncated(what: string): TarError {
  return new TarError('ERR_TAR_MALFORMED', `unexpected end of archive (truncated) in ${what}`);
}
