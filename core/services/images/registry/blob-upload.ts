/**
 * Putting one blob into a repository (Distribution's upload protocol): `HEAD` first (present →
 * nothing to send), a cross-repository mount when another repository of the registry has it,
 * else `POST` an upload session and send the bytes — one `PATCH` (monolithic) or several with
 * `Content-Range` (chunked, for blobs above the chunk size) — and close it with
 * `PUT ?digest=`. Upload locations may be relative and carry their own query: both are kept.
 */
import { createReadStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Transform } from 'node:stream';
import { discard } from './http-client.js';
import { badResponse, responseError } from './registry-errors.js';
import type { RegistrySession } from './registry-session.js';

/** A blob to upload: bytes in memory (config) or a file (compressed layer). */
export interface UploadSource {
  readonly digest: string;
  readonly size: number;
  readonly bytes?: Buffer;
  readonly file?: string;
}

/** Options of an upload. */
export interface UploadOptions {
  /** Bytes per PATCH; blobs at or under it go in one. */
  readonly chunkBytes: number;
  readonly onProgress?: (bytes: number) => void;
}

/** Whether the repository has the blob. */
export async function blobExists(s: RegistrySession, digest: string): Promise<boolean> {
  const res = await s.request('HEAD', `/blobs/${digest}`);
  if (res.statusCode === 200 || res.statusCode === 404) discard(res);
  if (res.statusCode === 200) return true;
  if (res.statusCode === 404) return false;
  throw await responseError(res, `blob ${digest}`);
}

function location(s: RegistrySession, res: IncomingMessage, base: string): string {
  const loc = res.headers.location;
  if (!loc) throw badResponse('registry started an upload without a Location');
  return new URL(loc, base).href;
}

/** Tries to mount `digest` from `fromRepo`; true when the registry did, else the upload it opened is cancelled. */
export async function mountBlob(s: RegistrySession, digest: string, fromRepo: string): Promise<boolean> {
  await s.addScope(`repository:${fromRepo}:pull`);
  const url = s.url(`/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(fromRepo)}`);
  const res = await s.request('POST', url, { headers: { 'Content-Length': '0' } });
  discard(res);
  if (res.statusCode === 201) return true;
  if (res.statusCode === 202) {
    // Not mountable (another registry's repo, or gone): drop the upload session it opened.
    const cancel = await s.request('DELETE', location(s, res, url)).catch(() => undefined);
    if (cancel) discard(cancel);
    return false;
  }
  return false;
}

function body(src: UploadSource, start: number, end: number, onChunk?: (n: number) => void) {
  if (src.bytes) return src.bytes.subarray(start, end + 1);
  const counter = new Transform({
    transform(chunk: Buffer, _e, done) {
      onChunk?.(chunk.length);
      done(null, chunk);
    },
  });
  return createReadStream(src.file!, { start, end, highWaterMark: 1 << 20 }).pipe(counter);
}

/** Uploads a blob the repository does not have. */
export async function uploadBlob(s: RegistrySession, src: UploadSource, o: UploadOptions): Promise<void> {
  const start = s.url('/blobs/uploads/');
  let res = await s.request('POST', start, { headers: { 'Content-Length': '0' } });
  if (res.statusCode !== 202) throw await responseError(res, `upload of blob ${src.digest}`);
  discard(res);
  let url = location(s, res, start);
  let sent = 0;
  const chunk = Math.max(1, o.chunkBytes);
  while (sent < src.size) {
    const end = Math.min(src.size, sent + chunk) - 1;
    const base = sent;
    let seen = 0;
    // Only a replay after an auth round re-sends a chunk, and a replay starts its count again.
    const make = () => ((seen = 0), body(src, base, end, (n) => o.onProgress?.(base + (seen += n))));
    res = await s.request('PATCH', url, {
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(end - base + 1), ...(src.size > chunk ? { 'Content-Range': `${base}-${end}` } : {}) },
      body: make, stallMs: 120_000,
    });
    if (res.statusCode !== 202 && res.statusCode !== 204) throw await responseError(res, `upload of blob ${src.digest}`);
    discard(res);
    url = location(s, res, url);
    sent = end + 1;
    o.onProgress?.(sent);
  }
  const done = new URL(url);
  done.searchParams.set('digest', src.digest);
  res = await s.request('PUT', done.href, { headers: { 'Content-Length': '0' } });
  if (res.statusCode !== 201 && res.statusCode !== 204) throw await responseError(res, `upload of blob ${src.digest}`);
  discard(res);
}
