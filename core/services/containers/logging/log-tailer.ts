/**
 * Follows a monitor's CRI log file from a saved offset and hands its entries on. conmon writes
 * the file itself (so a container never blocks on the daemon) and, past `--log-size-max`,
 * replaces it with a fresh file: the tailer finishes the old file through its open descriptor,
 * then moves to the new one. The offset is saved after every batch, so a restarted daemon
 * resumes where it stopped (what conmon rotated away meanwhile is lost, and logged).
 */
import { watch, type FSWatcher } from 'node:fs';
import { open, readFile, stat, writeFile, type FileHandle } from 'node:fs/promises';
import type { LogEntry } from '@keel/sdk';

/** Where a tailer resumes: the file's inode and the byte offset in it. */
export interface TailPosition {
  ino: number;
  offset: number;
}

const CRI = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d) (stdout|stderr) ([PF]) ?/;

/** One CRI line as a log-driver entry (line without its newline; `P` lines are partial). */
export function criEntry(line: Buffer): LogEntry | undefined {
  const head = line.subarray(0, Math.min(line.length, 64)).toString('latin1');
  const m = CRI.exec(head);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  const frac = (m[2] ?? '.0').slice(1).padEnd(9, '0').slice(0, 9);
  const timeNano = `${BigInt(Math.floor(ms / 1000)) * 1_000_000_000n + BigInt(frac)}`;
  return { stream: m[4] as 'stdout' | 'stderr', timeNano, line: line.subarray(m[0].length), ...(m[5] === 'P' ? { partial: true } : {}) };
}

/** Docker's line buffer: longer lines are passed on as partial entries of this size. */
const MAX_LINE = 16 * 1024;

/**
 * Joins the monitor's fragments into whole lines as Docker's log copier delivers them: conmon
 * cuts wherever its 8 KiB reads end, Docker only lines longer than 16 KiB.
 */
export class LineAssembler {
  private readonly pending: Record<'stdout' | 'stderr', { parts: Uint8Array[]; size: number; timeNano: string } | undefined> = { stdout: undefined, stderr: undefined };

  /** Hands on what is still waiting for its end (the monitor stopped mid-line), as partial entries. */
  flush(out: LogEntry[]): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const p = this.pending[stream];
      if (p) out.push({ stream, timeNano: p.timeNano, line: Buffer.concat(p.parts), partial: true });
      this.pending[stream] = undefined;
    }
  }

  push(e: LogEntry, out: LogEntry[]): void {
    const p = this.pending[e.stream];
    if (!p && !e.partial && e.line.length <= MAX_LINE) {
      out.push(e);
      return;
    }
    const cur = p ?? { parts: [], size: 0, timeNano: e.timeNano };
    cur.parts.push(e.line);
    cur.size += e.line.length;
    let joined = Buffer.concat(cur.parts);
    while (joined.length > MAX_LINE) {
      out.push({ stream: e.stream, timeNano: cur.timeNano, line: joined.subarray(0, MAX_LINE), partial: true });
      joined = joined.subarray(MAX_LINE);
    }
    if (e.partial) {
      this.pending[e.stream] = { parts: [joined], size: joined.length, timeNano: cur.timeNano };
    } else {
      this.pending[e.stream] = undefined;
      out.push({ stream: e.stream, timeNano: cur.timeNano, line: joined });
    }
  }
}

/** Reads a saved position; a missing or broken file means "from the start". */
export async function loadPosition(file: string): Promise<TailPosition | undefined> {
  try {
    const p = JSON.parse(await readFile(file, 'utf8')) as TailPosition;
    return Number.isInteger(p.ino) && Number.isInteger(p.offset) ? p : undefined;
  } catch {
    return undefined;
  }
}

/** How often an idle tailer looks at its file without an inotify event (a lost event's bound). */
const IDLE_RECHECK_MS = 30_000;
/** How often it looks while the file has no watch (not created yet). */
const NO_WATCH_POLL_MS = 500;

/** Tails one container's monitor log. */
export class LogTailer {
  private fh?: FileHandle;
  private ino = 0;
  private offset = 0;
  private rest = Buffer.alloc(0);
  private watcher?: FSWatcher;
  private wake?: () => void;
  /** The watcher fired since the loop last read: read again before sleeping. */
  private signalled = false;
  private stopping = false;
  private loop?: Promise<void>;
  private readonly buf = Buffer.alloc(1 << 20);
  private readonly lines = new LineAssembler();

  constructor(
    private readonly file: string,
    private readonly positionFile: string,
    private readonly deliver: (entries: LogEntry[]) => Promise<void>,
    private readonly warn: (msg: string) => void,
  ) {}

  /** Starts following from the saved position (or the start of the file). */
  async start(): Promise<void> {
    const saved = await loadPosition(this.positionFile);
    await this.reopen(saved);
    this.loop = this.run();
  }

  /** Reads what is left (the monitor has exited and flushed), delivers it and stops. */
  async drainAndStop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
  }

  private async reopen(saved?: TailPosition): Promise<void> {
    await this.fh?.close();
    this.fh = await open(this.file, 'r').catch(() => undefined);
    const st = this.fh ? await this.fh.stat() : undefined;
    this.ino = st?.ino ?? 0;
    this.offset = saved && saved.ino === this.ino && saved.offset <= (st?.size ?? 0) ? saved.offset : 0;
    if (saved && saved.ino !== this.ino && saved.offset > 0) this.warn('the monitor rotated its log while the daemon was away: older lines were not collected');
    this.rest = Buffer.alloc(0);
    // inotify watches an inode: a rotated file needs a new watch.
    this.watcher?.close();
    try {
      this.watcher = watch(this.file, () => {
        this.signalled = true;
        this.wake?.();
      });
      this.watcher.on('error', () => undefined);
    } catch {
      this.watcher = undefined; // no file yet: the short poll covers it
    }
  }

  private async readChunk(): Promise<boolean> {
    if (!this.fh) return false;
    const { bytesRead } = await this.fh.read(this.buf, 0, this.buf.length, this.offset);
    if (!bytesRead) return false;
    this.offset += bytesRead;
    const data = this.rest.length ? Buffer.concat([this.rest, this.buf.subarray(0, bytesRead)]) : Buffer.from(this.buf.subarray(0, bytesRead));
    const entries: LogEntry[] = [];
    let start = 0;
    for (let nl = data.indexOf(10); nl >= 0; start = nl + 1, nl = data.indexOf(10, start)) {
      const e = criEntry(data.subarray(start, nl));
      if (e) this.lines.push(e, entries);
    }
    this.rest = data.subarray(start);
    if (entries.length) await this.deliver(entries);
    await writeFile(this.positionFile, JSON.stringify({ ino: this.ino, offset: this.offset - this.rest.length }));
    return true;
  }

  private async rotated(): Promise<boolean> {
    const st = await stat(this.file).catch(() => undefined);
    return !!st && st.ino !== this.ino;
  }

  private async run(): Promise<void> {
    try {
      for (;;) {
        this.signalled = false;
        if (await this.readChunk()) continue;
        if (await this.rotated()) {
          await this.reopen();
          continue;
        }
        if (this.stopping) {
          const rest: LogEntry[] = [];
          this.lines.flush(rest);
          if (rest.length) await this.deliver(rest);
          return;
        }
        // inotify wakes the loop when the monitor writes; the timer is only a safety net (or the
        // way to notice a file that did not exist yet), so an idle container costs nothing.
        await new Promise<void>((resolve) => {
          if (this.signalled) return resolve();
          this.wake = resolve;
          setTimeout(resolve, this.watcher ? IDLE_RECHECK_MS : NO_WATCH_POLL_MS).unref();
        });
        this.wake = undefined;
      }
    } catch (err) {
      this.warn(`log collection stopped: ${(err as Error).message}`);
    } finally {
      this.watcher?.close();
      await this.fh?.close().catch(() => undefined);
      this.fh = undefined;
    }
  }
}
