/**
 * Downloading one blob into keel's download directory, verified and resumable: bytes go to
 * `<hex>.part` while being hashed; a dropped or stalled connection is retried with
 * `Range: bytes=<have>-` (a registry that answers 200 instead of 206 starts over); the file
 * becomes `<hex>` only when its size and sha256 match the descriptor. A `.part` left by an
 * interrupted pull is picked up by the next one, which is how pulls resume.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { EngineError, InvalidArgumentError } from '@keel/sdk';
import { NetworkError } from './http-client.js';
import type { Descriptor } from './manifests.js';
import { responseError } from './registry-errors.js';
import type { RegistrySession } from './registry-session.js';

/** Options of a download. */
export interface DownloadOptions {
  /** Directory of complete and partial downloads. */
  readonly dir: string;
  /** Tries in all (`max-download-attempts`, Docker's default 5). */
  readonly attempts: number;
  /** Bytes so far (including what an earlier attempt or pull had). */
  readonly onProgress?: (bytes: number) => void;
  /** Milliseconds before retry n (default 500·n; tests use 0). */
  readonly backoffMs?: number;
  readonly signal?: AbortSignal;
}

const sizeOf = (f: string) => stat(f).then((s) => s.size, () => -1);

async function hashPrefix(file: string, bytes: number): Promise<Hash> {
  const h = createHash('sha256');
  if (bytes > 0) for await (const c of createReadStream(file, { start: 0, end: bytes - 1, highWaterMark: 1 << 20 })) h.update(c as Buffer);
  return h;
}

/** True for failures another attempt may cure: the network, or a registry error status ≥ 500. */
function retriable(err: unknown): boolean {
  return err instanceof NetworkError || (EngineError.is(err) && err.code === 'ERR_REGISTRY_RESPONSE' && /: 5\d\d\b/.test(err.message));
}

/** Downloads `desc` from the session's repository; returns the verified file. */
export async function downloadBlob(session: RegistrySession, desc: Descriptor, o: DownloadOptions): Promise<string> {
  const hex = desc.digest.slice('sha256:'.length);
  const done = path.join(o.dir, hex);
  if ((await sizeOf(done)) === desc.size) return done;
  const part = `${done}.part`;
  for (let attempt = 1; ; attempt++) {
    try {
      await fetchInto(session, desc, part, o);
      break;
    } catch (err) {
      if (attempt >= o.attempts || !retriable(err) || o.signal?.aborted) throw err;
      await new Promise((r) => setTimeout(r, o.backoffMs ?? 500 * attempt));
    }
  }
  await rename(part, done);
  return done;
}

/** One attempt: continues `part` from its current size. */
async function fetchInto(session: RegistrySession, desc: Descriptor, part: string, o: DownloadOptions): Promise<void> {
  let have = Math.max(0, await sizeOf(part));
  if (have > desc.size) {
    await truncate(part, 0);
    have = 0;
  }
  if (have === desc.size && desc.size > 0) return verify(await hashPrefix(part, have), desc, part);
  const res = await session.request('GET', `/blobs/${desc.digest}`, { headers: have > 0 ? { Range: `bytes=${have}-` } : {} });
  if (res.statusCode === 206) {
    const start = /^bytes (\d+)-/.exec(String(res.headers['content-range'] ?? ''))?.[1];
    if (Number(start) !== have) {
      res.resume();
      await truncate(part, 0);
      throw new NetworkError(`registry resumed blob ${desc.digest} at the wrong offset`);
    }
  } else if (res.statusCode === 200) {
    have = 0;
  } else {
    throw await responseError(res, `blob ${desc.digest}`);
  }
  const hash = await hashPrefix(part, have);
  const out = createWriteStream(part, { flags: have ? 'r+' : 'w', start: have, mode: 0o600 });
  const opened = new Promise<void>((resolve, reject) => out.once('open', () => resolve()).once('error', reject));
  await opened;
  let n = have;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      n += chunk.length;
      if (n > desc.size) throw new InvalidArgumentError(`blob ${desc.digest} is larger than the ${desc.size} bytes its manifest says`);
      hash.update(chunk);
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      o.onProgress?.(n);
    }
  } catch (err) {
    await new Promise<void>((r) => out.end(() => r()));
    if (!(err instanceof NetworkError) && !EngineError.is(err)) throw new NetworkError(`reading blob ${desc.digest}: ${(err as Error).message}`, (err as NodeJS.ErrnoException).code, { cause: err });
    if (EngineError.is(err) && err.kind === 'InvalidArgument') await rm(part, { force: true });
    throw err;
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  if (n < desc.size) throw new NetworkError(`blob ${desc.digest}: connection closed after ${n} of ${desc.size} bytes`);
  await verify(hash, desc, part);
}

async function verify(hash: Hash, desc: Descriptor, part: string): Promise<void> {
  const got = `sha256:${hash.digest('hex')}`;
  if (got !== desc.digest) {
    await rm(part, { force: true });
    throw new InvalidArgumentError(`filesystem layer verification failed for digest ${desc.digest}: the registry sent content with digest ${got}`, { code: 'ERR_DIGEST_MISMATCH' });
  }
}
