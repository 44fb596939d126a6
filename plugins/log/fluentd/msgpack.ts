/**
 * The little of MessagePack the fluentd forward protocol needs: strings, string maps, arrays,
 * unsigned integers and the EventTime extension (type 0: u32 seconds, u32 nanoseconds). Written
 * here rather than pulled in as a dependency because the encoder is this small.
 */

/** A value this encoder can write. */
export type Packable = string | number | Buffer | readonly Packable[] | { readonly [k: string]: string };

function header(small: number, bits8: number | undefined, bits16: number, bits32: number, n: number, smallMax: number): Buffer {
  if (n <= smallMax) return Buffer.from([small | n]);
  if (bits8 !== undefined && n < 0x100) return Buffer.from([bits8, n]);
  if (n < 0x10000) { const b = Buffer.alloc(3); b[0] = bits16; b.writeUInt16BE(n, 1); return b; }
  const b = Buffer.alloc(5); b[0] = bits32; b.writeUInt32BE(n, 1); return b;
}

function str(s: string, out: Buffer[]): void {
  const bytes = Buffer.from(s);
  out.push(header(0xa0, 0xd9, 0xda, 0xdb, bytes.length, 31), bytes);
}

function uint(n: number, out: Buffer[]): void {
  if (n < 0x80) out.push(Buffer.from([n]));
  else { const b = Buffer.alloc(5); b[0] = 0xce; b.writeUInt32BE(n >>> 0, 1); out.push(b); }
}

function pack(v: Packable, out: Buffer[]): void {
  if (typeof v === 'string') str(v, out);
  else if (typeof v === 'number') uint(v, out);
  else if (Buffer.isBuffer(v)) out.push(v); // already encoded (an ext value)
  else if (Array.isArray(v)) { out.push(header(0x90, undefined, 0xdc, 0xdd, v.length, 15)); for (const x of v) pack(x, out); }
  else {
    const entries = Object.entries(v as Record<string, string>);
    out.push(header(0x80, undefined, 0xde, 0xdf, entries.length, 15));
    for (const [k, x] of entries) { str(k, out); str(x, out); }
  }
}

/** Encodes a value. */
export function msgpack(v: Packable): Buffer {
  const out: Buffer[] = [];
  pack(v, out);
  return Buffer.concat(out);
}

/** Fluentd's EventTime (ext type 0, fixext 8): an already-encoded value for {@link msgpack}. */
export function eventTime(seconds: number, nanos: number): Buffer {
  const b = Buffer.alloc(10);
  b[0] = 0xd7; b[1] = 0x00;
  b.writeUInt32BE(seconds >>> 0, 2);
  b.writeUInt32BE(nanos >>> 0, 6);
  return b;
}
