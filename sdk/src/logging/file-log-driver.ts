/**
 * A complete file-based {@link LogDriver} from a format: json-file and local differ only in how
 * an entry is encoded, the file name and their options; rotation, batching, reading back and
 * following are the same and live here, once.
 */
import path from 'node:path';
import type { LogCapabilities, LogDriver, LogEntry, LogInfo, LogSink, ReadLogOptions } from '../drivers/log.js';
import { readRotatingLog } from './log-reader.js';
import { openLogFiles, RotatingLog, type LogCodec, type RotationPolicy } from './rotating-log.js';

/** What makes a file-based driver: its file format and options. */
export interface FileLogFormat {
  /** Checks options (Docker's wording; see `checkLogOptKeys`). */
  validateOptions(options: Readonly<Record<string, string>>): void;
  /** The rotation the (valid) options ask for. */
  rotation(options: Readonly<Record<string, string>>): RotationPolicy;
  /** The live file's name inside `logDirectory`. */
  fileName(info: LogInfo): string;
  /** The codec for this container (encoding may depend on its options, decoding must not). */
  codec(info: LogInfo): LogCodec;
}

/** A log driver that keeps rotating files in each container's `logDirectory`. */
export class FileLogDriver implements LogDriver {
  readonly capabilities: LogCapabilities = { read: true };
  /** The open log of each container, for followers. */
  private readonly live = new Map<string, RotatingLog>();

  constructor(private readonly format: FileLogFormat) {}

  validateOptions(options: Readonly<Record<string, string>>): void {
    this.format.validateOptions(options);
  }

  async open(info: LogInfo): Promise<LogSink> {
    this.format.validateOptions(info.options);
    const log = await RotatingLog.open(this.file(info), this.format.rotation(info.options), this.format.codec(info));
    this.live.set(info.containerId, log);
    return {
      write: (entry: LogEntry) => log.append(entry),
      close: async () => {
        if (this.live.get(info.containerId) === log) this.live.delete(info.containerId);
        await log.close();
      },
    };
  }

  async *read(info: LogInfo, options: ReadLogOptions): AsyncIterable<LogEntry> {
    const log = this.live.get(info.containerId);
    const codec = this.format.codec(info);
    if (log) {
      const { files, follower } = await log.snapshot();
      yield* readRotatingLog(files, follower, codec, options);
    } else {
      yield* readRotatingLog(await openLogFiles(this.file(info)), undefined, codec, options);
    }
  }

  /** Closes every open log (daemon stop). */
  async close(): Promise<void> {
    await Promise.all([...this.live.values()].map((log) => log.close().catch(() => undefined)));
    this.live.clear();
  }

  private file(info: LogInfo): string {
    return path.join(info.logDirectory, this.format.fileName(info));
  }
}
