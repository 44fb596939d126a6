/**
 * PAX extended headers (`<len> <key>=<value>\n` records). Values stay raw Buffers: xattrs such as
 * `security.capability` are binary, and decoding them as UTF-8 (what tar-stream does) corrupts
 * them. Text fields are decoded strictly, only when they are used.
 * @packageDocumentation
 */
import { TarError } from './errors.js';
import { BLOCK, asciiFallback, decodeUtf8, padding, setChecksum, writeNumber, type RawHeader, type TarEntryType, type TarHeader } from './header.js';

const XATTR = 'SCHILY.xattr.';

/** Parses PAX records; a record whose length is wrong or that is not `key=value` is malformed. */
export function parsePax(data: Buffer): Record<string, Buffer> {
  const out: Record<string, Buffer> = Object.create(null) as Record<string, Buffer>;
  let pos = 0;
  while (pos < data.length) {
    // Some writers pad the data with NULs; nothing may follow them.
    if (data[pos] === 0 && data.subarray(pos).every((x) => x === 0)) break;
    const sp = data.indexOf(0x20, pos);
    const digits = sp > pos && sp - pos <= 12 ? data.subarray(pos, sp).toString('latin1') : '';
    const len = /^[0-9]+$/.test(digits) ? Number(digits) : NaN;
    if (!(len > sp - pos + 1) || pos + len > data.length || data[pos + len - 1] !== 0x0a) {
      throw new TarError('ERR_TAR_MALFORMED', `invalid PAX record at offset ${pos} (length field does not match the record)`);
    }
    const rec = data.subarray(sp + 1, pos + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) throw new TarError('ERR_TAR_MALFORMED', `invalid PAX record at offset ${pos} (no key)`);
    out[decodeUtf8(rec.subarray(0, eq), 'PAX key')] = Buffer.from(rec.subarray(eq + 1));
    pos += len;
  }
  return out;
}

/** One record; its length prefix counts itself, so it is found by iteration. */
function paxRecord(key: string, value: Buffer): Buffer {
  const rest = Buffer.byteLength(key) + value.length + 3; // ' ', '=', '\n'
  let len = rest + 1;
  while (String(len).length + rest !== len) len = String(len).length + rest;
  return Buffer.concat([Buffer.from(`${len} ${key}=`), value, Buffer.from('\n')]);
}

/** The `x` header block and its padded data, to be written before the entry's own block. */
export function encodePaxHeader(records: ReadonlyArray<readonly [string, Buffer]>, entryPath: string, mtime: number): Buffer {
  const data = Buffer.concat(records.map(([k, v]) => paxRecord(k, v)));
  const h = Buffer.alloc(BLOCK);
  const base = entryPath.replace(/\/+$/, '').split('/').pop() ?? '';
  h.write(`PaxHeaders.0/${asciiFallback(base, 80)}`, 0, 100, 'latin1');
  writeNumber(h, 100, 8, 0o644);
  writeNumber(h, 124, 12, data.length);
  writeNumber(h, 136, 12, mtime);
  h.write('x', 156, 'latin1');
  h.write('ustar\x0000', 257, 'latin1');
  setChecksum(h);
  return Buffer.concat([h, data, Buffer.alloc(padding(data.length))]);
}

function text(v: Buffer | undefined, what: string): string | undefined {
  if (v === undefined || v.length === 0) return undefined; // an empty record unsets a global one
  const s = decodeUtf8(v, `PAX ${what}`);
  if (s.includes('\0')) throw new TarError('ERR_TAR_MALFORMED', `PAX ${what} contains a NUL byte`);
  return s;
}

function integer(v: Buffer | undefined, what: string): number | undefined {
  const s = text(v, what);
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!/^[0-9]+$/.test(s) || !Number.isSafeInteger(n)) throw new TarError('ERR_TAR_MALFORMED', `invalid PAX ${what} ${JSON.stringify(s.slice(0, 40))}`);
  return n;
}

function time(v: Buffer | undefined, what: string): number | undefined {
  const s = text(v, what);
  if (s === undefined) return undefined;
  if (!/^-?[0-9]{1,15}(\.[0-9]+)?$/.test(s)) throw new TarError('ERR_TAR_MALFORMED', `invalid PAX ${what} ${JSON.stringify(s.slice(0, 40))}`);
  return Number(s);
}

/** GNU long names and links (`L`/`K` data), NUL-terminated. */
export interface LongNames {
  name?: string;
  link?: string;
}

/**
 * The entry of a raw block with PAX records (`pax`, global merged with per-entry) and GNU long
 * names applied: PAX wins over GNU, which wins over the block. Also returns the data size.
 */
export function buildHeader(raw: RawHeader, type: TarEntryType, pax: Record<string, Buffer>, long: LongNames): { header: TarHeader; dataSize: number } {
  const dataSize = integer(pax.size, 'size') ?? raw.size;
  const isLink = type === 'symlink' || type === 'hardlink';
  const path = text(pax.path, 'path') ?? long.name ?? raw.name;
  // Old (v7) archives mark directories with a trailing slash on a plain-file entry.
  const realType = type === 'file' && raw.typeflag === '\0' && path.endsWith('/') ? 'dir' : type;
  const header: TarHeader = {
    path,
    type: realType,
    mode: raw.mode,
    uid: integer(pax.uid, 'uid') ?? raw.uid,
    gid: integer(pax.gid, 'gid') ?? raw.gid,
    uname: text(pax.uname, 'uname') ?? raw.uname,
    gname: text(pax.gname, 'gname') ?? raw.gname,
    size: realType === 'file' ? dataSize : 0,
    mtime: time(pax.mtime, 'mtime') ?? raw.mtime,
  };
  const atime = time(pax.atime, 'atime');
  if (atime !== undefined) header.atime = atime;
  if (isLink) header.linkpath = text(pax.linkpath, 'linkpath') ?? long.link ?? raw.linkname;
  if (realType === 'char' || realType === 'block') Object.assign(header, { devmajor: raw.devmajor, devminor: raw.devminor });
  const keys = Object.keys(pax);
  const xattrs = keys.filter((k) => k.startsWith(XATTR));
  if (xattrs.length) header.xattrs = Object.fromEntries(xattrs.map((k) => [k.slice(XATTR.length), pax[k]!]));
  if (keys.length) header.pax = { ...pax };
  if (keys.some((k) => k.startsWith('GNU.sparse.'))) throw new TarError('ERR_TAR_UNSUPPORTED', 'sparse files are not supported', path);
  return { header, dataSize };
}
