/**
 * The log driver contract (json-file, local, none, syslog, gelf, fluentd …). The container
 * service tails each container's monitor log and feeds the entries to the sink its driver
 * opened; `docker logs` reads back through {@link LogDriver.read} where the driver can.
 * Everything here is plain data, byte arrays and async iterables, so a driver can also run out
 * of process.
 * @packageDocumentation
 */
import type { CallOptions, DriverBase } from './common.js';

/** Optional abilities of a log driver. */
export interface LogCapabilities {
  /**
   * `docker logs` can read back what the driver wrote ({@link LogDriver.read} is present).
   * Without it the service answers `configured logging driver does not support reading`.
   */
  readonly read: boolean;
}

/** Who is logging: one container, as the driver sees it at `open` and `read`. */
export interface LogInfo {
  /** The full 64-hex container ID. */
  readonly containerId: string;
  /** The container name without Docker's leading slash. */
  readonly containerName: string;
  /** The image reference the container was created from, as the user typed it. */
  readonly imageName: string;
  /** The image ID (`sha256:…`). */
  readonly imageId: string;
  /** When the container was created, RFC 3339 (`2024-01-01T00:00:00.123456789Z`). */
  readonly containerCreated: string;
  /** The container's entrypoint and arguments, for `{{.Command}}` and GELF's `_command`. */
  readonly command?: readonly string[];
  /** Container labels, for the `labels` / `labels-regex` options. */
  readonly labels: Readonly<Record<string, string>>;
  /** Container environment as Docker lists it (`KEY=value`), for the `env` / `env-regex` options. */
  readonly env: readonly string[];
  /**
   * The `--log-opt` map, already checked by {@link LogDriver.validateOptions}; the generic
   * `mode` and `max-buffer-size` are handled by the service and never appear here.
   */
  readonly options: Readonly<Record<string, string>>;
  /**
   * A directory private to this container where file-based drivers keep their files. It exists
   * when `open`/`read` are called and is removed with the container (drivers never remove it).
   */
  readonly logDirectory: string;
}

/** One log line. */
export interface LogEntry {
  readonly stream: 'stdout' | 'stderr';
  /** When the line was emitted: Unix nanoseconds as a decimal string (exact, unlike a number). */
  readonly timeNano: string;
  /** The bytes of the line WITHOUT its trailing newline. */
  readonly line: Uint8Array;
  /** The line is a fragment of a longer one (no newline ended it); the next entry continues it. */
  readonly partial?: boolean;
}

/** Where a container's entries go, from `open` until `close`. */
export interface LogSink {
  /**
   * Accepts one entry. Drivers may batch internally and resolve before the entry reaches its
   * destination, but entries are kept in call order; callers await each write, which is how a
   * driver applies back-pressure. Network drivers never block forever: past a bounded buffer
   * they drop (and count) rather than stall the container.
   */
  write(entry: LogEntry): Promise<void>;
  /**
   * Flushes and releases everything: when it resolves, every entry written before is durable
   * (in its file, or handed to the network) in order, and `read(…, { follow })` of this
   * container ends after yielding them. Idempotent.
   */
  close(): Promise<void>;
}

/** Options of {@link LogDriver.read}. Times are Unix seconds (fractional allowed). */
export interface ReadLogOptions extends CallOptions {
  /** Only entries at or after this time. */
  readonly since?: number;
  /** Only entries at or before this time; a follow ends at the first entry past it. */
  readonly until?: number;
  /** Only the last `tail` entries (after `since`/`until`) of what exists; absent means all. */
  readonly tail?: number;
  /**
   * Keep yielding new entries until the sink open for this container is closed (the rest is
   * drained, then the iteration ends) or `signal` aborts. With no open sink, the iteration
   * ends after what exists.
   */
  readonly follow?: boolean;
}

/** A log driver: one per name (`json-file`, `syslog` …), shared by every container using it. */
export interface LogDriver extends DriverBase<LogCapabilities> {
  /**
   * Checks a `--log-opt` map before a container is created. Throws `InvalidArgumentError` with
   * Docker's wording: `unknown log opt 'x' for json-file log driver` for an unknown key, and
   * Docker's message for a bad value (a size that does not parse, `max-file` below 1 …).
   */
  validateOptions(options: Readonly<Record<string, string>>): void;
  /**
   * Starts logging a container (at each start, also after a daemon restart). A second `open`
   * for the same container appends to what the first wrote.
   */
  open(info: LogInfo, call?: CallOptions): Promise<LogSink>;
  /**
   * Present when `capabilities.read`: the container's entries oldest first, across rotated
   * (and compressed) files, filtered by `since`/`until`/`tail`, then followed when asked.
   */
  read?(info: LogInfo, options: ReadLogOptions): AsyncIterable<LogEntry>;
}
