/**
 * Each running container's log path: its monitor's file → a {@link LogTailer} → the container's
 * log driver sink. Docker's generic options live here: `mode=blocking` (the tailer waits for the
 * driver; the container never does, its monitor writes the file) and `mode=non-blocking` with
 * `max-buffer-size` (a bounded queue that drops the oldest entries when the driver lags).
 */
import path from 'node:path';
import { InvalidArgumentError, NotSupportedError, type DriverSet, type LogDriver, type LogEntry, type LogInfo, type LogSink, type Logger, type ReadLogOptions } from '@keel/sdk';
import type { ContainerRecord } from '../container-types.js';
import { LogTailer } from './log-tailer.js';

/** The daemon's defaults (`log-driver`, `log-opts`). */
export interface LogDefaults {
  readonly driver: string;
  readonly options: Readonly<Record<string, string>>;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9 };
const DEFAULT_BUFFER = 1 << 20;

/** Docker's size strings (`1m`, `512k`, `2g`). */
export function parseSize(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?b?)$/i.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`invalid size: '${v}'`);
  return Math.floor(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
}

interface Running {
  tailer: LogTailer;
  sink: LogSink;
  queue?: { entries: LogEntry[]; bytes: number; max: number; dropped: number; pumping?: Promise<void> };
}

/** Log sinks and tailers of the running containers. */
export class LogPipeline {
  private readonly running = new Map<string, Running>();

  constructor(private readonly drivers: DriverSet<LogDriver>, private readonly defaults: LogDefaults, private readonly log: Logger) {}

  /** The create-time LogConfig: the daemon default filled in, the driver and every option checked (400). */
  resolve(config: { Type?: string; Config?: Record<string, string> | null } | undefined): { Type: string; Config: Record<string, string> } {
    const type = config?.Type || this.defaults.driver;
    const options = { ...(config?.Type ? {} : this.defaults.options), ...(config?.Config ?? {}) };
    const driver = this.drivers.get(type);
    if (!driver) throw new InvalidArgumentError(`failed to create container: logger: no log driver named '${type}' is registered`);
    const { mode, 'max-buffer-size': maxBuffer, ...rest } = options;
    if (mode !== undefined && mode !== 'blocking' && mode !== 'non-blocking') throw new InvalidArgumentError(`logger: logging mode not supported: ${mode}`);
    if (maxBuffer !== undefined) {
      if (mode !== 'non-blocking') throw new InvalidArgumentError('logger: max-buffer-size option is only supported with \'mode=non-blocking\'');
      parseSize(maxBuffer);
    }
    driver.validateOptions(rest);
    return { Type: type, Config: options };
  }

  /** What a driver is told about the container. */
  info(c: ContainerRecord, dataDir: string): LogInfo {
    const { mode: _m, 'max-buffer-size': _b, ...options } = c.HostConfig.LogConfig?.Config ?? {};
    return {
      containerId: c.Id, containerName: c.Name.slice(1), imageName: c.Config.Image, imageId: c.Image, containerCreated: c.Created,
      command: [c.Path, ...c.Args], labels: { ...(c.Config.Labels ?? {}) }, env: [...(c.Config.Env ?? [])], options, logDirectory: dataDir,
    };
  }

  private driverOf(c: ContainerRecord): LogDriver {
    const type = c.HostConfig.LogConfig?.Type || this.defaults.driver;
    const d = this.drivers.get(type);
    if (!d) throw new NotSupportedError(`log driver "${type}" is not available`);
    return d;
  }

  /** Opens the container's sink and starts collecting its monitor's log. */
  async start(c: ContainerRecord, dataDir: string, monitorLog: string): Promise<void> {
    await this.stop(c.Id);
    const sink = await this.driverOf(c).open(this.info(c, dataDir));
    const cfg = c.HostConfig.LogConfig?.Config ?? {};
    const r: Running = { sink, tailer: undefined as unknown as LogTailer };
    if (cfg.mode === 'non-blocking') r.queue = { entries: [], bytes: 0, max: cfg['max-buffer-size'] ? parseSize(cfg['max-buffer-size']) : DEFAULT_BUFFER, dropped: 0 };
    const warn = (msg: string) => this.log.warn({ id: c.Id }, msg);
    r.tailer = new LogTailer(monitorLog, path.join(dataDir, 'log.position'), (entries) => this.deliver(r, entries), warn);
    this.running.set(c.Id, r);
    await r.tailer.start();
  }

  private async deliver(r: Running, entries: LogEntry[]): Promise<void> {
    const q = r.queue;
    if (!q) {
      for (const e of entries) await r.sink.write(e);
      return;
    }
    for (const e of entries) {
      q.entries.push(e);
      q.bytes += e.line.length;
    }
    while (q.bytes > q.max && q.entries.length) {
      q.bytes -= q.entries.shift()!.line.length;
      q.dropped++;
    }
    q.pumping ??= (async () => {
      while (q.entries.length) {
        const e = q.entries.shift()!;
        q.bytes -= e.line.length;
        await r.sink.write(e);
      }
      q.pumping = undefined;
    })();
  }

  /** Collects what is left, flushes and closes the sink (container exited, or the daemon stops). */
  async stop(id: string): Promise<void> {
    const r = this.running.get(id);
    if (!r) return;
    this.running.delete(id);
    await r.tailer.drainAndStop();
    await r.queue?.pumping;
    if (r.queue?.dropped) this.log.warn({ id, dropped: r.queue.dropped }, 'non-blocking log mode dropped entries the driver could not take in time');
    await r.sink.close().catch((err: Error) => this.log.warn({ id, err: err.message }, 'closing the log driver failed'));
  }

  /** At an exit: stops the running collection, or, for a container that exited while the daemon was away, collects what its monitor wrote meanwhile. */
  async finish(c: ContainerRecord, dataDir: string, monitorLog: string): Promise<void> {
    if (!this.running.has(c.Id)) await this.start(c, dataDir, monitorLog).catch((err: Error) => this.log.warn({ id: c.Id, err: err.message }, 'log catch-up failed'));
    await this.stop(c.Id);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running.keys()].map((id) => this.stop(id)));
  }

  /** `docker logs` through the container's driver; 501-style error when it cannot read. */
  read(c: ContainerRecord, dataDir: string, opts: ReadLogOptions): AsyncIterable<LogEntry> {
    const driver = this.driverOf(c);
    if (!driver.capabilities.read || !driver.read) throw new NotSupportedError('configured logging driver does not support reading');
    return driver.read(this.info(c, dataDir), opts);
  }
}
