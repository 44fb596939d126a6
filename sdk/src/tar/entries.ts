/**
 * Creating one entry in place of whatever is at its path: files with `O_EXCL|O_NOFOLLOW` and
 * metadata set through the descriptor, symlinks verbatim, hardlinks only to existing in-root
 * files, devices and fifos with mknod. Nothing here follows a symlink at the final component.
 * Owner first, then mode (chown clears setuid/setgid), times last.
 * @packageDocumentation
 */
import type { BigIntStats } from 'node:fs';
import { constants } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, open, symlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { TarError } from './errors.js';
import type { ExtractState, Target } from './extract-state.js';
import type { TarHeader } from './header.js';
import { mknod } from './nodes.js';
import { cleanEntryPath } from './secure-path.js';

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

async function writeAll(fh: FileHandle, chunk: Buffer): Promise<void> {
  for (let off = 0; off < chunk.length; ) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
}

async function writeFile(s: ExtractState, t: Target, h: TarHeader, body: AsyncIterable<Buffer>): Promise<BigIntStats | undefined> {
  const fh = await open(t.host, CREATE_FLAGS, 0o600);
  let st: BigIntStats | undefined;
  try {
    for await (const chunk of body) {
      await writeAll(fh, chunk);
      s.bytes += chunk.length;
    }
    // The identity is needed only for deferred xattrs: one syscall less for most files.
    if (h.xattrs && s.opts.xattrs) st = await fh.stat({ bigint: true });
  } catch (err) {
    await fh.close();
    throw err;
  }
  await s.background(finishFile(s, fh, h), h.path);
  return st;
}

/** Owner, then mode (chown clears setuid/setgid), then times — all through the descriptor. */
async function finishFile(s: ExtractState, fh: FileHandle, h: TarHeader): Promise<void> {
  try {
    if (s.opts.sameOwner) await fh.chown(h.uid, h.gid);
    await fh.chmod(h.mode & 0o7777);
    await fh.utimes(h.atime ?? h.mtime, h.mtime);
  } finally {
    await fh.close();
  }
}

/** A directory's mode and times are deferred: children are still to come. */
async function makeDir(s: ExtractState, t: Target, h: TarHeader): Promise<BigIntStats> {
  await mkdir(t.host, { mode: 0o700 }).catch(async (err: NodeJS.ErrnoException) => {
    // An existing directory stays (its lower content too); anything else is replaced by the caller.
    if (err.code !== 'EEXIST' || !(await lstat(t.host)).isDirectory()) throw err;
  });
  if (s.opts.sameOwner) await lchown(t.host, h.uid, h.gid);
  const st = await lstat(t.host, { bigint: true });
  s.deferred.dir(t.rel, st, h.mode & 0o7777, h.atime ?? h.mtime, h.mtime);
  return st;
}

/** The target is written verbatim: it is interpreted inside the container, never here. */
async function makeSymlink(s: ExtractState, t: Target, h: TarHeader): Promise<BigIntStats> {
  if (!h.linkpath) throw new TarError('ERR_TAR_MALFORMED', 'symlink without a target', h.path);
  await symlink(h.linkpath, t.host);
  if (s.opts.sameOwner) await lchown(t.host, h.uid, h.gid);
  await lutimes(t.host, h.atime ?? h.mtime, h.mtime);
  return lstat(t.host, { bigint: true });
}

/** The source must already exist inside the root (resolved like any entry, never followed at the end). */
async function makeHardlink(s: ExtractState, t: Target, h: TarHeader): Promise<undefined> {
  let rel: string;
  try {
    rel = cleanEntryPath(h.linkpath ?? '', s.opts.clamp);
  } catch (err) {
    if (err instanceof TarError) throw new TarError(err.code as 'ERR_TAR_PATH_ESCAPE', `hardlink target ${JSON.stringify(h.linkpath)} is outside the root`, h.path);
    throw err;
  }
  if (!rel) throw new TarError('ERR_TAR_MALFORMED', 'hardlink to the root directory', h.path);
  const dir = await s.resolver.dir(path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel), h.path, false);
  const src = dir && path.join(dir.host, path.posix.basename(rel));
  const st = src ? await lstat(src).catch(() => undefined) : undefined;
  if (!src || !st) throw new TarError('ERR_TAR_MALFORMED', `hardlink target ${JSON.stringify(h.linkpath)} does not exist in the layer`, h.path);
  if (st.isDirectory()) throw new TarError('ERR_TAR_MALFORMED', `hardlink target ${JSON.stringify(h.linkpath)} is a directory`, h.path);
  await link(src, t.host);
  return undefined; // a hardlink shares its target's inode: its metadata is the target's
}

async function makeNode(s: ExtractState, t: Target, h: TarHeader & { type: 'char' | 'block' | 'fifo' }): Promise<BigIntStats | undefined> {
  if (h.type !== 'fifo' && !s.opts.isRoot) {
    s.warn(`skipped ${h.type} device ${JSON.stringify(h.path)}: creating devices needs root`);
    return undefined;
  }
  await s.remove(t.host, t.rel); // mknod(1) reports EEXIST only as text
  try {
    await mknod(t.host, h.type, h.mode, h.devmajor, h.devminor);
  } catch (err) {
    // As dockerd does in a user namespace: a device the host refuses is left out, not fatal.
    s.warn(`skipped ${h.type} ${JSON.stringify(h.path)}: ${(err as Error).message}`);
    return undefined;
  }
  if (s.opts.sameOwner) await lchown(t.host, h.uid, h.gid);
  await chmod(t.host, h.mode & 0o7777); // a node made just now, not a symlink
  await lutimes(t.host, h.atime ?? h.mtime, h.mtime);
  return lstat(t.host, { bigint: true });
}

/** Creates the entry `h` at `t`; an existing path fails with EEXIST (an existing directory is kept for a directory). */
function createEntry(s: ExtractState, t: Target, h: TarHeader, body: AsyncIterable<Buffer>): Promise<BigIntStats | undefined> {
  switch (h.type) {
    case 'file':
      return writeFile(s, t, h, body);
    case 'dir':
      return makeDir(s, t, h);
    case 'symlink':
      return makeSymlink(s, t, h);
    case 'hardlink':
      return makeHardlink(s, t, h);
    default:
      return makeNode(s, t, h as TarHeader & { type: 'char' | 'block' | 'fifo' });
  }
}

/**
 * Creates the entry `h` at `t`, replacing what is there unless both are directories (Docker's
 * rule). Creating first and removing only on EEXIST saves a lookup per entry of a fresh layer.
 * Returns the new node's stat when deferred xattrs need its identity.
 */
export async function placeEntry(s: ExtractState, t: Target, h: TarHeader, body: AsyncIterable<Buffer>): Promise<BigIntStats | undefined> {
  try {
    return await createEntry(s, t, h, body);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  await s.remove(t.host, t.rel);
  return createEntry(s, t, h, body);
}
