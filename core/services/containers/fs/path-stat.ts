/**
 * Paths inside a container's root filesystem, resolved as the container would see them (as if
 * chrooted: `..` stops at the root, symlinks are followed *inside* it, absolute targets included),
 * and the stat Docker sends in `X-Docker-Container-Path-Stat`. Nothing here ever follows a
 * symlink on the host: every component is looked at with lstat and its target re-read.
 */
import type { Stats } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError } from '@keel/sdk';
import { cleanEntryPath } from '@keel/sdk/tar';

/** How many symlinks one resolution may cross (moby's FollowSymlinkInScope allows 255). */
const MAX_HOPS = 255;

/** A path resolved inside a root. */
export interface InRootPath {
  /** Physical path relative to the root, without symlinks (`''` is the root). */
  readonly rel: string;
  /** The same on the host. */
  readonly host: string;
  /** False when a component is missing or is not a directory (the rest was appended lexically). */
  readonly exists: boolean;
}

const parts = (p: string) => p.split('/').filter((n) => n && n !== '.');

/**
 * Follows every component of `p` (any form: absolute, with `..`) inside `root`, the last one
 * included. A missing component ends the walk: the remaining names are appended lexically, as
 * Go's securejoin does, so the answer still names where the path would be.
 */
export async function followInRoot(root: string, p: string): Promise<InRootPath> {
  const queue = parts(cleanEntryPath(p, true));
  const cur: string[] = [];
  let hops = 0;
  let exists = true;
  while (queue.length) {
    const name = queue.shift()!;
    if (name === '..') {
      cur.pop(); // only link targets still hold "..": clamped at the root like a chroot
      continue;
    }
    const st = exists ? await lstat(path.join(root, ...cur, name)).catch(() => undefined) : undefined;
    if (st?.isSymbolicLink()) {
      if (++hops > MAX_HOPS) throw new NotFoundError(`too many levels of symbolic links in ${p}`);
      const target = await readlink(path.join(root, ...cur, name));
      if (target.startsWith('/')) cur.length = 0;
      queue.unshift(...parts(target));
      continue;
    }
    // Below a file nothing exists; a missing name makes the rest lexical.
    if (!st || (!st.isDirectory() && queue.length)) exists = false;
    cur.push(name);
  }
  const rel = cur.join('/');
  return { rel, host: rel ? path.join(root, rel) : root, exists };
}

/** A container path split the way moby's ResolvePath splits it. */
export interface ContainerPath {
  /** Clean absolute form (`/etc/hostname`). */
  readonly abs: string;
  /** The name entries are given in an archive: the last element as asked (`.` for `dir/.`). */
  readonly name: string;
  /** The path names a directory's content (`/`, `dir/`, `dir/.`): the last component is followed too. */
  readonly followLast: boolean;
}

/** Splits `p` (as given in `?path=`). */
export function parseContainerPath(p: string): ContainerPath {
  const abs = `/${cleanEntryPath(p, true)}`;
  const dotted = p === '.' || p.endsWith('/.');
  const followLast = abs === '/' || p.endsWith('/') || dotted;
  const name = abs === '/' ? '/' : dotted ? '.' : path.posix.basename(abs);
  return { abs, name, followLast };
}

/** What {@link resolveContainerPath} found: the physical path and its lstat. */
export interface ResolvedPath extends InRootPath {
  readonly stat: Stats;
  readonly path: ContainerPath;
}

/**
 * Resolves `p` inside `root`: every directory on the way is followed, the last component only
 * when the path names a directory's content. 404 as moby words it when nothing is there.
 */
export async function resolveContainerPath(root: string, p: string, containerName: string): Promise<ResolvedPath> {
  const cp = parseContainerPath(p);
  const missing = () => new NotFoundError(`Could not find the file ${p} in container ${containerName}`);
  let found: InRootPath;
  if (cp.followLast) {
    found = await followInRoot(root, cp.abs);
  } else {
    const dir = await followInRoot(root, path.posix.dirname(cp.abs));
    const base = path.posix.basename(cp.abs);
    const rel = dir.rel ? `${dir.rel}/${base}` : base;
    found = { rel, host: path.join(root, rel), exists: dir.exists };
  }
  const stat = found.exists ? await lstat(found.host).catch(() => undefined) : undefined;
  if (!stat || (cp.followLast && !stat.isDirectory())) throw missing();
  return { ...found, stat, path: cp };
}

// Go's os.FileMode type bits (io/fs): what `docker cp` decodes from the stat header.
const GO_DIR = 2 ** 31;
const GO_SYMLINK = 2 ** 27;
const GO_DEVICE = 2 ** 26;
const GO_NAMED_PIPE = 2 ** 25;
const GO_SOCKET = 2 ** 24;
const GO_SETUID = 2 ** 23;
const GO_SETGID = 2 ** 22;
const GO_CHAR_DEVICE = 2 ** 21;
const GO_STICKY = 2 ** 20;

/** A unix `st_mode` as Go's `os.FileMode` (a uint32; JavaScript bit operators would sign it). */
export function goFileMode(st: Pick<Stats, 'mode' | 'isDirectory' | 'isSymbolicLink' | 'isBlockDevice' | 'isCharacterDevice' | 'isFIFO' | 'isSocket'>): number {
  let m = st.mode & 0o777;
  if (st.isDirectory()) m += GO_DIR;
  if (st.isSymbolicLink()) m += GO_SYMLINK;
  if (st.isBlockDevice()) m += GO_DEVICE;
  if (st.isCharacterDevice()) m += GO_DEVICE + GO_CHAR_DEVICE;
  if (st.isFIFO()) m += GO_NAMED_PIPE;
  if (st.isSocket()) m += GO_SOCKET;
  if (st.mode & 0o4000) m += GO_SETUID;
  if (st.mode & 0o2000) m += GO_SETGID;
  if (st.mode & 0o1000) m += GO_STICKY;
  return m;
}

/** Docker's `ContainerPathStat`. */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  /** RFC 3339 with nanoseconds, as Go marshals a time. */
  mtime: string;
  /** For a symlink: where it leads, resolved inside the container (absolute). */
  linkTarget: string;
}

/** RFC 3339 with Go's trimmed nanoseconds (`2024-05-01T10:00:00.123456789Z`). */
function rfc3339(ns: bigint): string {
  const secs = ns / 1_000_000_000n;
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  const base = new Date(Number(secs) * 1000).toISOString().slice(0, 19);
  return `${base}${frac ? `.${frac}` : ''}Z`;
}

/** The stat of a resolved path; a symlink's `linkTarget` is followed inside the root as moby does. */
export async function pathStat(root: string, r: ResolvedPath): Promise<PathStat> {
  const big = await lstat(r.host, { bigint: true });
  let linkTarget = '';
  if (r.stat.isSymbolicLink()) linkTarget = `/${(await followInRoot(root, r.path.abs)).rel}`;
  return { name: r.path.name, size: r.stat.size, mode: goFileMode(r.stat), mtime: rfc3339(big.mtimeNs), linkTarget };
}

/** The header value: base64 (standard alphabet) of the JSON. */
export function encodePathStat(stat: PathStat): string {
  return Buffer.from(JSON.stringify(stat)).toString('base64');
}
