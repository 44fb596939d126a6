/**
 * Metadata applied after all entries: directory modes and times (writing children changes a
 * directory's mtime, and a read-only mode would block them) and xattrs (one batched tool run).
 *
 * Deferring by path is dangerous: a later entry may replace a directory on the way with a symlink
 * to the host. So every deferred item remembers the inode it was meant for, items below a removed
 * path are forgotten, and at flush time each path is walked again with lstat (no component may be
 * a symlink, the inode must be the same) before anything follows it.
 * @packageDocumentation
 */
import type { BigIntStats } from 'node:fs';
import { chmod, lstat, lutimes } from 'node:fs/promises';
import path from 'node:path';
import { TarError, entryError } from './errors.js';
import { setXattrs, type XattrItem } from './xattr.js';

interface Identity {
  readonly ino: bigint;
  readonly birth: bigint;
}

interface DirMeta {
  readonly id: Identity;
  readonly mode: number;
  readonly atime: number;
  readonly mtime: number;
}

interface XattrMeta {
  readonly id: Identity;
  readonly name: string;
  readonly value: Buffer;
}

const identity = (st: BigIntStats): Identity => ({ ino: st.ino, birth: st.birthtimeNs });

/** Deferred metadata of one extraction into `root` (keys are physical root-relative paths). */
export class DeferredMeta {
  private readonly dirs = new Map<string, DirMeta>();
  private readonly xattrs = new Map<string, XattrMeta[]>();

  /** @param root - the extraction root (absolute, symlink-free) */
  constructor(private readonly root: string) {}

  /** Sets the directory at `rel` (now `st`) to `mode` and the times at the end. */
  dir(rel: string, st: BigIntStats, mode: number, atime: number, mtime: number): void {
    this.dirs.set(rel, { id: identity(st), mode, atime, mtime });
  }

  /** Sets an xattr on the entry at `rel` (now `st`) at the end. */
  xattr(rel: string, st: BigIntStats, name: string, value: Buffer): void {
    const list = this.xattrs.get(rel) ?? [];
    list.push({ id: identity(st), name, value });
    this.xattrs.set(rel, list);
  }

  /** Forgets what was deferred for `rel` and, when a directory was removed there, below it. */
  forget(rel: string, subtree: boolean): void {
    for (const map of [this.dirs, this.xattrs] as Array<Map<string, unknown>>) {
      map.delete(rel);
      if (!subtree) continue;
      for (const k of map.keys()) if (rel === '' || k.startsWith(`${rel}/`)) map.delete(k);
    }
  }

  /**
   * Applies everything still valid: xattrs first (one `setfattr`), then directory modes, then
   * directory times. Xattr failures become warnings, or an `ERR_TAR_UNSUPPORTED` error when
   * `requireXattrs` is set.
   */
  async flush(warnings: string[], requireXattrs: boolean): Promise<void> {
    const checked = new Map<string, boolean>();
    const items: XattrItem[] = [];
    for (const [rel, list] of this.xattrs) {
      for (const x of list) {
        const host = await this.verify(rel, x.id, checked);
        if (host) items.push({ path: host, name: x.name, value: x.value });
      }
    }
    const failures = await setXattrs(items);
    if (failures.length && requireXattrs) throw new TarError('ERR_TAR_UNSUPPORTED', `cannot set extended attributes: ${failures.join('; ')}`);
    warnings.push(...failures.map((f) => `xattr: ${f}`));
    for (const [rel, d] of this.dirs) {
      const host = await this.verify(rel, d.id, checked);
      if (!host) continue;
      try {
        await chmod(host, d.mode);
        await lutimes(host, d.atime, d.mtime);
      } catch (err) {
        throw entryError(err, rel || '/');
      }
    }
    this.dirs.clear();
    this.xattrs.clear();
  }

  /** The host path of `rel` if every parent is a real directory and it is still inode `id`. */
  private async verify(rel: string, id: Identity, checked: Map<string, boolean>): Promise<string | undefined> {
    const parts = rel ? rel.split('/') : [];
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      let ok = checked.get(dir);
      if (ok === undefined) {
        ok = await lstat(path.join(this.root, dir)).then((s) => s.isDirectory(), () => false);
        checked.set(dir, ok);
      }
      if (!ok) return undefined;
    }
    const host = path.join(this.root, ...parts);
    const st = await lstat(host, { bigint: true }).catch(() => undefined);
    return st && st.ino === id.ino && st.birthtimeNs === id.birth ? host : undefined;
  }
}
