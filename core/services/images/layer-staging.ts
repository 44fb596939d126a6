/**
 * Verifying a layer file of an unpacked archive before anything is registered: one read computes
 * the blob digest (checked against an OCI descriptor) and the DiffID of the uncompressed tar
 * (checked against the config). A compressed layer is inflated into a staged tar in the same
 * pass; that tar is what the layer store then adopts, so no byte is read a third time.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError } from '@keel/sdk';
import { detectCompression, digestOf, digestStream, maybeGunzip, TarError } from '@keel/sdk/tar';
import type { ArchiveLayer } from './archive-files.js';

/** A verified, uncompressed layer tar ready for the layer store. */
export interface StagedLayer {
  readonly file: string;
  readonly diffId: string;
  readonly size: number;
}

async function head(file: string): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(16);
    const { bytesRead } = await fh.read(b, 0, 16, 0);
    return b.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** `zstd -dc` as a stream (Node 20 has no zstd); refused clearly where the program is missing. */
function unzstd(source: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  const child = spawn('zstd', ['-dcq'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => void (stderr += c.toString()));
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? new TarError('ERR_TAR_UNSUPPORTED', 'zstd-compressed layers need the zstd program, which is not installed') : err));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new TarError('ERR_TAR_MALFORMED', `invalid zstd data (${stderr.trim() || `exit ${code}`})`))));
  });
  done.catch(() => undefined);
  pipeline(Readable.from(source), child.stdin).catch(() => undefined);
  return (async function* () {
    try {
      for await (const c of child.stdout as AsyncIterable<Buffer>) yield c;
      await done;
    } finally {
      if (child.exitCode === null) child.kill();
    }
  })();
}

/**
 * Verifies `layer` against `expectedDiffId` (and its blob digest, if it has one) and returns an
 * uncompressed tar file for it, written into `outDir` when the layer was compressed.
 * @throws InvalidArgument on any mismatch or unreadable data (the caller names the layer)
 */
export async function stageLayer(layer: ArchiveLayer, expectedDiffId: string, outDir: string, maxBytes: number): Promise<StagedLayer> {
  const kind = detectCompression(await head(layer.file));
  if (kind === 'xz' || kind === 'bzip2') throw new InvalidArgumentError(`${kind}-compressed layers are not supported (use gzip, zstd or none)`);
  let staged: StagedLayer;
  let blobDigest: string;
  if (kind === 'none') {
    const { digest, size } = await digestOf(createReadStream(layer.file, { highWaterMark: 1 << 20 }));
    blobDigest = digest;
    staged = { file: layer.file, diffId: digest, size };
  } else {
    const raw = digestStream(createReadStream(layer.file, { highWaterMark: 1 << 20 }));
    const inflated = kind === 'gzip' ? maybeGunzip(raw.stream, { maxBytes }) : capped(unzstd(raw.stream), maxBytes);
    const plain = digestStream(inflated);
    const file = path.join(outDir, `${randomBytes(8).toString('hex')}.tar`);
    await pipeline(Readable.from(plain.stream), createWriteStream(file, { mode: 0o600 }));
    const [{ digest: rawDigest }, { digest, size }] = await Promise.all([raw.result, plain.result]);
    blobDigest = rawDigest;
    staged = { file, diffId: digest, size };
  }
  if (layer.blobDigest && blobDigest !== layer.blobDigest) {
    throw new InvalidArgumentError(`content does not match its digest: expected ${layer.blobDigest}, got ${blobDigest}`);
  }
  if (staged.diffId !== expectedDiffId) {
    throw new InvalidArgumentError(`invalid diffID: the image config expects ${expectedDiffId}, the layer is ${staged.diffId}`);
  }
  return staged;
}

async function* capped(source: AsyncIterable<Buffer>, maxBytes: number): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const c of source) {
    total += c.length;
    if (total > maxBytes) throw new TarError('ERR_TAR_LIMIT', `decompressed data exceeds ${maxBytes} bytes`);
    yield c;
  }
}
