/**
 * The log driver contract (json-file, local, none, syslog, gelf, fluentd …).
 * @packageDocumentation
 */
import type { CallOptions, DriverBase } from './common.js';

/** Optional abilities of a log driver. */
export interface LogCapabilities {
  /** `docker logs` can read back what it wrote. */
  readonly read: boolean;
}

/** Who is logging. */
export interface LogInfo {
  readonly containerId: string;
  readonly containerName: string;
  readonly imageName: string;
  readonly options: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
}

/** One log line. */
export interface LogEntry {
  readonly stream: 'stdout' | 'stderr';
  /** Unix nanoseconds as a decimal string (exact). */
  readonly timeNano: string;
  readonly line: Uint8Array;
  /** The line is a fragment of a longer one. */
  readonly partial?: boolean;
}

/** Where entries go. */
export interface LogSink {
  write(entry: LogEntry): Promise<void>;
  close(): Promise<void>;
}

/** Options of `read`. */
export interface ReadLogOptions extends CallOptions {
  readonly since?: number;
  readonly until?: number;
  readonly tail?: number;
  readonly follow?: boolean;
}

/** A log driver. */
export interface LogDriver extends DriverBase<LogCapabilities> {
  /** Throws InvalidArgument naming an unknown or bad `--log-opt`. */
  validateOptions(options: Readonly<Record<string, string>>): void;
  open(info: LogInfo, call?: CallOptions): Promise<LogSink>;
  /** Present when `capabilities.read`. */
  read?(info: LogInfo, options: ReadLogOptions): AsyncIterable<LogEntry>;
}
