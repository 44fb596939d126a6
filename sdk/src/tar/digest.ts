/**
 * sha256 while streaming: layer DiffIDs and blob digests are computed in the same pass that
 * extracts or stores the bytes, never by reading them twice.
 * @packageDocumentation
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { TarSource } from './byte-reader.js';

/** A digest in OCI form and the number of bytes it covers. */
export interface DigestResult {
  /** `sha256:<64 hex>`. */
  readonly digest: `sha256:${string}`;
  /** Number of bytes hashed. */
  readonly size: number;
}

/** A pass-through view of a source plus the digest it resolves to once fully consumed. */
export interface DigestedStream {
  /** The source's bytes, unchanged, with the source's back-pressure. */
  readonly stream: AsyncGenerator<Buffer>;
  /**
   * Resolves once `stream` was read to its end; rejects if the source failed or the consumer
   * stopped early (the digest of a prefix would be a wrong answer, not a partial one).
   */
  readonly result: Promise<DigestResult>;
}

const finish = (hash: Hash, size: number): DigestResult => ({ digest: `sha256:${hash.digest('hex')}`, size });

function deferred(): { promise: Promise<DigestResult>; resolve: (r: DigestResult) => void; reject: (e: unknown) => void } {
  let resolve!: (r: DigestResult) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<DigestResult>((res, rej) => ((resolve = res), (reject = rej)));
  // Awaited or not (callers often look only after draining), a failure must not crash the process.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

function toBuffer(c: Buffer | Uint8Array | string): Buffer {
  if (Buffer.isBuffer(c)) return c;
  return typeof c === 'string' ? Buffer.from(c) : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
}

/** A pass-through stream that hashes what flows through it; {@link DigestTransform.result} settles at its end. */
export class DigestTransform extends Transform {
  private readonly hash = createHash('sha256');
  private size = 0;
  private readonly settle = deferred();
  /** Resolves when the stream ends; rejects if it is destroyed first. */
  readonly result: Promise<DigestResult> = this.settle.promise;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.settle.resolve(finish(this.hash, this.size));
    cb();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.settle.reject(err ?? new Error('stream destroyed before its end'));
    cb(err);
  }
}

/** Wraps `source` so its sha256 and size are computed as the returned stream is consumed. */
export function digestStream(source: TarSource): DigestedStream {
  const settle = deferred();
  async function* stream(): AsyncGenerator<Buffer> {
    const hash = createHash('sha256');
    let size = 0;
    let complete = false;
    try {
      for await (const c of source as AsyncIterable<Buffer | Uint8Array | string>) {
        const b = toBuffer(c);
        hash.update(b);
        size += b.length;
        yield b;
      }
      complete = true;
      settle.resolve(finish(hash, size));
    } catch (err) {
      settle.reject(err);
      throw err;
    } finally {
      if (!complete) settle.reject(new Error('digest incomplete: the stream was not read to its end'));
    }
  }
  return { stream: stream(), result: settle.promise };
}

/** The sha256 digest and size of everything `source` yields (reads it to the end). */
export async function digestOf(source: TarSource): Promise<DigestResult> {
  const d = digestStream(source);
  for await (const _ of d.stream) {
    // draining: digestStream hashes as bytes pass
  }
  return d.result;
}
