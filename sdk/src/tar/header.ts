/**
 * The 512-byte tar header block: ustar fields (with the 155-byte prefix), GNU base-256 numbers,
 * the checksum, and the entry model ({@link TarHeader}) that readers yield and writers take.
 * @packageDocumentation
 */
import { TarError } from './errors.js';

/** Entry types keel handles; `7` (contiguous file) is read as `file`. */
export type TarEntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

/** One entry's metadata, after PAX and GNU long-name records were applied. */
export interface TarHeader {
  /** Entry name as stored (directories usually end with `/`). */
  path: string;
  type: TarEntryType;
  /** Permission bits including setuid/setgid/sticky (`0o7777`). */
  mode: number;
  uid: number;
  gid: number;
  uname?: string;
  gname?: string;
  /** Content bytes; 0 for everything but files. */
  size: number;
  /** Modification time in seconds since the epoch; may be fractional (PAX). */
  mtime: number;
  /** Access time in seconds (PAX `atime`), when the archive has one. */
  atime?: number;
  /** Target of a symlink (verbatim) or a hardlink (an entry path). */
  linkpath?: string;
  devmajor?: number;
  devminor?: number;
  /** Extended attributes (`SCHILY.xattr.<name>`), values as raw bytes. */
  xattrs?: Record<string, Buffer>;
  /** Every PAX record in effect for the entry (global, then per-entry), values raw. */
  pax?: Record<string, Buffer>;
}

/** The fields of one header block, before PAX/GNU records are applied. */
export interface RawHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  /** The typeflag character (`'0'`, `'x'`, `'L'`…). */
  typeflag: string;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
}

/** Size of a tar block. */
export const BLOCK = 512;

const TYPES: Record<string, TarEntryType> = { '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo' };
const FLAGS: Record<TarEntryType, string> = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' };
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The entry type of a typeflag, or undefined for metadata and unsupported flags. */
export function entryType(flag: string): TarEntryType | undefined {
  return TYPES[flag];
}

/** The typeflag written for an entry type. */
export function typeFlag(type: TarEntryType): string {
  return FLAGS[type];
}

/** Bytes of padding after `n` bytes of data. */
export function padding(n: number): number {
  return (BLOCK - (n % BLOCK)) % BLOCK;
}

/** Strict UTF-8 decoding: keel refuses names it could not write back unchanged. */
export function decodeUtf8(b: Uint8Array, what: string): string {
  try {
    return utf8.decode(b);
  } catch {
    throw new TarError('ERR_TAR_MALFORMED', `${what} is not valid UTF-8`);
  }
}

function str(b: Buffer, off: number, len: number, what: string): string {
  const s = b.subarray(off, off + len);
  const end = s.indexOf(0);
  return decodeUtf8(end < 0 ? s : s.subarray(0, end), what);
}

function num(b: Buffer, off: number, len: number, what: string): number {
  const f = b.subarray(off, off + len);
  if (f[0]! & 0x80) {
    // GNU base-256: big-endian two's complement; 0x80 marks positive, 0xff negative (refused).
    if (f[0] === 0xff) throw new TarError('ERR_TAR_MALFORMED', `negative ${what} in tar header`);
    let v = f[0]! & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + f[i]!;
    if (!Number.isSafeInteger(v)) throw new TarError('ERR_TAR_LIMIT', `${what} in tar header is too large`);
    return v;
  }
  const t = f.toString('latin1').replace(/^[\0 ]+/, '').replace(/[\0 ].*$/s, '');
  if (t === '') return 0;
  if (!/^[0-7]+$/.test(t)) throw new TarError('ERR_TAR_MALFORMED', `invalid ${what} field in tar header`);
  return parseInt(t, 8);
}

/** True for a block of zeros (the end-of-archive marker is two of them). */
export function isZeroBlock(b: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

function checksumOf(b: Buffer): { unsigned: number; signed: number } {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const v = i >= 148 && i < 156 ? 0x20 : b[i]!;
    unsigned += v;
    signed += v > 127 ? v - 256 : v;
  }
  return { unsigned, signed };
}

/** Parses a header block after verifying its checksum (unsigned or, for old writers, signed). */
export function parseHeader(b: Buffer): RawHeader {
  const sum = checksumOf(b);
  const stored = num(b, 148, 8, 'checksum');
  if (stored !== sum.unsigned && stored !== sum.signed) throw new TarError('ERR_TAR_MALFORMED', 'tar header checksum mismatch (not a tar archive, or corrupted)');
  const magic = b.subarray(257, 265).toString('latin1');
  // Only POSIX ustar has the prefix field; GNU ("ustar  \0") keeps atime/ctime there.
  const prefix = magic === 'ustar\x0000' ? str(b, 345, 155, 'entry name') : '';
  const name = str(b, 0, 100, 'entry name');
  return {
    name: prefix ? `${prefix}/${name}` : name,
    mode: num(b, 100, 8, 'mode') & 0o7777,
    uid: num(b, 108, 8, 'uid'),
    gid: num(b, 116, 8, 'gid'),
    size: num(b, 124, 12, 'size'),
    mtime: num(b, 136, 12, 'mtime'),
    typeflag: String.fromCharCode(b[156]!),
    linkname: str(b, 157, 100, 'link name'),
    uname: str(b, 265, 32, 'user name'),
    gname: str(b, 297, 32, 'group name'),
    devmajor: num(b, 329, 8, 'devmajor'),
    devminor: num(b, 337, 8, 'devminor'),
  };
}

/** True when `s` fits a ustar text field as is: ASCII without NUL, at most `len` bytes. */
export function fitsField(s: string, len: number): boolean {
  return s.length <= len && /^[\x01-\x7f]*$/.test(s);
}

/** Writes an octal field, or base-256 when it does not fit; false when only PAX can carry it. */
export function writeNumber(b: Buffer, off: number, len: number, v: number): boolean {
  // Fractional or negative values get the nearest representable value here and a PAX record.
  const n = Number.isFinite(v) ? Math.min(Math.max(0, Math.floor(v)), Number.MAX_SAFE_INTEGER) : 0;
  if (n < 8 ** (len - 1)) {
    b.write(`${n.toString(8).padStart(len - 1, '0')}\0`, off, 'latin1');
  } else {
    let rest = BigInt(n);
    for (let i = len - 1; i > 0; i--, rest >>= 8n) b[off + i] = Number(rest & 0xffn);
    b[off] = 0x80;
  }
  return n === v && n < 8 ** (len - 1);
}

/** Fills the checksum field of a finished block. */
export function setChecksum(b: Buffer): void {
  b.write(`${checksumOf(b).unsigned.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
}

/** Splits a long ASCII name into ustar prefix (≤155) and name (≤100), or undefined. */
function splitName(name: string): [string, string] | undefined {
  if (!fitsField(name, 256)) return undefined;
  for (let i = name.indexOf('/'); i > 0; i = name.indexOf('/', i + 1)) {
    if (i <= 155 && name.length - i - 1 <= 100 && name.length - i - 1 > 0) return [name.slice(0, i), name.slice(i + 1)];
  }
  return undefined;
}

/** An ASCII stand-in for a field PAX carries (readers without PAX see something sensible). */
export function asciiFallback(s: string, len: number): string {
  return s.replace(/[^\x20-\x7e]/g, '_').slice(-len);
}

/**
 * Encodes the ustar block of `h`. Fields that do not fit are returned as PAX records the caller
 * must write first (long or non-ASCII names, big numbers, fractional or negative times, xattrs).
 */
export function encodeBlock(h: TarHeader): { block: Buffer; pax: Array<[string, Buffer]> } {
  const b = Buffer.alloc(BLOCK);
  const pax: Array<[string, Buffer]> = [];
  const name = h.type === 'dir' && !h.path.endsWith('/') ? `${h.path}/` : h.path;
  const split = fitsField(name, 100) ? ['', name] : splitName(name);
  if (!split) pax.push(['path', Buffer.from(name)]);
  const [prefix, short] = split ?? ['', asciiFallback(name, 100)];
  b.write(short, 0, 100, 'latin1');
  b.write(prefix, 345, 155, 'latin1');
  writeNumber(b, 100, 8, h.mode & 0o7777);
  const size = h.type === 'file' ? h.size : 0;
  for (const [off, len, v, key] of [[108, 8, h.uid, 'uid'], [116, 8, h.gid, 'gid'], [124, 12, size, 'size']] as const) {
    if (!writeNumber(b, off, len, v)) pax.push([key, Buffer.from(String(v))]);
  }
  if (!writeNumber(b, 136, 12, h.mtime)) pax.push(['mtime', Buffer.from(formatTime(h.mtime))]);
  if (h.atime !== undefined) pax.push(['atime', Buffer.from(formatTime(h.atime))]);
  b.write(FLAGS[h.type], 156, 'latin1');
  if (h.linkpath !== undefined) {
    if (!fitsField(h.linkpath, 100)) pax.push(['linkpath', Buffer.from(h.linkpath)]);
    b.write(fitsField(h.linkpath, 100) ? h.linkpath : asciiFallback(h.linkpath, 100), 157, 100, 'latin1');
  }
  b.write('ustar\x0000', 257, 'latin1');
  for (const [off, key, v] of [[265, 'uname', h.uname], [297, 'gname', h.gname]] as const) {
    if (!v) continue;
    if (fitsField(v, 32)) b.write(v, off, 32, 'latin1');
    else pax.push([key, Buffer.from(v)]);
  }
  writeNumber(b, 329, 8, h.devmajor ?? 0);
  writeNumber(b, 337, 8, h.devminor ?? 0);
  for (const [k, v] of Object.entries(h.xattrs ?? {})) pax.push([`SCHILY.xattr.${k}`, v]);
  setChecksum(b);
  return { block: b, pax };
}

/** A PAX time: decimal seconds, up to nanoseconds, no trailing zeros. */
function formatTime(t: number): string {
  return Number.isInteger(t) ? String(t) : t.toFixed(9).replace(/0+$/, '');
}
