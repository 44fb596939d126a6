/**
 * The daemon's pino logger: JSON lines on stderr, or pino-pretty used as a stream (not a worker
 * transport, which breaks in bundles) when stderr is a terminal. Registry credentials and auth
 * headers are redacted.
 */
import { createRequire } from 'node:module';
import pino from 'pino';
import type { Logger } from '@keel/sdk';

/** A logger plus a way to change its level on reload. */
export interface DaemonLogger {
  readonly logger: Logger;
  setLevel(level: string): void;
}

/** Creates the daemon logger. `format: 'auto'` is pretty on a TTY, JSON otherwise. */
export function createDaemonLogger(level: string, format: 'auto' | 'json' | 'pretty' = 'auto'): DaemonLogger {
  const usePretty = format === 'pretty' || (format === 'auto' && process.stderr.isTTY);
  // pino-pretty (about 10 MB of code) is loaded only when a terminal will read the log.
  const pretty = usePretty ? (createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty')) : undefined;
  const destination = pretty ? pretty({ destination: 2, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }) : pino.destination({ dest: 2, sync: true });
  const log = pino(
    { level, base: undefined, redact: { paths: ['headers["x-registry-auth"]', 'auth', 'password', '*.password', 'identitytoken'], censor: '[redacted]' } },
    destination,
  );
  return { logger: log as unknown as Logger, setLevel: (l) => void (log.level = l) };
}
