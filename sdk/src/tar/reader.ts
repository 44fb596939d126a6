/**
 * Streaming tar reader: ustar, GNU (`L`/`K` long names, base-256 numbers) and PAX (`x` per entry,
 * `g` global) with binary-safe values. Entries come one at a time with back-pressure; a body left
 * unread is skipped when the next entry is asked for. Limits stop hostile archives early.
 * @packageDocumentation
 */
import { ByteReader, type TarSource } from './byte-reader.js';
import { TarError } from './errors.js';
import { BLOCK, decodeUtf8, entryType, isZeroBlock, padding, parseHeader, type TarHeader } from './header.js';
import { buildHeader, parsePax, type LongNames } from './pax.js';

export type { TarSource } from './byte-reader.js';

/** Limits that protect against hostile archives; exceeding one throws `ERR_TAR_LIMIT`. */
export interface TarLimits {
  /** Largest PAX/GNU long-name data for one entry, and for all global PAX headers (default 1 MiB). */
  readonly maxHeaderBytes?: number;
  /** Longest entry path or link target, in bytes (default 4096). */
  readonly maxPathLength?: number;
  /** Most entries (default 1,000,000). */
  readonly maxEntries?: number;
  /** Most bytes of entry data in total (default: no limit). */
  readonly maxTotalBytes?: number;
  /** Most bytes after the end-of-archive marker, which must all be zero padding (default 1 MiB). */
  readonly maxTrailingBytes?: number;
}

/** Options of {@link TarReader}. */
export interface TarReaderOptions extends TarLimits {
  /**
   * Refuse an archive that ends without its end-of-archive marker (default true): without it, an
   * archive cut at an entry boundary would pass as complete.
   */
  readonly requireEndMarker?: boolean;
}

/** An entry: its header and its content (read it, or leave it: it is skipped). */
export interface TarEntry {
  readonly header: TarHeader;
  /** The entry's data; valid only until the next entry is requested. */
  readonly body: AsyncIterable<Buffer>;
}

interface BodyState {
  left: number;
  live: boolean;
}

const MIB = 1 << 20;
const META_TYPES = new Set(['x', 'g', 'L', 'K', 'V']);

/**
 * Reads a tar archive from `source` as an async iterable of {@link TarEntry}. Iterate it once;
 * the source is consumed lazily and released (a Readable is destroyed) when iteration stops.
 *
 * @example
 * for await (const { header, body } of new TarReader(stream)) {
 *   if (header.type === 'file') for await (const chunk of body) hash.update(chunk);
 * }
 */
export class TarReader implements AsyncIterable<TarEntry> {
  private readonly r: ByteReader;
  private readonly limits: Required<TarReaderOptions>;
  private global: Record<string, Buffer> = {};
  private globalBytes = 0;
  private entries = 0;
  private total = 0;
  private started = false;

  /**
   * @param source - the archive bytes (use {@link maybeGunzip} first for compressed input)
   * @param options - limits and strictness
   */
  constructor(source: TarSource, options: TarReaderOptions = {}) {
    this.r = new ByteReader(source);
    this.limits = {
      maxHeaderBytes: options.maxHeaderBytes ?? MIB,
      maxPathLength: options.maxPathLength ?? 4096,
      maxEntries: options.maxEntries ?? 1_000_000,
      maxTotalBytes: options.maxTotalBytes ?? Number.MAX_SAFE_INTEGER,
      maxTrailingBytes: options.maxTrailingBytes ?? MIB,
      requireEndMarker: options.requireEndMarker ?? true,
    };
  }

  /** Archive bytes consumed so far. */
  get bytesRead(): number {
    return this.r.offset;
  }

  /** The entries, in archive order. */
  [Symbol.asyncIterator](): AsyncGenerator<TarEntry> {
    if (this.started) throw new Error('a TarReader can be iterated only once');
    this.started = true;
    return this.run();
  }

  private async *run(): AsyncGenerator<TarEntry> {
    try {
      for (let next = await this.nextHeader(); next; next = await this.nextHeader()) {
        const state: BodyState = { left: next.dataSize, live: true };
        yield { header: next.header, body: this.body(state, next.header.path) };
        state.live = false;
        while (state.left > 0) state.left -= (await this.r.chunk(state.left, `the data of ${JSON.stringify(next.header.path)}`)).length;
        await this.exact(padding(next.dataSize), 'padding');
      }
      await this.drainTrailing();
    } finally {
      await this.r.close();
    }
  }

  private async *body(state: BodyState, path: string): AsyncGenerator<Buffer> {
    for (;;) {
      if (!state.live) throw new Error(`tar entry ${JSON.stringify(path)}: body read after the next entry was requested`);
      if (state.left <= 0) return;
      const c = await this.r.chunk(Math.min(state.left, MIB), `the data of ${JSON.stringify(path)}`);
      state.left -= c.length;
      yield c;
    }
  }

  private async exact(n: number, what: string): Promise<Buffer> {
    if (n === 0) return Buffer.alloc(0);
    const b = await this.r.read(n, what);
    if (!b) throw new TarError('ERR_TAR_MALFORMED', `unexpected end of archive (truncated) in ${what}`);
    return b;
  }

  /** The next entry's header (metadata blocks applied), or null at the end of the archive. */
  private async nextHeader(): Promise<{ header: TarHeader; dataSize: number } | null> {
    const pax: Record<string, Buffer> = {};
    const long: LongNames = {};
    let metaBytes = 0;
    for (;;) {
      const at = this.r.offset;
      const block = await this.r.read(BLOCK, 'a header');
      if (!block) {
        if (this.limits.requireEndMarker || metaBytes) throw new TarError('ERR_TAR_MALFORMED', 'archive ends without its end-of-archive marker (truncated?)');
        return null;
      }
      if (isZeroBlock(block)) return this.endMarker(metaBytes);
      const raw = parseHeader(block);
      if (!META_TYPES.has(raw.typeflag)) return this.entry(raw, { ...this.global, ...pax }, long);
      metaBytes += raw.size;
      if (metaBytes > this.limits.maxHeaderBytes) throw new TarError('ERR_TAR_LIMIT', `extended header of ${metaBytes} bytes at offset ${at} exceeds ${this.limits.maxHeaderBytes}`);
      const data = (await this.exact(raw.size + padding(raw.size), `the extended header at offset ${at}`)).subarray(0, raw.size);
      if (raw.typeflag === 'x') Object.assign(pax, parsePax(data));
      else if (raw.typeflag === 'g') this.addGlobal(data);
      else if (raw.typeflag === 'L') long.name = this.longName(data);
      else if (raw.typeflag === 'K') long.link = this.longName(data);
      // 'V' (GNU volume label) carries nothing for extraction.
    }
  }

  private addGlobal(data: Buffer): void {
    this.globalBytes += data.length;
    if (this.globalBytes > this.limits.maxHeaderBytes) throw new TarError('ERR_TAR_LIMIT', `global PAX headers exceed ${this.limits.maxHeaderBytes} bytes`);
    Object.assign(this.global, parsePax(data));
  }

  private longName(data: Buffer): string {
    const end = data.indexOf(0);
    return decodeUtf8(end < 0 ? data : data.subarray(0, end), 'GNU long name');
  }

  private entry(raw: ReturnType<typeof parseHeader>, pax: Record<string, Buffer>, long: LongNames): { header: TarHeader; dataSize: number } {
    const type = entryType(raw.typeflag);
    if (!type) {
      const what = raw.typeflag === 'S' ? 'GNU sparse files are' : `entry type ${JSON.stringify(raw.typeflag)} is`;
      throw new TarError('ERR_TAR_UNSUPPORTED', `${what} not supported`, long.name ?? raw.name);
    }
    const built = buildHeader(raw, type, pax, long);
    const { header } = built;
    if (!header.path) throw new TarError('ERR_TAR_MALFORMED', `entry with an empty name at offset ${this.r.offset - BLOCK}`);
    const max = this.limits.maxPathLength;
    if (Buffer.byteLength(header.path) > max) throw new TarError('ERR_TAR_LIMIT', `entry name longer than ${max} bytes`, header.path);
    if (header.linkpath !== undefined && Buffer.byteLength(header.linkpath) > max) throw new TarError('ERR_TAR_LIMIT', `link target longer than ${max} bytes`, header.path);
    if (++this.entries > this.limits.maxEntries) throw new TarError('ERR_TAR_LIMIT', `archive has more than ${this.limits.maxEntries} entries`);
    this.total += built.dataSize;
    if (this.total > this.limits.maxTotalBytes) throw new TarError('ERR_TAR_LIMIT', `archive content exceeds ${this.limits.maxTotalBytes} bytes`, header.path);
    return built;
  }

  /** After one zero block: a second one (or, tolerated like GNU tar, the end of input) ends the archive. */
  private async endMarker(metaBytes: number): Promise<null> {
    if (metaBytes) throw new TarError('ERR_TAR_MALFORMED', 'extended header not followed by an entry');
    const second = await this.r.read(BLOCK, 'the end-of-archive marker');
    if (second && !isZeroBlock(second)) throw new TarError('ERR_TAR_MALFORMED', `zero block inside the archive at offset ${this.r.offset - 2 * BLOCK}`);
    return null;
  }

  /** Reads what follows the end marker so digests of the stream are complete; only zeros may follow. */
  private async drainTrailing(): Promise<void> {
    let seen = 0;
    for (let b = await this.r.rest(); b.length; b = await this.r.rest()) {
      seen += b.length;
      if (b.some((x) => x !== 0)) throw new TarError('ERR_TAR_MALFORMED', 'unexpected data after the end-of-archive marker');
      if (seen > this.limits.maxTrailingBytes) throw new TarError('ERR_TAR_LIMIT', `more than ${this.limits.maxTrailingBytes} bytes of padding after the end-of-archive marker`);
    }
  }
}

/**
 * Reads a tar archive: a generator over {@link TarReader}.
 * @param source - the archive bytes
 * @param options - limits and strictness
 */
export function readTar(source: TarSource, options: TarReaderOptions = {}): AsyncGenerator<TarEntry> {
  return new TarReader(source, options)[Symbol.asyncIterator]();
}
