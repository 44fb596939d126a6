/**
 * The fluentd driver: each entry as a forward-protocol Message `[tag, time, record]` in
 * MessagePack over TCP or a unix socket. Record fields are Docker's (`container_id`,
 * `container_name` with its slash, `source`, `log`, selected labels/env, `partial_message`).
 * Sending goes through a bounded reconnecting queue, so a missing fluentd never blocks the
 * container; without `fluentd-async`, `open` fails (like Docker) when fluentd is unreachable.
 */
import { connect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { UnavailableError, type LogCapabilities, type LogDriver, type LogEntry, type LogInfo, type LogSink } from '@keel/sdk';
import { extraAttributes, renderLogTag, StreamSender } from '@keel/sdk/logging';
import { parseFluentdOptions, type FluentdConfig } from './fluentd-options.js';
import { eventTime, msgpack } from './msgpack.js';

const dial = (target: FluentdConfig['target']): Socket => ('path' in target ? connect({ path: target.path }) : connect({ host: target.host, port: target.port }));

/** Resolves once a connection to `target` succeeds; rejects with Docker-like wording otherwise. */
function probe(target: FluentdConfig['target']): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = dial(target);
    s.once('connect', () => { s.end(); resolve(); });
    s.once('error', (err) => reject(new UnavailableError(`failed to initialize logging driver: dial ${'path' in target ? target.path : `${target.host}:${target.port}`}: ${err.message}`)));
  });
}

/** The fluentd log driver. */
export class FluentdLogDriver implements LogDriver {
  readonly capabilities: LogCapabilities = { read: false };

  constructor(private readonly warn: (msg: string) => void = () => undefined) {}

  validateOptions(options: Readonly<Record<string, string>>): void {
    parseFluentdOptions(options);
  }

  async open(info: LogInfo): Promise<LogSink> {
    const cfg = parseFluentdOptions(info.options);
    if (!cfg.async) await probe(cfg.target);
    const tag = renderLogTag(info, hostname());
    const fixed = { container_id: info.containerId, container_name: `/${info.containerName}` };
    const extra = extraAttributes(info);
    const sender = new StreamSender({
      connect: () => dial(cfg.target),
      limit: cfg.bufferLimit,
      retryMs: cfg.retryWaitMs,
      maxRetries: cfg.maxRetries,
      onDrop: (n, why) => this.warn(`fluentd: ${n} log messages dropped (${why})`),
    });
    const done = Promise.resolve();
    return {
      write(e: LogEntry) {
        const nanos = BigInt(e.timeNano);
        const sec = Number(nanos / 1_000_000_000n);
        const time = cfg.subSecond ? eventTime(sec, Number(nanos % 1_000_000_000n)) : sec;
        const record = { ...fixed, source: e.stream, log: Buffer.from(e.line).toString(), ...extra, ...(e.partial ? { partial_message: 'true' } : {}) };
        sender.send(msgpack([tag, time, record]));
        return done;
      },
      close: () => sender.close(),
    };
  }
}
