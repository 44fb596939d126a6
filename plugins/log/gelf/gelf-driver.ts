/**
 * The gelf driver: GELF over UDP (compressed, chunked) or TCP (null-byte framed, uncompressed),
 * never blocking the container: UDP is fire-and-forget, TCP goes through a bounded reconnecting
 * queue.
 */
import { createSocket } from 'node:dgram';
import { connect, isIPv6 } from 'node:net';
import { hostname } from 'node:os';
import { deflateSync, gzipSync } from 'node:zlib';
import type { LogCapabilities, LogDriver, LogEntry, LogInfo, LogSink } from '@keel/sdk';
import { StreamSender } from '@keel/sdk/logging';
import { gelfChunks, gelfEncoder, validateGelfOptions } from './gelf-message.js';

/** The gelf log driver. */
export class GelfLogDriver implements LogDriver {
  readonly capabilities: LogCapabilities = { read: false };

  constructor(private readonly warn: (msg: string) => void = () => undefined) {}

  validateOptions(options: Readonly<Record<string, string>>): void {
    validateGelfOptions(options);
  }

  async open(info: LogInfo): Promise<LogSink> {
    const address = validateGelfOptions(info.options);
    const encode = gelfEncoder(info, hostname());
    const done = Promise.resolve();
    if (address.scheme === 'tcp') {
      const reconnects = info.options['gelf-tcp-max-reconnect'];
      const sender = new StreamSender({
        connect: () => connect({ host: address.host, port: address.port }),
        retryMs: info.options['gelf-tcp-reconnect-delay'] ? Number(info.options['gelf-tcp-reconnect-delay']) * 1000 : 1000,
        maxRetries: reconnects === undefined ? 3 : Number(reconnects),
        onDrop: (n, why) => this.warn(`gelf: ${n} log messages dropped (${why})`),
      });
      return {
        write: (e: LogEntry) => { const m = encode(e); if (m) sender.send(Buffer.from(`${m}\0`)); return done; },
        close: () => sender.close(),
      };
    }
    const type = info.options['gelf-compression-type'] ?? 'gzip';
    const level = info.options['gelf-compression-level'] === undefined ? -1 : Number(info.options['gelf-compression-level']);
    const compress = type === 'none' ? (b: Buffer) => b : type === 'zlib' ? (b: Buffer) => deflateSync(b, { level }) : (b: Buffer) => gzipSync(b, { level });
    const socket = createSocket(isIPv6(address.host) ? 'udp6' : 'udp4');
    socket.on('error', () => undefined); // a missing receiver shows up as ICMP errors: UDP drops by design
    socket.unref();
    let inFlight = 0;
    let dropped = 0;
    let closing: Promise<void> | undefined;
    return {
      write: (e: LogEntry) => {
        const m = encode(e);
        if (!m) return done;
        const chunks = gelfChunks(compress(Buffer.from(m)));
        if (!chunks.length || inFlight > 1024) {
          if ((++dropped & (dropped - 1)) === 0) this.warn(`gelf: ${dropped} log messages dropped`);
          return done;
        }
        for (const c of chunks) { inFlight++; socket.send(c, address.port, address.host, () => { inFlight--; }); }
        return done;
      },
      close: () => (closing ??= (async () => {
        for (let i = 0; inFlight > 0 && i < 100; i++) await new Promise((resolve) => setTimeout(resolve, 10));
        await new Promise<void>((resolve) => socket.close(() => resolve()));
      })()),
    };
  }
}
