/**
 * Content-addressed blobs (`sha256:<hex>` → bytes) under `<root>/sha256/`. Writes go to a temp
 * file, are verified and fsynced, then renamed: a blob is either whole and correct, or absent.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError, NotFoundError } from '@keel/sdk';

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Throws unless `digest` is a sha256 digest. */
export function assertDigest(digest: string): void {
  if (!DIGEST.test(digest)) throw new InvalidArgumentError(`invalid digest "${digest}"`);
}

/** sha256 of bytes, as a digest. */
export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** A pass-through that hashes and counts what flows through it. */
export class DigestStream extends Transform {
  private readonly hash = createHash('sha256');
  size = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    this.push(chunk);
    done();
  }
  /** The digest; valid once the stream has ended. */
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

/** The blob store. */
export class BlobStore {
  constructor(private readonly root: string) {}

  /** Path of a blob (which may not exist). */
  path(digest: string): string {
    assertDigest(digest);
    return path.join(this.root, 'sha256', digest.slice(7));
  }

  async has(digest: string): Promise<boolean> {
    return stat(this.path(digest)).then(() => true, () => false);
  }

  async size(digest: string): Promise<number> {
    return (await stat(this.path(digest))).size;
  }

  async read(digest: string): Promise<Buffer> {
    try {
      return await readFile(this.path(digest));
    } catch {
      throw new NotFoundError(`blob ${digest} not found`);
    }
  }

  open(digest: string): Readable {
    return createReadStream(this.path(digest));
  }

  /** Stores bytes; returns their digest. */
  async put(data: Buffer): Promise<string> {
    const digest = sha256(data);
    if (await this.has(digest)) return digest;
    const tmp = await this.tempFile();
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path(digest));
    return digest;
  }

  /**
   * Stores a stream; with `expected`, a different digest is refused (nothing is kept).
   * Returns the digest and size.
   */
  async ingest(source: Readable, expected?: string): Promise<{ digest: string; size: number }> {
    const tmp = await this.tempFile();
    const hasher = new DigestStream();
    try {
      await pipeline(source, hasher, createWriteStream(tmp, { mode: 0o600 }));
      const digest = hasher.digest();
      if (expected && digest !== expected) throw new InvalidArgumentError(`digest mismatch: expected ${expected}, got ${digest}`);
      const fh = await open(tmp, 'r');
      await fh.sync().finally(() => fh.close());
      await rename(tmp, this.path(digest));
      return { digest, size: hasher.size };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /**
   * Takes over a file already on this filesystem (a staged layer): hashes it in place, checks
   * `expected`, and renames it into the store — no second copy of the bytes.
   */
  async adopt(file: string, expected?: string): Promise<{ digest: string; size: number }> {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    const digest = `sha256:${hash.digest('hex')}`;
    if (expected && digest !== expected) throw new InvalidArgumentError(`digest mismatch: expected ${expected}, got ${digest}`);
    await mkdir(path.join(this.root, 'sha256'), { recursive: true, mode: 0o700 });
    const fh = await open(file, 'r');
    await fh.sync().finally(() => fh.close());
    await rename(file, this.path(digest));
    return { digest, size };
  }

  async delete(digest: string): Promise<void> {
    await rm(this.path(digest), { force: true });
  }

  /** Removes temp files a crash left behind. */
  async sweep(): Promise<void> {
    const dir = path.join(this.root, 'tmp');
    for (const name of await readdir(dir).catch(() => [] as string[])) await rm(path.join(dir, name), { force: true, recursive: true });
  }

  private async tempFile(): Promise<string> {
    await mkdir(path.join(this.root, 'sha256'), { recursive: true, mode: 0o700 });
    await mkdir(path.join(this.root, 'tmp'), { recursive: true, mode: 0o700 });
    return path.join(this.root, 'tmp', randomBytes(8).toString('hex'));
  }
}
