/**
 * syslog options and message formats, as Docker's syslog driver (srslog) writes them:
 * default `<pri>Mmm _d hh:mm:ss tag[pid]: msg` (no hostname, for the local syslog), `rfc3164`
 * with the hostname, `rfc5424` / `rfc5424micro` (`<pri>1 time host tag pid tag - msg`).
 * Stdout lines have severity info (6), stderr err (3).
 */
import { existsSync } from 'node:fs';
import { InvalidArgumentError } from '@keel/sdk';
import { checkLogOptKeys } from '@keel/sdk/logging';

const FACILITIES = ['kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp', '', '', '', '', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'];
const KEYS = ['syslog-address', 'syslog-facility', 'syslog-tls-ca-cert', 'syslog-tls-cert', 'syslog-tls-key', 'syslog-tls-skip-verify', 'syslog-format'];

/** Where to send: the scheme (`unix`, `unixgram`, `udp`, `tcp`, `tcp+tls`) and path or host:port. */
export interface SyslogTarget {
  readonly scheme: string;
  readonly path?: string;
  readonly host?: string;
  readonly port?: number;
}

/** Parses `syslog-address` (empty: the local syslog socket). */
export function parseSyslogAddress(address: string | undefined): SyslogTarget | undefined {
  if (!address) return undefined;
  const m = /^([a-z+]+):\/\/(.*)$/.exec(address);
  const scheme = m?.[1] ?? '';
  if (scheme === 'unix' || scheme === 'unixgram') {
    if (!existsSync(m![2]!)) throw new InvalidArgumentError(`stat ${m![2]}: no such file or directory`);
    return { scheme, path: m![2]! };
  }
  if (!['udp', 'tcp', 'tcp+tls'].includes(scheme)) throw new InvalidArgumentError(`unsupported scheme: '${scheme}'`);
  const hp = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(m![2]!);
  if (!hp) throw new InvalidArgumentError(`address ${m![2]}: invalid address`);
  return { scheme, host: hp[1]!.replace(/^\[|\]$/g, ''), port: Number(hp[2] ?? 514) };
}

/** The facility code (default daemon), from a name or 0–23. */
export function parseFacility(facility: string | undefined): number {
  if (!facility) return 3;
  const named = FACILITIES.indexOf(facility);
  if (named >= 0 && facility) return named;
  if (/^\d+$/.test(facility) && Number(facility) <= 23) return Number(facility);
  throw new InvalidArgumentError('invalid syslog facility');
}

/** The message format; throws Docker's `Invalid syslog format`. */
export function parseSyslogFormat(format: string | undefined): '' | 'rfc3164' | 'rfc5424' | 'rfc5424micro' {
  if (!format) return '';
  if (format === 'rfc3164' || format === 'rfc5424' || format === 'rfc5424micro') return format;
  throw new InvalidArgumentError('Invalid syslog format');
}

/** Checks syslog options with Docker's messages. */
export function validateSyslogOptions(options: Readonly<Record<string, string>>): void {
  checkLogOptKeys('syslog', options, KEYS);
  parseSyslogAddress(options['syslog-address']);
  parseFacility(options['syslog-facility']);
  parseSyslogFormat(options['syslog-format']);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** Formats one message (without framing). `time` is the entry's time in ms, `micros` its µs part. */
export function formatSyslog(format: ReturnType<typeof parseSyslogFormat>, pri: number, time: { ms: number; micros: number }, host: string, tag: string, pid: number, msg: string): string {
  const d = new Date(time.ms);
  if (format === '' || format === 'rfc3164') {
    const stamp = `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
    return format === '' ? `<${pri}>${stamp} ${tag}[${pid}]: ${msg}` : `<${pri}>${stamp} ${host} ${tag}[${pid}]: ${msg}`;
  }
  const iso = d.toISOString().slice(0, 19);
  const stamp = format === 'rfc5424micro' ? `${iso}.${String(time.micros).padStart(6, '0')}Z` : `${iso}Z`;
  return `<${pri}>1 ${stamp} ${host} ${tag} ${pid} ${tag} - ${msg}`;
}
