/**
 * Walking a layer's directory tree: every entry with its lstat, keyed by its path inside the
 * layer (`/etc/passwd`). Symlinks are never followed.
 * @packageDocumentation
 */
import type { BigIntStats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';

/** One entry of a tree. */
export interface TreeEntry {
  /** Absolute path inside the layer, `/`-rooted (`/usr/bin/env`). */
  readonly path: string;
  /** lstat of the entry, with bigint times (nanoseconds matter for change detection). */
  readonly stat: BigIntStats;
  /** Symlink target, verbatim. */
  readonly link?: string;
}

/** Every entry under `root` (not `root` itself), parents before children, names sorted. */
export async function walkTree(root: string): Promise<Map<string, TreeEntry>> {
  const out = new Map<string, TreeEntry>();
  const visit = async (rel: string): Promise<void> => {
    let names: string[];
    try {
      names = (await readdir(path.join(root, rel))).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const name of names) {
      const inner = `${rel}/${name}`;
      const full = path.join(root, inner);
      const stat = await lstat(full, { bigint: true });
      out.set(inner, { path: inner, stat, ...(stat.isSymbolicLink() ? { link: await readlink(full) } : {}) });
      if (stat.isDirectory()) await visit(inner);
    }
  };
  await visit('');
  return out;
}

/** True for overlayfs's whiteout: a character device with device number 0/0. */
export function isOverlayWhiteout(stat: BigIntStats): boolean {
  return stat.isCharacterDevice() && stat.rdev === 0n;
}
