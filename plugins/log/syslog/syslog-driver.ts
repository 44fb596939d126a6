/**
 * The syslog driver: one message per entry to a unix (stream or datagram), UDP, TCP or TCP+TLS
 * syslog server, never blocking the container (bounded queues, reconnects, counted drops).
 */
import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { hostname } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import type { LogCapabilities, LogDriver, LogEntry, LogInfo, LogSink } from '@keel/sdk';
import { renderLogTag, StreamSender } from '@keel/sdk/logging';
import { DatagramSender } from './datagram-sender.js';
import { formatSyslog, parseFacility, parseSyslogAddress, parseSyslogFormat, validateSyslogOptions, type SyslogTarget } from './syslog-format.js';

/** Where drops are reported. */
export type DropWarning = (msg: string) => void;

function transport(target: SyslogTarget | undefined, options: Readonly<Record<string, string>>, warn: DropWarning): { send(b: Buffer): void; close(): Promise<void> } {
  const onDrop = (n: number, reason = 'receiver unavailable') => warn(`syslog: ${n} log messages dropped (${reason})`);
  if (!target) return new DatagramSender({ path: '/dev/log' }, onDrop);
  if (target.scheme === 'udp') return new DatagramSender({ host: target.host!, port: target.port! }, onDrop);
  if (target.scheme === 'unixgram') return new DatagramSender({ path: target.path! }, onDrop);
  const read = (key: string) => (options[key] ? readFileSync(options[key]!) : undefined);
  const connect = target.scheme === 'unix' ? () => netConnect({ path: target.path! })
    : target.scheme === 'tcp' ? () => netConnect({ host: target.host!, port: target.port! })
      : () => tlsConnect({ host: target.host!, port: target.port!, ca: read('syslog-tls-ca-cert'), cert: read('syslog-tls-cert'), key: read('syslog-tls-key'), rejectUnauthorized: !('syslog-tls-skip-verify' in options) });
  return new StreamSender({ connect, onDrop });
}

/** The syslog log driver. */
export class SyslogLogDriver implements LogDriver {
  readonly capabilities: LogCapabilities = { read: false };

  constructor(private readonly warn: DropWarning = () => undefined) {}

  validateOptions(options: Readonly<Record<string, string>>): void {
    validateSyslogOptions(options);
  }

  async open(info: LogInfo): Promise<LogSink> {
    const o = info.options;
    validateSyslogOptions(o);
    const host = hostname();
    const tag = renderLogTag(info, host);
    const facility = parseFacility(o['syslog-facility']);
    const format = parseSyslogFormat(o['syslog-format']);
    const target = parseSyslogAddress(o['syslog-address']);
    // RFC 5425: syslog over TLS with RFC 5424 messages is framed by octet counting.
    const octetCounted = target?.scheme === 'tcp+tls' && format.startsWith('rfc5424');
    const out = transport(target, o, this.warn);
    const done = Promise.resolve();
    return {
      write(e: LogEntry) {
        if (!e.line.length) return done; // Docker skips empty lines
        const nanos = BigInt(e.timeNano);
        const time = { ms: Number(nanos / 1_000_000n), micros: Number((nanos / 1000n) % 1_000_000n) };
        const msg = formatSyslog(format, facility * 8 + (e.stream === 'stderr' ? 3 : 6), time, host, tag, process.pid, Buffer.from(e.line).toString());
        const body = Buffer.from(msg);
        out.send(octetCounted ? Buffer.concat([Buffer.from(`${body.length} `), body]) : Buffer.concat([body, Buffer.from('\n')]));
        return done;
      },
      close: () => out.close(),
    };
  }
}
