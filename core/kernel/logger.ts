/**
 * The daemon's logger: JSON lines on stderr in pino's shape (`{"level":30,"time":…,…,"msg":…}`,
 * so pino tooling reads them), or through pino-pretty when stderr is a terminal. Errors are
 * serialised with their type, message, code and stack; credentials (`password`, `auth`,
 * `identitytoken`, `x-registry-auth`, at any depth) are redacted; circular values and bigints
 * do not break a line.
 *
 * Our own instead of pino: a daemon logs a few lines a minute, and pino's module graph (worker
 * threads for transports included) cost about 5 MB of the idle daemon, a tenth of it.
 */
import { createRequire } from 'node:module';
import { InvalidArgumentError, type Logger } from '@keel/sdk';

/** pino's level numbers. */
export const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
type LevelName = keyof typeof LEVELS;

/** A logger plus a way to change its level on reload. */
export interface DaemonLogger {
  readonly logger: Logger;
  setLevel(level: string): void;
}

const REDACTED = new Set(['password', 'auth', 'identitytoken', 'x-registry-auth']);

function levelNumber(name: string): number {
  const n = LEVELS[name as LevelName];
  if (n === undefined) throw new InvalidArgumentError(`unknown log level "${name}" (trace, debug, info, warn, error, fatal)`);
  return n;
}

/** An Error as a plain object: its type, message, code, stack and other own fields. */
function errorFields(e: Error): Record<string, unknown> {
  return { type: e.constructor?.name ?? e.name, message: e.message, ...Object.fromEntries(Object.entries(e)), stack: e.stack };
}

function replacer(guard?: WeakSet<object>) {
  return function (this: unknown, key: string, value: unknown): unknown {
    if (key && REDACTED.has(key.toLowerCase())) return '[redacted]';
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Error) value = errorFields(value);
    if (guard && value && typeof value === 'object') {
      if (guard.has(value)) return '[Circular]';
      guard.add(value);
    }
    return value;
  };
}

/** `obj`'s fields as `,"k":v…` (without braces), for appending to a line. */
export function fields(obj: object): string {
  let text: string;
  try {
    text = JSON.stringify(obj, replacer());
  } catch {
    text = JSON.stringify(obj, replacer(new WeakSet())); // circular
  }
  return text.length > 2 ? `,${text.slice(1, -1)}` : '';
}

interface Sink {
  level: number;
  write(line: string): void;
}

class JsonLogger implements Logger {
  constructor(private readonly sink: Sink, private readonly bound: string) {}

  trace(obj: object | string, msg?: string): void { this.write(10, obj, msg); }
  debug(obj: object | string, msg?: string): void { this.write(20, obj, msg); }
  info(obj: object | string, msg?: string): void { this.write(30, obj, msg); }
  warn(obj: object | string, msg?: string): void { this.write(40, obj, msg); }
  error(obj: object | string, msg?: string): void { this.write(50, obj, msg); }
  fatal(obj: object | string, msg?: string): void { this.write(60, obj, msg); }

  child(bindings: Record<string, unknown>): Logger {
    return new JsonLogger(this.sink, this.bound + fields(bindings));
  }

  private write(level: number, obj: object | string, msg?: string): void {
    if (level < this.sink.level) return;
    const [extra, text] = typeof obj === 'string' ? ['', obj] : obj instanceof Error ? [fields({ err: obj }), msg ?? obj.message] : [fields(obj), msg];
    this.sink.write(`{"level":${level},"time":${Date.now()}${this.bound}${extra}${text === undefined ? '' : `,"msg":${JSON.stringify(text)}`}}\n`);
  }
}

/** A logger writing lines to `write` (tests and the daemon). */
export function createLineLogger(level: string, write: (line: string) => void): DaemonLogger {
  const sink: Sink = { level: levelNumber(level), write };
  return { logger: new JsonLogger(sink, ''), setLevel: (l) => void (sink.level = levelNumber(l)) };
}

/** Creates the daemon logger. `format: 'auto'` is pretty on a TTY, JSON otherwise. */
export function createDaemonLogger(level: string, format: 'auto' | 'json' | 'pretty' = 'auto'): DaemonLogger {
  const usePretty = format === 'pretty' || (format === 'auto' && process.stderr.isTTY);
  if (!usePretty) return createLineLogger(level, (line) => void process.stderr.write(line));
  // pino-pretty (about 10 MB of code) is loaded only when a terminal will read the log.
  const pretty = (createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty'))({ destination: 2, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  return createLineLogger(level, (line) => void pretty.write(line));
}
