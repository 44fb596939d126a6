/**
 * Tar headers: ustar fields, GNU base-256 numbers, PAX records (values kept as raw bytes so binary
 * xattrs such as `security.capability` survive), and the checksum.
 * @packageDocumentation
 */
import { TarError } from './errors.js';

/** Entry types. */
export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

/** One entry's metadata. */
export interface TarHeader {
  path: string;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  uname?: string;
  gname?: string;
  size: number;
  /** Seconds since the epoch; may be fractional. */
  mtime: number;
  linkpath?: string;
  devmajor?: number;
  devminor?: number;
  /** Extended attributes (`SCHILY.xattr.<name>`), binary-safe. */
  xattrs?: Record<string, Buffer>;
  /** Every PAX record of the entry, raw. */
  pax?: Record<string, Buffer>;
}

/** The raw fields of a 512-byte header block. */
export interface RawHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
}

const TYPES: Record<string, TarEntryType> = { '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo' };
const FLAGS: Record<TarEntryType, string> = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' };

/** The entry type of a typeflag, or undefined for metadata/unsupported flags. */
export function entryType(flag: string): TarEntryType | undefined {
  return TYPES[flag];
}

function str(b: Buffer, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const end = s.indexOf(0);
  return s.subarray(0, end < 0 ? len : end).toString('utf8');
}

function num(b: Buffer, off: number, len: number): number {
  const f = b.subarray(off, off + len);
  if (f[0]! & 0x80) {
    // GNU base-256: big-endian, first byte's top bit is the marker.
    let v = f[0]! & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + f[i]!;
    if (!Number.isSafeInteger(v)) throw new TarError('ERR_TAR_LIMIT', 'numeric field too large');
    return v;
  }
  const t = f.toString('ascii').replace(/[\0 ]+$/g, '').replace(/^[\0 ]+/, '');
  if (t === '') return 0;
  if (!/^[0-7]+$/.test(t)) throw new TarError('ERR_TAR_MALFORMED', 'invalid numeric field in tar header');
  return parseInt(t, 8);
}

/** True for a block of zeros (end of archive). */
export function isZeroBlock(b: Buffer): boolean {
  for (let i = 0; i < 512; i++) if (b[i] !== 0) return false;
  return true;
}

/** Parses and checksums a header block. */
export function parseHeader(b: Buffer): RawHeader {
  let sum = 0;
  let signed = 0;
  for (let i = 0; i < 512; i++) {
    const v = i >= 148 && i < 156 ? 32 : b[i]!;
    sum += v;
    signed += v > 127 ? v - 256 : v;
  }
  const stored = num(b, 148, 8);
  if (stored !== sum && stored !== signed) throw new TarError('ERR_TAR_MALFORMED', 'tar header checksum mismatch');
  const magic = b.subarray(257, 263).toString('ascii');
  const prefix = magic.startsWith('ustar') && magic !== 'ustar ' ? str(b, 345, 155) : '';
  const name = str(b, 0, 100);
  return {
    name: prefix ? `${prefix}/${name}` : name,
    mode: num(b, 100, 8), uid: num(b, 108, 8), gid: num(b, 116, 8), size: num(b, 124, 12), mtime: num(b, 136, 12),
    typeflag: String.fromCharCode(b[156]!), linkname: str(b, 157, 100), uname: str(b, 265, 32), gname: str(b, 297, 32),
    devmajor: num(b, 329, 8), devminor: num(b, 337, 8),
  };
}

/** Parses PAX records (`<len> <key>=<value>\n`), values as raw bytes. */
export function parsePax(data: Buffer): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break;
    const sp = data.indexOf(0x20, pos);
    const len = sp > pos ? Number(data.subarray(pos, sp).toString('ascii')) : NaN;
    if (!Number.isInteger(len) || len <= sp - pos || pos + len > data.length || data[pos + len - 1] !== 0x0a) throw new TarError('ERR_TAR_MALFORMED', 'invalid PAX record');
    const rec = data.subarray(sp + 1, pos + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) throw new TarError('ERR_TAR_MALFORMED', 'invalid PAX record');
    out[rec.subarray(0, eq).toString('utf8')] = Buffer.from(rec.subarray(eq + 1));
    pos += len;
  }
  return out;
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

function writeStr(b: Buffer, off: number, len: number, s: string): boolean {
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.length > len) return false;
  bytes.copy(b, off);
  return true;
}

function writeNum(b: Buffer, off: number, len: number, v: number): boolean {
  const s = Math.floor(v).toString(8);
  if (v < 0 || s.length > len - 1) return false;
  b.write(s.padStart(len - 1, '0'), off, 'ascii');
  return true;
}

/** Encodes a header: one ustar block, preceded by a PAX header when a field does not fit. */
export function encodeHeader(h: TarHeader): Buffer {
  const pax: Array<[string, Buffer]> = [];
  const b = Buffer.alloc(512);
  const ascii = (s: string) => /^[\x20-\x7e]*$/.test(s);
  let name = h.type === 'dir' && !h.path.endsWith('/') ? `${h.path}/` : h.path;
  let prefix = '';
  if (Buffer.byteLength(name) > 100 || !ascii(name)) {
    const cut = name.lastIndexOf('/', name.length - 2);
    if (ascii(name) && cut > 0 && cut <= 155 && name.length - cut - 1 <= 100) {
      prefix = name.slice(0, cut);
      name = name.slice(cut + 1);
    } else {
      pax.push(['path', Buffer.from(name)]);
      name = name.slice(-100).replace(/^[^\x20-\x7e]+/, '');
    }
  }
  writeStr(b, 0, 100, ascii(name) ? name : 'pax');
  writeStr(b, 345, 155, prefix);
  const numeric: Array<[number, number, number, string]> = [[108, 8, h.uid, 'uid'], [116, 8, h.gid, 'gid'], [124, 12, h.size, 'size'], [136, 12, h.mtime, 'mtime']];
  writeNum(b, 100, 8, h.mode & 0o7777);
  for (const [off, len, v, key] of numeric) if (!writeNum(b, off, len, v)) pax.push([key, Buffer.from(String(v))]);
  if (h.mtime % 1 !== 0 && !pax.some(([k]) => k === 'mtime')) pax.push(['mtime', Buffer.from(h.mtime.toFixed(9).replace(/0+$/, ''))]);
  b.write(FLAGS[h.type], 156, 'ascii');
  if (h.linkpath !== undefined && (!writeStr(b, 157, 100, h.linkpath) || !ascii(h.linkpath))) pax.push(['linkpath', Buffer.from(h.linkpath)]);
  b.write('ustar\x0000', 257, 'binary');
  if (h.uname && !writeStr(b, 265, 32, h.uname)) pax.push(['uname', Buffer.from(h.uname)]);
  if (h.gname && !writeStr(b, 297, 32, h.gname)) pax.push(['gname', Buffer.from(h.gname)]);
  writeNum(b, 329, 8, h.devmajor ?? 0);
  writeNum(b, 337, 8, h.devminor ?? 0);
  for (const [k, v] of Object.entries(h.xattrs ?? {})) pax.push([`SCHILY.xattr.${k}`, v]);
  checksum(b);
  if (!pax.length) return b;
  const data = Buffer.concat(pax.map(([k, v]) => paxRecord(k, v)));
  const ph = Buffer.alloc(512);
  writeStr(ph, 0, 100, `PaxHeaders/${name}`.slice(0, 99));
  writeNum(ph, 100, 8, 0o644);
  writeNum(ph, 124, 12, data.length);
  writeNum(ph, 136, 12, h.mtime);
  ph.write('x', 156, 'ascii');
  ph.write('ustar\x0000', 257, 'binary');
  checksum(ph);
  return Buffer.concat([ph, data, Buffer.alloc((512 - (data.length % 512)) % 512), b]);
}

function checksum(b: Buffer): void {
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += b[i]!;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
}
