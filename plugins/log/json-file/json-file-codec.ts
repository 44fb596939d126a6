/**
 * Docker's json-file line format, byte for byte: `{"log":"…\n","stream":"stdout","attrs":{…},
 * "time":"<RFC3339Nano>"}` + newline. The log text is escaped like moby's jsonlog (Go's JSON
 * escaping: `<`, `>`, `&` and control bytes as `\u00XX`, invalid UTF-8 as `\ufffd`, U+2028/9
 * escaped), and the time uses Go's RFC3339Nano (trailing zeros of the fraction trimmed). Plain
 * ASCII lines — nearly all of them — are copied without building a string.
 */
import type { LogEntry } from '@keel/sdk';
import type { ByteOut, LogCodec } from '@keel/sdk/logging';

const NEEDS_ESCAPE = new Uint8Array(256);
for (let b = 0; b < 256; b++) NEEDS_ESCAPE[b] = b < 0x20 || b >= 0x7f || b === 0x22 || b === 0x5c || b === 0x3c || b === 0x3e || b === 0x26 ? 1 : 0;
NEEDS_ESCAPE[0x7f] = 0; // DEL is printed raw by Go

const HEX = '0123456789abcdef';
const utf8 = new TextDecoder('utf-8');

/** Go's escaping of a JSON string body, for the lines that need it. */
function escapeSlow(line: Uint8Array): string {
  let out = '';
  for (const ch of utf8.decode(line)) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || ch === '<' || ch === '>' || ch === '&') out += `\\u00${HEX[c >> 4]}${HEX[c & 15]}`;
    else if (c === 0x2028 || c === 0x2029 || c === 0xfffd) out += `\\u${c.toString(16)}`;
    else out += ch;
  }
  return out;
}

/** Go's RFC3339Nano for a time in Unix nanoseconds: fraction without trailing zeros. */
export class TimeFormatter {
  private lastSec = '';
  private lastPrefix = '';

  format(timeNano: string): string {
    const t = timeNano.padStart(10, '0');
    const sec = t.slice(0, -9);
    if (sec !== this.lastSec) {
      this.lastSec = sec;
      this.lastPrefix = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
    }
    const frac = t.slice(-9).replace(/0+$/, '');
    return frac ? `${this.lastPrefix}.${frac}Z` : `${this.lastPrefix}Z`;
  }
}

/** Parses RFC 3339 times back to Unix nanoseconds (decimal string). */
export class TimeParser {
  private lastHead = '';
  private lastSec = '';

  parse(time: string): string | undefined {
    const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(time);
    if (!m) return undefined;
    const head = m[1]! + m[3]!;
    if (head !== this.lastHead) {
      const ms = Date.parse(head);
      if (Number.isNaN(ms) || ms < 1000) return undefined;
      this.lastHead = head;
      this.lastSec = String(ms / 1000);
    }
    // Seconds and nine fraction digits side by side: no arithmetic per line.
    return this.lastSec + (m[2] ?? '').padEnd(9, '0');
  }
}

const LOG_KEY = Buffer.from('{"log":"');
const STREAM = { stdout: Buffer.from('"stream":"stdout"'), stderr: Buffer.from('"stream":"stderr"') };
/** What follows the log string in the usual line, up to the time's value. */
const FAST = { stdout: Buffer.from(',"stream":"stdout","time":"'), stderr: Buffer.from(',"stream":"stderr","time":"') };

/** The json-file codec; `attrs` is the JSON object of selected labels/env/tag (or none). */
export function jsonFileCodec(attrs?: Record<string, string>): LogCodec {
  const attrsBytes = attrs && Object.keys(attrs).length ? Buffer.from(`,"attrs":${JSON.stringify(attrs).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}`) : undefined;
  const times = new TimeFormatter();
  const parser = new TimeParser();

  function encode(e: LogEntry, out: ByteOut): void {
    const line = e.line;
    let plain = true;
    for (let i = 0; i < line.length; i++) if (NEEDS_ESCAPE[line[i]!]) { plain = false; break; }
    const body = plain ? undefined : escapeSlow(line);
    const bodyBytes = plain ? line.length : Buffer.byteLength(body!);
    out.ensure(bodyBytes + (attrsBytes?.length ?? 0) + 96);
    const b = out.buf;
    let p = out.pos;
    if (line.length || !e.partial) {
      p += LOG_KEY.copy(b, p);
      if (plain) { b.set(line, p); p += line.length; } else p += b.write(body!, p);
      if (!e.partial) { b[p++] = 0x5c; b[p++] = 0x6e; } // \n
      b[p++] = 0x22; b[p++] = 0x2c; // ",
    } else {
      b[p++] = 0x7b; // {
    }
    p += STREAM[e.stream].copy(b, p);
    if (attrsBytes) p += attrsBytes.copy(b, p);
    p += b.write(`,"time":"${times.format(e.timeNano)}"}\n`, p, 'latin1');
    out.pos = p;
  }

  /** The usual line, `{"log":"…","stream":"std…","time":"…"}`, read without JSON.parse; false for any other. */
  function decodeFast(buf: Buffer, start: number, end: number, emit: (e: LogEntry) => void): boolean {
    if (buf.compare(LOG_KEY, 0, LOG_KEY.length, start, start + LOG_KEY.length) !== 0) return false;
    const from = start + LOG_KEY.length;
    const quote = buf.indexOf(0x22, from);
    if (quote < 0 || quote >= end) return false;
    const first = buf.subarray(from, quote).indexOf(0x5c); // within the string only: never a scan of the rest
    const slash = first < 0 ? -1 : from + first;
    // No escape at all (a partial line), or only the closing `\n` of a complete one.
    const complete = slash >= 0;
    if (complete && (slash !== quote - 2 || buf[quote - 1] !== 0x6e)) return false;
    let p = quote + 1;
    const stream = buf.compare(FAST.stdout, 0, FAST.stdout.length, p, p + FAST.stdout.length) === 0 ? 'stdout'
      : buf.compare(FAST.stderr, 0, FAST.stderr.length, p, p + FAST.stderr.length) === 0 ? 'stderr' : undefined;
    if (!stream) return false;
    p += FAST.stdout.length;
    if (buf[end - 1] !== 0x7d || buf[end - 2] !== 0x22) return false; // ends with "}
    const timeNano = parser.parse(buf.toString('latin1', p, end - 2));
    if (!timeNano) return false;
    emit(complete ? { stream, timeNano, line: buf.subarray(from, slash) } : { stream, timeNano, line: buf.subarray(from, quote), partial: true });
    return true;
  }

  function decode(buf: Buffer, emit: (e: LogEntry) => void): number {
    let start = 0;
    for (let nl = buf.indexOf(10); nl >= 0; start = nl + 1, nl = buf.indexOf(10, start)) {
      if (decodeFast(buf, start, nl, emit)) continue;
      let rec: { log?: string; stream?: string; time?: string };
      try { rec = JSON.parse(buf.toString('utf8', start, nl)); } catch { continue; } // a torn or foreign line
      const timeNano = rec.time ? parser.parse(rec.time) : undefined;
      if (!timeNano) continue;
      const log = rec.log ?? '';
      const partial = !log.endsWith('\n');
      emit({ stream: rec.stream === 'stderr' ? 'stderr' : 'stdout', timeNano, line: Buffer.from(partial ? log : log.slice(0, -1)), ...(partial ? { partial: true } : {}) });
    }
    return start;
  }

  return { encode, decode, lineDelimited: true };
}
