/**
 * Resolving archive paths inside a root as if the root were `/` (like Go's securejoin): `..`
 * never climbs above it and symlinks met on the way are followed within it, absolute targets
 * included. The final component is never followed.
 * @packageDocumentation
 */
import { lstat, readlink } from 'node:fs/promises';
import path from 'node:path';
import { TarError } from './errors.js';

/** Normalises an entry name to a root-relative path; `''` is the root; climbing out throws. */
export function cleanEntryPath(name: string): string {
  const rel = path.posix.normalize(name.replace(/^\/+/, '')).replace(/\/+$/, '');
  if (rel === '..' || rel.startsWith('../')) throw new TarError('ERR_TAR_PATH_ESCAPE', 'archive entry points outside the destination', name);
  return rel === '.' ? '' : rel;
}

/** The host path of `rel` inside `root`; with `followLast`, a final symlink is followed too. */
export async function resolveInRoot(root: string, rel: string, followLast = false): Promise<string> {
  const queue = rel.split('/').filter((p) => p && p !== '.');
  let cur: string[] = [];
  let hops = 0;
  while (queue.length) {
    const c = queue.shift()!;
    if (c === '..') {
      cur.pop();
      continue;
    }
    const full = path.join(root, ...cur, c);
    if (!queue.length && !followLast) {
      cur.push(c);
      break;
    }
    const st = await lstat(full).catch(() => undefined);
    if (st?.isSymbolicLink()) {
      if (++hops > 40) throw new TarError('ERR_TAR_PATH_ESCAPE', 'too many levels of symbolic links', rel);
      const target = await readlink(full);
      if (target.startsWith('/')) cur = [];
      queue.unshift(...target.split('/').filter((p) => p && p !== '.'));
      continue;
    }
    cur.push(c);
  }
  return path.join(root, ...cur);
}
