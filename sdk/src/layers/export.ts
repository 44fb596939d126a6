/**
 * Exporting layer changes as a layer tar (what `docker save` and commits carry): added and
 * modified entries with their metadata, deletions as `.wh.<name>`, opaque directories as
 * `<dir>/.wh..wh..opq`. Hardlinked files are written once and linked after.
 * @packageDocumentation
 */
import { createReadStream } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { LayerChange } from '../drivers/storage.js';
import { TarWriter, type TarHeader } from '../tar/index.js';

/** Options of {@link exportChanges}. */
export interface ExportOptions {
  /** Layer paths (`/a/b`) of directories that hide everything below them in lower layers. */
  readonly opaqueDirs?: ReadonlySet<string>;
}

function typeOf(s: import('node:fs').BigIntStats): TarHeader['type'] {
  if (s.isDirectory()) return 'dir';
  if (s.isSymbolicLink()) return 'symlink';
  if (s.isCharacterDevice()) return 'char';
  if (s.isBlockDevice()) return 'block';
  if (s.isFIFO()) return 'fifo';
  return 'file';
}

function whiteoutPath(p: string, name = `.wh.${path.posix.basename(p)}`): string {
  return path.posix.join(path.posix.dirname(p), name).slice(1);
}

async function writeEntries(dir: string, changes: readonly LayerChange[], w: TarWriter, opts: ExportOptions): Promise<void> {
  const links = new Map<string, string>();
  for (const c of [...changes].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    if (c.kind === 2) {
      await w.add({ path: whiteoutPath(c.path), type: 'file', mode: 0o644, size: 0, uid: 0, gid: 0, mtime: 0 });
      continue;
    }
    const full = path.join(dir, c.path);
    const s = await lstat(full, { bigint: true });
    const base = { path: c.path.slice(1), mode: Number(s.mode & 0o7777n), uid: Number(s.uid), gid: Number(s.gid), mtime: Number(s.mtimeNs) / 1e9 };
    const type = typeOf(s);
    const inode = `${s.dev}:${s.ino}`;
    if (type === 'file' && s.nlink > 1n && links.has(inode)) {
      await w.add({ ...base, type: 'hardlink', size: 0, linkpath: links.get(inode)! });
      continue;
    }
    if (type === 'file') links.set(inode, base.path);
    const dev = type === 'char' || type === 'block' ? { devmajor: Number(s.rdev >> 8n) & 0xfff, devminor: Number((s.rdev & 0xffn) | ((s.rdev >> 12n) & 0xfff00n)) } : {};
    const linkpath = type === 'symlink' ? { linkpath: await readlink(full) } : {};
    const size = type === 'file' ? Number(s.size) : 0;
    await w.add({ ...base, ...dev, ...linkpath, type, size }, type === 'file' ? createReadStream(full) : undefined);
    if (type === 'dir' && opts.opaqueDirs?.has(c.path)) {
      await w.add({ path: whiteoutPath(`${c.path}/x`, '.wh..wh..opq'), type: 'file', mode: 0o644, size: 0, uid: 0, gid: 0, mtime: 0 });
    }
  }
}

/** A tar stream of `changes`, read from the layer directory `dir`. Errors destroy the stream. */
export function exportChanges(dir: string, changes: readonly LayerChange[], opts: ExportOptions = {}): Readable {
  const w = new TarWriter();
  writeEntries(dir, changes, w, opts)
    .then(() => w.finish())
    .catch((err: Error) => w.readable.destroy(err));
  return w.readable;
}
