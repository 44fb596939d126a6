/**
 * A rotating log file written in batches: entries are encoded into large chunks in memory and a
 * worker writes each batch with one `writev`, so a busy container costs one syscall per batch,
 * not per line. Rotation follows Docker: past `maxSize` the file becomes `<f>.1` (gzipped to
 * `<f>.1.gz` when `compress`), older ones shift up, and at most `maxFiles` files remain.
 * Snapshots for readers and closing run as tasks in the same worker queue, so a reader sees
 * exactly what was appended before it asked, and learns of every file created after.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { LogEntry } from '../drivers/log.js';

/** Where a codec writes: ensure room for `n` bytes, then write at `buf[pos…]` and advance `pos`. */
export interface ByteOut {
  buf: Buffer;
  pos: number;
  ensure(n: number): void;
}

/** A file format for entries. */
export interface LogCodec {
  /** Appends one encoded entry to `out`. */
  encode(entry: LogEntry, out: ByteOut): void;
  /** Decodes the whole records at the start of `buf`; returns how many bytes they took. */
  decode(buf: Buffer, emit: (entry: LogEntry) => void): number;
  /** Every record is one line ending in `\n` (lets `tail` read from the end instead of the start). */
  readonly lineDelimited?: boolean;
}

/** How a {@link RotatingLog} rotates. */
export interface RotationPolicy {
  /** Bytes after which the file rotates; 0 never rotates. */
  readonly maxSize: number;
  /** Files kept, the live one included (≥ 1). */
  readonly maxFiles: number;
  /** Gzip rotated files. */
  readonly compress: boolean;
}

/** A file of a snapshot, oldest first; the last one is the live file. */
export interface SnapshotFile {
  readonly fh: FileHandle;
  readonly gzip: boolean;
}

/** What a follower is told after its snapshot: new files, new data, the end. */
export interface Follower {
  /** Files created by rotations since the snapshot, already open for reading, oldest first. */
  readonly next: FileHandle[];
  /** True once the log is closed: what is in the files is all there will be. */
  ended: boolean;
  /** Resolves at the next batch, rotation or close. */
  changed(): Promise<void>;
  /** Stops following (closes the files in `next`). */
  detach(): Promise<void>;
}

const CHUNK = 1 << 20;
const HIGH_WATER = 16 << 20;
const DONE = Promise.resolve();
type Task = Buffer | (() => Promise<void>);

/** One container's live log file. */
export class RotatingLog implements ByteOut {
  buf = Buffer.allocUnsafe(CHUNK);
  pos = 0;
  private start = 0;
  private size: number;
  private queue: Task[] = [];
  private queued = 0;
  private running = false;
  private closed = false;
  private finished = false;
  private error?: Error;
  private idle: Array<() => void> = [];
  private readonly followers = new Set<FollowerState>();

  private constructor(private readonly file: string, private fh: FileHandle, size: number, private readonly policy: RotationPolicy, private readonly codec: LogCodec) {
    this.size = size;
  }

  /** Opens (appending to) `file`. */
  static async open(file: string, policy: RotationPolicy, codec: LogCodec): Promise<RotatingLog> {
    const fh = await open(file, 'a', 0o640);
    return new RotatingLog(file, fh, (await fh.stat()).size, policy, codec);
  }

  ensure(n: number): void {
    if (this.buf.length - this.pos >= n) return;
    this.seal();
    this.buf = Buffer.allocUnsafe(Math.max(CHUNK, n));
    this.pos = this.start = 0;
  }

  /** Queues one entry; resolves at once unless too much is waiting for the disk. */
  append(entry: LogEntry): Promise<void> {
    if (this.closed) return Promise.reject(new Error('log is closed'));
    if (this.error) { const err = this.error; this.error = undefined; return Promise.reject(err); }
    if (this.policy.maxSize > 0 && this.size >= this.policy.maxSize) {
      this.seal();
      this.queue.push(() => this.rotate());
      this.size = 0;
    }
    const before = this.pos;
    const startBuf = this.buf;
    this.codec.encode(entry, this);
    // ensure() may have moved to a new chunk: then the record starts at 0 of the new buffer.
    const bytes = this.buf === startBuf ? this.pos - before : this.pos;
    this.size += bytes;
    this.queued += bytes;
    this.kick();
    return this.queued > HIGH_WATER ? this.whenIdle() : DONE;
  }

  /** Opens every file for reading as they are after everything appended so far is written. */
  snapshot(): Promise<{ files: SnapshotFile[]; follower: Follower }> {
    return this.task(async () => {
      const files = await openLogFiles(this.file);
      const state = new FollowerState(this.followers);
      state.ended = this.finished;
      return { files, follower: state };
    });
  }

  /** Writes everything, closes the file and ends followers. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return this.whenIdle();
    this.closed = true;
    await this.task(async () => {
      this.finished = true;
      await this.fh.close();
      for (const f of this.followers) { f.ended = true; f.wake(); }
    });
    if (this.error) throw this.error;
  }

  private task<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.seal();
      this.queue.push(() => fn().then(resolve, reject));
      this.kick();
    });
  }

  private seal(): void {
    if (this.pos > this.start) this.queue.push(this.buf.subarray(this.start, this.pos));
    this.start = this.pos;
  }

  private whenIdle(): Promise<void> {
    return this.running || this.queue.length ? new Promise((resolve) => this.idle.push(resolve)) : DONE;
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    // One tick of appends becomes one batch.
    setImmediate(() => void this.work());
  }

  private async work(): Promise<void> {
    for (;;) {
      this.seal();
      if (!this.queue.length) break;
      const batch: Buffer[] = [];
      while (this.queue.length && Buffer.isBuffer(this.queue[0]) && batch.length < 1024) batch.push(this.queue.shift() as Buffer);
      try {
        if (batch.length) await this.writeBatch(batch);
        else await (this.queue.shift() as () => Promise<void>)();
      } catch (err) {
        this.error = err as Error; // reported by the next append or by close
      }
      for (const f of this.followers) f.wake();
    }
    this.running = false;
    for (const resolve of this.idle.splice(0)) resolve();
  }

  private async writeBatch(batch: Buffer[]): Promise<void> {
    let bytes = batch.reduce((n, b) => n + b.length, 0);
    this.queued -= bytes;
    for (let bufs = batch; bytes > 0;) {
      const { bytesWritten } = await this.fh.writev(bufs);
      bytes -= bytesWritten;
      if (bytes > 0) bufs = [Buffer.concat(bufs).subarray(bytesWritten)]; // a short write: rare, so copying is fine
    }
  }

  private async rotate(): Promise<void> {
    await this.fh.close();
    const { maxFiles, compress } = this.policy;
    const f = this.file;
    if (maxFiles > 1) {
      await rm(`${f}.${maxFiles - 1}`, { force: true });
      await rm(`${f}.${maxFiles - 1}.gz`, { force: true });
      for (let i = maxFiles - 2; i >= 1; i--) {
        await rename(`${f}.${i}`, `${f}.${i + 1}`).catch(ignoreMissing);
        await rename(`${f}.${i}.gz`, `${f}.${i + 1}.gz`).catch(ignoreMissing);
      }
      await rename(f, `${f}.1`);
      if (compress) await gzipFile(`${f}.1`);
    } else {
      await rm(f, { force: true }); // followers keep reading the old file through their handle
    }
    this.fh = await open(f, 'a', 0o640);
    for (const follower of this.followers) follower.next.push(await open(f, 'r'));
  }
}

class FollowerState implements Follower {
  readonly next: FileHandle[] = [];
  ended = false;
  private waiters: Array<() => void> = [];

  constructor(private readonly set: Set<FollowerState>) {
    set.add(this);
  }

  changed(): Promise<void> {
    return this.ended ? DONE : new Promise((resolve) => this.waiters.push(resolve));
  }

  wake(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  async detach(): Promise<void> {
    this.set.delete(this);
    this.wake();
    await Promise.all(this.next.splice(0).map((fh) => fh.close()));
  }
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err;
}

/** Gzips `file` to `file.gz` (through a temporary name, so readers never see half of it). */
async function gzipFile(file: string): Promise<void> {
  await pipeline(createReadStream(file), createGzip(), createWriteStream(`${file}.gz.tmp`, { mode: 0o640 }));
  await rename(`${file}.gz.tmp`, `${file}.gz`);
  await rm(file, { force: true });
}

/** Opens `file` and its rotated siblings (`.N`, `.N.gz`) for reading, oldest first. */
export async function openLogFiles(file: string): Promise<SnapshotFile[]> {
  const base = path.basename(file);
  const rotated: Array<{ n: number; name: string; gzip: boolean }> = [];
  for (const name of await readdir(path.dirname(file)).catch(() => [] as string[])) {
    const m = name.startsWith(`${base}.`) ? /^(\d+)(\.gz)?$/.exec(name.slice(base.length + 1)) : null;
    if (m) rotated.push({ n: Number(m[1]), name, gzip: !!m[2] });
  }
  rotated.sort((a, b) => b.n - a.n || Number(a.gzip) - Number(b.gzip));
  const out: SnapshotFile[] = [];
  for (const r of rotated) {
    if (!r.gzip && rotated.some((o) => o.n === r.n && o.gzip)) continue; // a crash mid-compression: the .gz is whole
    const fh = await open(path.join(path.dirname(file), r.name), 'r').catch(() => undefined);
    if (fh) out.push({ fh, gzip: r.gzip });
  }
  const live = await open(file, 'r').catch(() => undefined);
  if (live) out.push({ fh: live, gzip: false });
  return out;
}
