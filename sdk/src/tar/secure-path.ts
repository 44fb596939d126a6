/**
 * Resolving archive paths inside a root as if the root were `/` (chroot-like, as moby applies
 * layers and as Go's securejoin resolves): `..` never climbs above the root, and symlinks met on
 * the way are followed *inside* it, absolute targets included. The final component is never
 * followed: callers create it with no-follow calls.
 * @packageDocumentation
 */
import { lstat, mkdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { TarError } from './errors.js';

/** How many symlinks one resolution may cross (moby's FollowSymlinkInScope allows 255). */
const MAX_HOPS = 255;

/**
 * Normalises an entry name to a root-relative path (`''` is the root): leading `/` are dropped and
 * `.`/`..` resolved lexically. A `..` climbing above the root throws `ERR_TAR_PATH_ESCAPE`, or
 * with `clamp` stays at the root (what a chroot does).
 */
export function cleanEntryPath(name: string, clamp = false): string {
  if (name.includes('\0')) throw new TarError('ERR_TAR_MALFORMED', 'entry name contains a NUL byte', name);
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..') out.push(part);
    else if (out.length) out.pop();
    else if (!clamp) throw new TarError('ERR_TAR_PATH_ESCAPE', 'archive entry points outside the destination (".." above the root)', name);
  }
  return out.join('/');
}

/** A directory found inside the root: its host path and its physical root-relative path. */
export interface ResolvedDir {
  /** Absolute host path (every component a real directory, no symlink). */
  readonly host: string;
  /** The same, relative to the root, `''` for the root itself. */
  readonly rel: string;
}

interface Step {
  readonly name: string;
  /** True for components that come from a symlink's target rather than from the entry name. */
  readonly fromLink: boolean;
}

const steps = (p: string, fromLink: boolean): Step[] => p.split('/').filter((n) => n && n !== '.').map((name) => ({ name, fromLink }));

/**
 * Resolves directories of entries inside one root, creating missing ones like moby does, with a
 * cache of what it resolved (call {@link InRootResolver.invalidate} after removing anything).
 */
export class InRootResolver {
  private readonly cache = new Map<string, ResolvedDir>();

  /** @param root - absolute, symlink-free path of the root */
  constructor(readonly root: string) {}

  /** Forgets cached resolutions (they may name something removed or replaced). */
  invalidate(): void {
    this.cache.clear();
  }

  /**
   * Resolves the directory `rel` (clean, root-relative) for `entry`. Missing components named by
   * the entry are created (mode 0755) when `create` is set; otherwise the result is null. A
   * symlink on the way is followed inside the root; a missing directory *behind* a symlink, or a
   * component that is not a directory, throws (as extracting under chroot fails).
   */
  async dir(rel: string, entry: string, create: boolean): Promise<ResolvedDir | null> {
    const hit = this.cache.get(rel);
    if (hit) return hit;
    const queue = steps(rel, false);
    const cur: string[] = [];
    let hops = 0;
    while (queue.length) {
      const step = queue.shift()!;
      if (step.name === '..') {
        cur.pop(); // only link targets contain "..": clamped at the root like a chroot
        continue;
      }
      const host = path.join(this.root, ...cur, step.name);
      const st = await lstat(host).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
      if (!st) {
        if (step.fromLink) throw new TarError('ERR_TAR_PATH_ESCAPE', `entry is below a symlink whose target ${JSON.stringify(path.posix.join(...cur, step.name))} is not a directory inside the root`, entry);
        if (!create) return null;
        await mkdir(host, { mode: 0o755 });
      } else if (st.isSymbolicLink()) {
        if (++hops > MAX_HOPS) throw new TarError('ERR_TAR_PATH_ESCAPE', 'too many levels of symbolic links', entry);
        const target = await readlink(host);
        if (target.startsWith('/')) cur.length = 0;
        queue.unshift(...steps(target, true));
        continue;
      } else if (!st.isDirectory()) {
        throw new TarError('ERR_TAR_MALFORMED', `${JSON.stringify(path.posix.join(...cur, step.name))} is not a directory, but the entry is below it`, entry);
      }
      cur.push(step.name);
    }
    const found = { host: path.join(this.root, ...cur), rel: cur.join('/') };
    this.cache.set(rel, found);
    return found;
  }
}
