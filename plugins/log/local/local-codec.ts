/**
 * The local driver's compact record format (keel's own; Docker's `local` uses protobuf):
 *
 * ```
 * u32 BE  n = 10 + line length
 * u8      stream: 1 stdout, 2 stderr
 * u8      flags: bit 0 = partial
 * u64 BE  time, Unix nanoseconds
 * n-10    the line, without its newline
 * u32 BE  n again, so a reader can also walk the file backwards from its end
 * ```
 * A record whose framing does not check out ends decoding of the file (it was torn by a crash).
 */
import type { LogEntry } from '@keel/sdk';
import type { ByteOut, LogCodec } from '@keel/sdk/logging';

const HEAD = 14;
const OVERHEAD = HEAD + 4;

/** Encodes and decodes local-format records. */
export const localCodec: LogCodec = {
  encode(e: LogEntry, out: ByteOut): void {
    const n = 10 + e.line.length;
    out.ensure(n + 8);
    const b = out.buf;
    const p = out.pos;
    b.writeUInt32BE(n, p);
    b[p + 4] = e.stream === 'stderr' ? 2 : 1;
    b[p + 5] = e.partial ? 1 : 0;
    b.writeBigUInt64BE(BigInt(e.timeNano), p + 6);
    b.set(e.line, p + HEAD);
    b.writeUInt32BE(n, p + HEAD + e.line.length);
    out.pos = p + n + 8;
  },

  decode(buf: Buffer, emit: (e: LogEntry) => void): number {
    let p = 0;
    while (buf.length - p >= OVERHEAD) {
      const n = buf.readUInt32BE(p);
      if (n < 10) return buf.length; // corrupt: skip the rest rather than loop
      if (buf.length - p < n + 8) break;
      if (buf.readUInt32BE(p + n + 4) !== n) return buf.length;
      const partial = (buf[p + 5]! & 1) === 1;
      emit({
        stream: buf[p + 4] === 2 ? 'stderr' : 'stdout',
        timeNano: buf.readBigUInt64BE(p + 6).toString(),
        line: buf.subarray(p + HEAD, p + n + 4),
        ...(partial ? { partial: true } : {}),
      });
      p += n + 8;
    }
    return p;
  },
};
