/**
 * Content-addressed blobs (`sha256:<hex>` → bytes) under `<root>/sha256/`: image configs (kept
 * byte-exact, so image IDs match Docker's) and the uncompressed tars of layers (so a save gives
 * back the exact bytes and DiffIDs). Writes go to a temp file, are verified and fsynced, then
 * renamed: a blob is either whole and correct, or absent.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError, NotFoundError } from '@keel/sdk';
import { DigestTransform } from '@keel/sdk/tar';

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Throws unless `digest` is a sha256 digest. */
export function assertDigest(digest: string): void {
  if (!DIGEST.test(digest)) throw new InvalidArgumentError(`invalid digest "${digest}"`);
}

/** sha256 of bytes, as a digest. */
export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** A blob's digest and size. */
export interface BlobInfo {
  readonly digest: string;
  readonly size: number;
}

async function fsyncFile(file: string): Promise<void> {
  const fh = await open(file, 'r');
  await fh.sync().finally(() => fh.close());
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
    return createReadStream(this.path(digest), { highWaterMark: 1 << 20 });
  }

  /** Stores bytes; returns their digest. */
  async put(data: Buffer): Promise<string> {
    const digest = sha256(data);
    if (await this.has(digest)) return digest;
    const tmp = await this.tempFile();
    try {
      const fh = await open(tmp, 'w', 0o600);
      await fh.writeFile(data).then(() => fh.sync()).finally(() => fh.close());
      await rename(tmp, this.path(digest));
    } finally {
      await rm(tmp, { force: true });
    }
    return digest;
  }

  /** Stores a stream; with `expected`, a different digest is refused (nothing is kept). */
  async ingest(source: Readable | AsyncIterable<Buffer>, expected?: string): Promise<BlobInfo> {
    const tmp = await this.tempFile();
    const hasher = new DigestTransform();
    try {
      await pipeline(source, hasher, createWriteStream(tmp, { mode: 0o600 }));
      const { digest, size } = await hasher.result;
      if (expected && digest !== expected) throw new InvalidArgumentError(`digest mismatch: expected ${expected}, got ${digest}`);
      await fsyncFile(tmp);
      await rename(tmp, this.path(digest));
      return { digest, size };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  /**
   * Takes over a file on this filesystem whose digest the caller has verified (a staged layer):
   * renamed into the store, no second copy of the bytes.
   */
  async adopt(file: string, verified: BlobInfo): Promise<BlobInfo> {
    await mkdir(path.join(this.root, 'sha256'), { recursive: true, mode: 0o700 });
    await fsyncFile(file);
    await rename(file, this.path(verified.digest));
    return verified;
  }

  async delete(digest: string): Promise<void> {
    await rm(this.path(digest), { force: true });
  }

  /** Every stored digest. */
  async list(): Promise<string[]> {
    const names = await readdir(path.join(this.root, 'sha256')).catch(() => [] as string[]);
    return names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }

  /** Removes temp files a crash left behind, and every blob `keep` rejects. Returns how many blobs went. */
  async sweep(keep: (digest: string) => boolean): Promise<number> {
    await rm(path.join(this.root, 'tmp'), { recursive: true, force: true });
    const orphans = (await this.list()).filter((d) => !keep(d));
    for (const d of orphans) await this.delete(d);
    return orphans.length;
  }

  private async tempFile(): Promise<string> {
    await mkdir(path.join(this.root, 'sha256'), { recursive: true, mode: 0o700 });
    await mkdir(path.join(this.root, 'tmp'), { recursive: true, mode: 0o700 });
    return path.join(this.root, 'tmp', randomBytes(8).toString('hex'));
  }
}
