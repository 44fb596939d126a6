/**
 * Streaming tar reader: ustar, GNU long names/links, PAX (per entry and global). Entries are
 * yielded with a body to iterate; a body left unread is skipped when the next entry is asked for.
 * @packageDocumentation
 */
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { TarError } from './errors.js';
import { entryType, isZeroBlock, parseHeader, parsePax, type TarHeader } from './header.js';

/** Limits that protect against hostile archives. */
export interface TarLimits {
  /** Largest PAX or GNU long-name block (default 1 MiB). */
  readonly maxHeaderBytes?: number;
  /** Longest entry path (default 4096). */
  readonly maxPathLength?: number;
  /** Most entries (default 1,000,000). */
  readonly maxEntries?: number;
  /** Most bytes of entry contents in total (default unlimited). */
  readonly maxTotalBytes?: number;
}

/** An entry: its header and its content. */
export interface TarEntry {
  readonly header: TarHeader;
  readonly body: AsyncIterable<Buffer>;
}

type Source = AsyncIterable<Buffer | Uint8Array | string> | NodeJS.ReadableStream;

/** Pulls exact byte counts from a chunked source. */
class ByteReader {
  private buf = Buffer.alloc(0);
  private readonly it: AsyncIterator<Buffer | Uint8Array | string>;
  constructor(source: Source) {
    this.it = (source as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }
  private async fill(n: number): Promise<boolean> {
    while (this.buf.length < n) {
      const r = await this.it.next();
      if (r.done) return false;
      this.buf = this.buf.length ? Buffer.concat([this.buf, Buffer.from(r.value as Buffer)]) : Buffer.from(r.value as Buffer);
    }
    return true;
  }
  /** Exactly n bytes, or null at a clean end; throws on a short read mid-way. */
  async read(n: number, what: string): Promise<Buffer | null> {
    if (!(await this.fill(n))) {
      if (this.buf.length === 0) return null;
      throw new TarError('ERR_TAR_MALFORMED', `unexpected end of archive in ${what}`);
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
  /** Up to n bytes (at least one), for streaming bodies. */
  async chunk(n: number, what: string): Promise<Buffer> {
    if (!this.buf.length && !(await this.fill(1))) throw new TarError('ERR_TAR_MALFORMED', `unexpected end of archive in ${what}`);
    const out = this.buf.subarray(0, Math.min(n, this.buf.length));
    this.buf = this.buf.subarray(out.length);
    return out;
  }
  async close(): Promise<void> {
    await this.it.return?.();
  }
}

const pad = (n: number) => (512 - (n % 512)) % 512;

function num(v: Buffer | undefined, fallback: number): number {
  if (!v) return fallback;
  const n = Number(v.toString('utf8'));
  if (!Number.isFinite(n) || n < 0) throw new TarError('ERR_TAR_MALFORMED', 'invalid numeric PAX value');
  return n;
}

/** Reads a tar archive. */
export async function* readTar(source: Source, limits: TarLimits = {}): AsyncGenerator<TarEntry> {
  const maxHeader = limits.maxHeaderBytes ?? 1 << 20;
  const maxPath = limits.maxPathLength ?? 4096;
  const maxEntries = limits.maxEntries ?? 1_000_000;
  const maxTotal = limits.maxTotalBytes ?? Number.MAX_SAFE_INTEGER;
  const r = new ByteReader(source);
  let global: Record<string, Buffer> = {};
  let pax: Record<string, Buffer> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  let entries = 0;
  let total = 0;
  try {
    for (;;) {
      const block = await r.read(512, 'a header');
      if (!block) throw new TarError('ERR_TAR_MALFORMED', 'archive ends without its end-of-archive marker');
      if (isZeroBlock(block)) return;
      const raw = parseHeader(block);
      const meta = async () => {
        if (raw.size > maxHeader) throw new TarError('ERR_TAR_LIMIT', `tar metadata block of ${raw.size} bytes is too large`);
        const data = (await r.read(raw.size + pad(raw.size), 'metadata'))!;
        return data.subarray(0, raw.size);
      };
      if (raw.typeflag === 'x') { pax = { ...pax, ...parsePax(await meta()) }; continue; }
      if (raw.typeflag === 'g') { global = { ...global, ...parsePax(await meta()) }; continue; }
      if (raw.typeflag === 'L') { longName = (await meta()).toString('utf8').replace(/\0+$/, ''); continue; }
      if (raw.typeflag === 'K') { longLink = (await meta()).toString('utf8').replace(/\0+$/, ''); continue; }
      const type = entryType(raw.typeflag);
      if (!type) throw new TarError('ERR_TAR_UNSUPPORTED', `unsupported tar entry type ${JSON.stringify(raw.typeflag)}`, raw.name);
      const p = { ...global, ...pax };
      const header: TarHeader = {
        path: p.path?.toString('utf8') ?? longName ?? raw.name,
        type, mode: raw.mode, uid: num(p.uid, raw.uid), gid: num(p.gid, raw.gid),
        uname: p.uname?.toString('utf8') ?? raw.uname, gname: p.gname?.toString('utf8') ?? raw.gname,
        size: type === 'file' ? num(p.size, raw.size) : 0, mtime: num(p.mtime, raw.mtime),
        ...(type === 'symlink' || type === 'hardlink' ? { linkpath: p.linkpath?.toString('utf8') ?? longLink ?? raw.linkname } : {}),
        ...(type === 'char' || type === 'block' ? { devmajor: raw.devmajor, devminor: raw.devminor } : {}),
      };
      const xattrs = Object.entries(p).filter(([k]) => k.startsWith('SCHILY.xattr.'));
      if (xattrs.length) header.xattrs = Object.fromEntries(xattrs.map(([k, v]) => [k.slice('SCHILY.xattr.'.length), v]));
      if (Object.keys(pax).length) header.pax = pax;
      pax = {};
      longName = longLink = undefined;
      if (!header.path || header.path.length > maxPath) throw new TarError('ERR_TAR_LIMIT', `entry path is empty or longer than ${maxPath}`, header.path.slice(0, 200));
      if (++entries > maxEntries) throw new TarError('ERR_TAR_LIMIT', `archive has more than ${maxEntries} entries`);
      total += header.size;
      if (total > maxTotal) throw new TarError('ERR_TAR_LIMIT', `archive content exceeds ${maxTotal} bytes`, header.path);
      // Hardlinks and others may carry a size field; their data (if any) is skipped like any body.
      const dataSize = type === 'file' ? header.size : raw.size;
      let left = dataSize;
      const body = (async function* () {
        while (left > 0) {
          const c = await r.chunk(left, header.path);
          left -= c.length;
          yield Buffer.from(c);
        }
      })();
      yield { header, body };
      while (left > 0) left -= (await r.chunk(left, header.path)).length;
      if (pad(dataSize)) await r.read(pad(dataSize), header.path);
    }
  } finally {
    await r.close();
  }
}

/** Passes gzip input through gunzip; anything else unchanged. */
export async function* maybeGunzip(source: Source): AsyncGenerator<Buffer> {
  const it = (source as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  const head = Buffer.from(first.value as Buffer);
  const rest = (async function* () {
    yield head;
    for (let n = await it.next(); !n.done; n = await it.next()) yield Buffer.from(n.value as Buffer);
  })();
  if (head[0] === 0x1f && head[1] === 0x8b) {
    for await (const c of Readable.from(rest).pipe(createGunzip())) yield c as Buffer;
  } else {
    yield* rest;
  }
}
