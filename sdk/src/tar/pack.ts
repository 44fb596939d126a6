/**
 * Packing a directory tree into a tar the way Docker lays out layers: paths relative to the root
 * without `./`, directories with a trailing `/`, byte-wise sorted (so the same tree always gives
 * the same bytes and DiffID), symlink targets verbatim, hard links as `hardlink` entries, devices,
 * fifos and (optionally) extended attributes.
 * @packageDocumentation
 */
import { createReadStream, type BigIntStats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { TarEntryType } from './header.js';
import { TarWriter, type TarWriterEntry } from './writer.js';
import { readXattrTree } from './xattr.js';

/** Options of {@link packDirectory}. */
export interface PackOptions {
  /**
   * Called with each path relative to the root (no leading `/` or `./`, no trailing `/`);
   * returning false leaves the entry (and, for a directory, everything below it) out.
   */
  readonly filter?: (relPath: string) => boolean;
  /**
   * Record extended attributes (one `getfattr` run over the tree; `trusted.overlay.*` is left
   * out because it is overlayfs bookkeeping, not content). Default false.
   */
  readonly xattrs?: boolean;
  /** Told about things left out (e.g. xattrs when `getfattr` is missing). */
  readonly onWarning?: (message: string) => void;
}

function typeOf(s: BigIntStats): TarEntryType | undefined {
  if (s.isFile()) return 'file';
  if (s.isDirectory()) return 'dir';
  if (s.isSymbolicLink()) return 'symlink';
  if (s.isCharacterDevice()) return 'char';
  if (s.isBlockDevice()) return 'block';
  if (s.isFIFO()) return 'fifo';
  return undefined; // sockets cannot be archived
}

/** Linux `dev_t` split as glibc's major()/minor() do. */
export function splitDev(rdev: bigint): { devmajor: number; devminor: number } {
  return {
    devmajor: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)),
    devminor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)),
  };
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

interface Walk {
  readonly root: string;
  readonly w: TarWriter;
  readonly opts: PackOptions;
  readonly links: Map<string, string>;
  readonly attrs?: Map<string, Record<string, Buffer>>;
}

function attrsOf(walk: Walk, full: string): Record<string, Buffer> | undefined {
  const all = walk.attrs?.get(full);
  if (!all) return undefined;
  const kept = Object.entries(all).filter(([k]) => !k.startsWith('trusted.overlay.'));
  return kept.length ? Object.fromEntries(kept) : undefined;
}

async function addEntry(walk: Walk, rel: string, full: string, s: BigIntStats, type: TarEntryType): Promise<void> {
  // Whole seconds, as Docker writes layer tars: sub-second times would only add PAX records.
  const base: TarWriterEntry = {
    path: rel, type, mode: Number(s.mode & 0o7777n), uid: Number(s.uid), gid: Number(s.gid),
    mtime: Number(s.mtimeMs / 1000n), xattrs: attrsOf(walk, full),
  };
  const inode = `${s.dev}:${s.ino}`;
  const first = type !== 'dir' && s.nlink > 1n ? walk.links.get(inode) : undefined;
  if (first !== undefined) return walk.w.add({ ...base, type: 'hardlink', linkpath: first, size: 0 });
  if (type !== 'dir' && s.nlink > 1n) walk.links.set(inode, rel);
  if (type === 'symlink') return walk.w.add({ ...base, linkpath: await readlink(full) });
  if (type === 'char' || type === 'block') return walk.w.add({ ...base, ...splitDev(s.rdev) });
  if (type === 'file') return walk.w.add({ ...base, size: Number(s.size) }, s.size > 0n ? createReadStream(full) : undefined);
  return walk.w.add(base);
}

async function walkDir(walk: Walk, relDir: string): Promise<void> {
  const names = (await readdir(path.join(walk.root, relDir))).sort(byteOrder);
  for (const name of names) {
    const rel = relDir ? `${relDir}/${name}` : name;
    if (walk.opts.filter && !walk.opts.filter(rel)) continue;
    const full = path.join(walk.root, rel);
    const s = await lstat(full, { bigint: true });
    const type = typeOf(s);
    if (!type) continue;
    await addEntry(walk, rel, full, s, type);
    if (type === 'dir') await walkDir(walk, rel);
  }
}

/**
 * A tar stream of the tree below `rootDir` (the root itself is not an entry). Errors, including a
 * file changing size while being read, destroy the stream.
 */
export function packDirectory(rootDir: string, options: PackOptions = {}): Readable {
  const w = new TarWriter();
  const root = path.resolve(rootDir);
  (async () => {
    const read = options.xattrs ? await readXattrTree(root) : undefined;
    if (read?.warning) options.onWarning?.(read.warning);
    const attrs = read?.attrs;
    await walkDir({ root, w, opts: options, links: new Map(), attrs }, '');
    await w.finish();
  })().catch((err: Error) => w.readable.destroy(err));
  return w.readable;
}
