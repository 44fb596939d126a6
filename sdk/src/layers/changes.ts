/**
 * Change detection between layer trees, with Docker's kinds: 0 modified, 1 added, 2 deleted.
 * `compareTrees` is the naive full-copy comparison (vfs); `overlayChanges` reads an overlayfs
 * upper directory, where deletions are whiteouts.
 * @packageDocumentation
 */
import type { LayerChange } from '../drivers/storage.js';
import { isOverlayWhiteout, walkTree, type TreeEntry } from './tree.js';

function kindOf(e: TreeEntry): string {
  const s = e.stat;
  return s.isDirectory() ? 'd' : s.isSymbolicLink() ? 'l' : s.isFile() ? 'f' : s.isCharacterDevice() ? 'c' : s.isBlockDevice() ? 'b' : 'p';
}

/** True when an entry differs from its earlier version in anything a layer must carry. */
export function entryChanged(now: TreeEntry, before: TreeEntry): boolean {
  const a = now.stat;
  const b = before.stat;
  if (kindOf(now) !== kindOf(before) || a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid || a.rdev !== b.rdev || now.link !== before.link) return true;
  // Directory mtimes change whenever a child does; Docker reports such a dir only if it changed itself.
  if (a.isDirectory()) return false;
  return a.size !== b.size || a.mtimeNs !== b.mtimeNs;
}

/** Sorts changes by path, as Docker lists them. */
function sorted(changes: LayerChange[]): LayerChange[] {
  return changes.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

/**
 * Changes of `layer` against `parent` (two full trees). Deleted directories are reported once,
 * not with their children; a directory is reported modified when something below it changed.
 */
export async function compareTrees(layerDir: string, parentDir: string | undefined): Promise<LayerChange[]> {
  const now = await walkTree(layerDir);
  const before = parentDir ? await walkTree(parentDir) : new Map<string, TreeEntry>();
  const changes: LayerChange[] = [];
  const touchedDirs = new Set<string>();
  const touch = (p: string) => {
    for (let d = p.slice(0, p.lastIndexOf('/')); d; d = d.slice(0, d.lastIndexOf('/'))) touchedDirs.add(d);
  };
  for (const [p, e] of now) {
    const old = before.get(p);
    if (!old) { changes.push({ path: p, kind: 1 }); touch(p); }
    else if (entryChanged(e, old)) { changes.push({ path: p, kind: 0 }); touch(p); }
  }
  for (const p of before.keys()) {
    if (now.has(p)) continue;
    const parent = p.slice(0, p.lastIndexOf('/'));
    if (parent && !now.has(parent)) continue; // inside a deleted directory
    changes.push({ path: p, kind: 2 });
    touch(p);
  }
  const listed = new Set(changes.map((c) => c.path));
  for (const d of touchedDirs) if (!listed.has(d) && now.has(d) && before.has(d)) changes.push({ path: d, kind: 0 });
  return sorted(changes);
}

/**
 * Changes recorded in an overlayfs upper directory: whiteouts are deletions; entries that exist
 * in a lower layer are modifications; the rest are additions.
 */
export async function overlayChanges(upperDir: string, lowerExists: (p: string) => Promise<boolean>): Promise<LayerChange[]> {
  const upper = await walkTree(upperDir);
  const changes: LayerChange[] = [];
  for (const [p, e] of upper) {
    if (isOverlayWhiteout(e.stat)) changes.push({ path: p, kind: 2 });
    else changes.push({ path: p, kind: (await lowerExists(p)) ? 0 : 1 });
  }
  return sorted(changes);
}
