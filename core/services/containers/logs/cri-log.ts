/**
 * Reading the monitor's log (CRI format, as conmon's `k8s-file` writes it:
 * `<RFC 3339 time> <stdout|stderr> <P|F> <text>`, `P` for a partial line continued by the next
 * entry) as Docker's `logs` options want it: streams, since/until, tail, timestamps, follow.
 */
import { open } from 'node:fs/promises';
import { watch } from 'node:fs';

/** One log entry. */
export interface LogEntry {
  readonly stream: 'stdout' | 'stderr';
  /** Docker's timestamp form: UTC, nanoseconds, `Z`. */
  readonly time: string;
  /** Seconds since the epoch (fractional), for since/until. */
  readonly seconds: number;
  /** The text, with `\n` for complete lines. */
  readonly text: string;
}

/** `docker logs` options. */
export interface LogReadOptions {
  readonly stdout: boolean;
  readonly stderr: boolean;
  /** Unix seconds; entries before are skipped. */
  readonly since?: number;
  /** Unix seconds; entries after are skipped. */
  readonly until?: number;
  /** Only the last N entries (before following). */
  readonly tail?: number;
  readonly follow: boolean;
  /** While following: whether more output can come. */
  readonly alive?: () => boolean;
  readonly signal?: AbortSignal;
}

/** Parses one CRI log line; undefined for a malformed one. */
export function parseCriLine(line: string): LogEntry | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d) (stdout|stderr) ([PF]) ?(.*)$/s.exec(line);
  if (!m) return undefined;
  const frac = (m[2] ?? '.0').slice(1).padEnd(9, '0').slice(0, 9);
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  const utc = new Date(ms).toISOString().slice(0, 19);
  return { stream: m[4] as 'stdout' | 'stderr', time: `${utc}.${frac}Z`, seconds: ms / 1000 + Number(`0.${frac}`), text: m[5] === 'F' ? `${m[6]}\n` : m[6]! };
}

/** Complete lines from byte `start`; `at` learns the offset after each yielded line. */
async function* readLines(file: string, opts: LogReadOptions, start = 0, at?: (offset: number) => void): AsyncGenerator<string> {
  const fh = await open(file, 'r').catch(() => undefined);
  if (!fh) return;
  let offset = start;
  let rest = '';
  const buf = Buffer.alloc(256 * 1024);
  let wake: (() => void) | undefined;
  const watcher = opts.follow ? watch(file, () => wake?.()) : undefined;
  watcher?.on('error', () => undefined);
  const onAbort = () => wake?.();
  opts.signal?.addEventListener('abort', onAbort);
  try {
    for (;;) {
      if (opts.signal?.aborted) return;
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
      if (bytesRead > 0) {
        offset += bytesRead;
        const parts = (rest + buf.subarray(0, bytesRead).toString('utf8')).split('\n');
        rest = parts.pop()!;
        at?.(offset - Buffer.byteLength(rest));
        yield* parts;
        continue;
      }
      if (!opts.follow || !(opts.alive?.() ?? false)) {
        // One last read after the container stopped: its monitor drains before it exits.
        if (opts.follow) {
          const last = await fh.read(buf, 0, buf.length, offset);
          if (last.bytesRead > 0) {
            offset += last.bytesRead;
            const parts = (rest + buf.subarray(0, last.bytesRead).toString('utf8')).split('\n');
            rest = parts.pop()!;
            yield* parts;
            continue;
          }
        }
        return;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 250).unref();
      });
      wake = undefined;
    }
  } finally {
    watcher?.close();
    opts.signal?.removeEventListener('abort', onAbort);
    await fh.close();
  }
}

/** The entries `opts` select, in order; with `follow`, until the container stops or the client leaves. */
export async function* readLog(file: string, opts: LogReadOptions): AsyncGenerator<LogEntry> {
  const keep = (e: LogEntry) => (e.stream === 'stdout' ? opts.stdout : opts.stderr) && (opts.since === undefined || e.seconds >= opts.since) && (opts.until === undefined || e.seconds <= opts.until);
  const tail = opts.tail !== undefined && opts.tail >= 0 ? opts.tail : undefined;
  if (tail === undefined) {
    for await (const line of readLines(file, opts)) {
      const e = parseCriLine(line);
      if (e && keep(e)) yield e;
      if (e && opts.until !== undefined && e.seconds > opts.until) return;
    }
    return;
  }
  // Tail: keep the last N of what exists now, then (when following) everything new.
  const ring: LogEntry[] = [];
  let offset = 0;
  for await (const line of readLines(file, { ...opts, follow: false }, 0, (o) => (offset = o))) {
    const e = parseCriLine(line);
    if (!e || !keep(e)) continue;
    ring.push(e);
    if (ring.length > tail) ring.shift();
  }
  yield* ring;
  if (!opts.follow) return;
  for await (const line of readLines(file, opts, offset)) {
    const e = parseCriLine(line);
    if (e && keep(e)) yield e;
  }
}
