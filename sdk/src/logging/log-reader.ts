/**
 * Reads a rotating log back for `docker logs`: the snapshot's files oldest first (gzipped ones
 * inflated), filtered by since/until, cut to the last `tail` entries, then — with `follow` — the
 * live file as it grows and every file rotations create, until the log closes or the caller
 * aborts.
 */
import type { FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { LogEntry, ReadLogOptions } from '../drivers/log.js';
import { secondsToSortableNano, sortableNano } from './log-options.js';
import type { Follower, LogCodec, SnapshotFile } from './rotating-log.js';

const inflate = promisify(gunzip);
const READ_SIZE = 128 * 1024; // a read's decoded entries die young: less garbage-collection work

/** Reads a plain file from an offset, handing back whole records only. */
class Cursor {
  private rest = Buffer.alloc(0);

  constructor(readonly fh: FileHandle, private readonly codec: LogCodec, private offset = 0) {}

  /** The next entries; empty at the end of what is written so far. */
  async read(): Promise<LogEntry[]> {
    const out: LogEntry[] = [];
    while (!out.length) {
      // A fresh buffer each time: decoded lines may point into it.
      const chunk = Buffer.allocUnsafe(READ_SIZE);
      const { bytesRead } = await this.fh.read(chunk, 0, READ_SIZE, this.offset);
      if (!bytesRead) break;
      this.offset += bytesRead;
      const data = this.rest.length ? Buffer.concat([this.rest, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      const used = this.codec.decode(data, (e) => out.push(e));
      this.rest = data.subarray(used);
    }
    return out;
  }
}

/** Keeps the last `size` items. */
class Ring<T> {
  private items: T[] = [];
  private head = 0;
  constructor(private readonly size: number) {}
  push(item: T): void {
    if (this.size <= 0) return;
    if (this.items.length < this.size) this.items.push(item);
    else { this.items[this.head] = item; this.head = (this.head + 1) % this.size; }
  }
  drain(): T[] {
    return [...this.items.slice(this.head), ...this.items.slice(0, this.head)];
  }
}

/** The entries within since/until, kept in `ring` when there is one, else yielded. */
function* pass(entries: LogEntry[], since: string | undefined, until: string | undefined, ring: Ring<LogEntry> | undefined): Generator<LogEntry> {
  for (const e of entries) {
    const t = since === undefined && until === undefined ? '' : sortableNano(e.timeNano);
    if ((since !== undefined && t < since) || (until !== undefined && t > until)) continue;
    if (ring) ring.push(e);
    else yield e;
  }
}

/**
 * Where the last `n` lines of a file start, read backwards from its end; undefined when the file
 * holds fewer (then older files are needed too). What `tail` needs of a line-based log, without
 * decoding everything before it.
 */
export async function lastLinesOffset(fh: FileHandle, n: number): Promise<number | undefined> {
  let pos = (await fh.stat()).size;
  const end = pos;
  let newlines = 0;
  const buf = Buffer.allocUnsafe(64 * 1024);
  while (pos > 0) {
    const len = Math.min(buf.length, pos);
    pos -= len;
    const { bytesRead } = await fh.read(buf, 0, len, pos);
    for (let i = bytesRead - 1; i >= 0; i--) {
      if (buf[i] !== 10 || pos + i === end - 1) continue; // the file's own last newline ends the last line
      if (++newlines === n) return pos + i + 1;
    }
  }
  return newlines + (end > 0 ? 1 : 0) >= n ? 0 : undefined;
}

/**
 * The entries of a snapshot (see `RotatingLog.snapshot` / `openLogFiles`), then followed through
 * `follower` when `options.follow`. Closes every file handle it was given, and detaches.
 */
export async function* readRotatingLog(files: SnapshotFile[], follower: Follower | undefined, codec: LogCodec, options: ReadLogOptions): AsyncGenerator<LogEntry> {
  const since = options.since === undefined ? undefined : secondsToSortableNano(options.since);
  const until = options.until === undefined ? undefined : secondsToSortableNano(options.until);
  const owned = files.map((f) => f.fh);
  const signal = options.signal;
  let cursor: Cursor | undefined;
  let startAt = 0;
  try {
    const ring = options.tail === undefined ? undefined : new Ring<LogEntry>(options.tail);
    // `tail` alone on a line-based log: start at the last lines of the live file when it has them all.
    let from = 0;
    const last = files.at(-1);
    if (ring && since === undefined && until === undefined && codec.lineDelimited && last && !last.gzip) {
      const offset = options.tail === 0 ? (await last.fh.stat()).size : await lastLinesOffset(last.fh, options.tail!);
      if (offset !== undefined) {
        from = files.length - 1;
        startAt = offset;
      }
    }
    for (const [i, file] of files.entries()) {
      if (i < from) continue;
      if (signal?.aborted) return;
      if (file.gzip) {
        const entries: LogEntry[] = [];
        codec.decode(await inflate(await file.fh.readFile()), (e) => entries.push(e));
        yield* pass(entries, since, until, ring);
        continue;
      }
      const c = new Cursor(file.fh, codec, i === files.length - 1 ? startAt : 0);
      for (let batch = await c.read(); batch.length; batch = await c.read()) yield* pass(batch, since, until, ring);
      if (i === files.length - 1) cursor = c;
    }
    if (ring) yield* ring.drain();
    if (!options.follow || !follower) return;
    const aborted = new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }));
    for (;;) {
      if (signal?.aborted) return;
      // Read the state before reading the file, so nothing written in between is missed.
      const ended = follower.ended;
      const changed = follower.changed();
      const batch = cursor ? await cursor.read() : [];
      if (batch.length) {
        for (const e of batch) {
          if (until !== undefined && sortableNano(e.timeNano) > until) return;
          if (since === undefined || sortableNano(e.timeNano) >= since) yield e;
        }
        continue;
      }
      const next = follower.next.shift();
      if (next) { owned.push(next); cursor = new Cursor(next, codec); continue; }
      if (ended) return;
      await Promise.race([changed, aborted]);
    }
  } finally {
    await follower?.detach();
    await Promise.all(owned.map((fh) => fh.close().catch(() => undefined)));
  }
}
