/**
 * The tar side of `docker cp`: packing one resolved path with entries named as the client asked
 * (`hostname`, `etc/…`, `./…`), and extracting an upload below a directory of the root filesystem
 * with every entry re-rooted there — the extractor itself resolves everything inside the
 * container root, so neither `..` nor a symlink (old or just unpacked) can lead out of it.
 */
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidArgumentError } from '@keel/sdk';
import { TarReader, TarWriter, cleanEntryPath, extractLayer, packDirectory, type TarHeader, type TarSource } from '@keel/sdk/tar';
import { followInRoot, type ResolvedPath } from './path-stat.js';

/** Copies `source` entries to a new archive, renaming each (undefined drops it). */
function rewrite(source: TarSource, rename: (h: TarHeader) => TarHeader | undefined, first?: TarHeader): TarWriter {
  const w = new TarWriter();
  (async () => {
    if (first) await w.add(first);
    for await (const { header, body } of new TarReader(source)) {
      const { pax: _pax, ...h } = header; // re-encoded from the fields; stale path records must not come back
      const out = rename(h);
      if (out) await w.add(out, out.type === 'file' ? body : undefined);
    }
    await w.finish();
  })().catch((err: Error) => w.destroy(err));
  return w;
}

const trimSlash = (p: string) => p.replace(/\/+$/, '');

/**
 * A tar of the resolved path `r`, as moby's archive endpoint gives it: a file or symlink (never
 * followed) as one entry named `r.path.name`; a directory as itself plus its tree below that name.
 */
export function archiveResolved(r: ResolvedPath): Readable {
  const name = r.path.name === '/' ? '.' : r.path.name;
  if (!r.stat.isDirectory()) {
    const base = path.basename(r.host);
    const source = packDirectory(path.dirname(r.host), { filter: (rel) => rel === base, xattrs: false });
    return rewrite(source, (h) => ({ ...h, path: name })).readable;
  }
  const rename = (h: TarHeader): TarHeader => {
    const p = `${name}/${trimSlash(h.path)}${h.type === 'dir' ? '/' : ''}`;
    // A hard link names another entry of the same archive: it moves with it.
    return h.type === 'hardlink' && h.linkpath ? { ...h, path: p, linkpath: `${name}/${h.linkpath}` } : { ...h, path: p };
  };
  const self: TarHeader = {
    path: `${name}/`, type: 'dir', mode: r.stat.mode & 0o7777, uid: r.stat.uid, gid: r.stat.gid, size: 0,
    mtime: Math.floor(r.stat.mtimeMs / 1000),
  };
  return rewrite(packDirectory(r.host), rename, self).readable;
}

/** Options of {@link extractInto}. */
export interface ExtractIntoOptions {
  /** Refuse to replace a directory with a non-directory or the other way round (`docker cp` sets it). */
  readonly noOverwriteDirNonDir: boolean;
  /**
   * Owner for every entry: root for a plain `docker cp` (Docker's documented rule), the
   * container's user with `copyUIDGID`. Without it the archive's owners are kept.
   */
  readonly owner?: { readonly uid: number; readonly gid: number };
}

/** Whether an entry may land on what is there now (noOverwriteDirNonDir). */
async function checkOverwrite(root: string, rel: string, h: TarHeader): Promise<void> {
  const dir = await followInRoot(root, path.posix.dirname(rel));
  if (!dir.exists) return;
  const st = await lstat(path.join(dir.host, path.posix.basename(rel))).catch(() => undefined);
  if (!st) return;
  if (st.isDirectory() && h.type !== 'dir') throw new InvalidArgumentError(`cannot overwrite directory "/${rel}" with non-directory "${h.path}"`);
  if (!st.isDirectory() && h.type === 'dir') throw new InvalidArgumentError(`cannot overwrite non-directory "/${rel}" with directory "${h.path}"`);
}

/**
 * Extracts the uploaded tar `body` into the directory `destRel` (physical, root-relative) of the
 * root filesystem at `root`. Entry names are taken relative to the destination: one climbing
 * above it is refused (400), as moby refuses a breakout. Symlink targets stay verbatim: they mean
 * container paths, and the extractor resolves them inside `root`.
 */
export async function extractInto(root: string, destRel: string, body: TarSource, opts: ExtractIntoOptions): Promise<void> {
  const prefix = (rel: string) => (destRel ? `${destRel}/${rel}` : rel);
  const w = new TarWriter();
  const producing = (async () => {
    for await (const { header, body: data } of new TarReader(body)) {
      const { pax: _pax, ...h } = header;
      const rel = cleanEntryPath(h.path); // throws ERR_TAR_PATH_ESCAPE (400) for "../" above the destination
      if (!rel) continue; // the destination's own metadata is not the upload's to change
      if (opts.noOverwriteDirNonDir) await checkOverwrite(root, prefix(rel), h);
      const out: TarHeader = { ...h, path: prefix(rel) + (h.type === 'dir' ? '/' : '') };
      if (h.type === 'hardlink') out.linkpath = prefix(cleanEntryPath(h.linkpath ?? ''));
      if (opts.owner) Object.assign(out, { uid: opts.owner.uid, gid: opts.owner.gid });
      await w.add(out, h.type === 'file' ? data : undefined);
    }
    await w.finish();
  })().catch((err: Error) => {
    // Without an error: the extractor may not listen yet, and its own failure is not the one to report.
    w.readable.destroy();
    throw err;
  });
  const extracting = extractLayer(w.readable, root, { whiteouts: 'keep', dotDot: 'reject', sameOwner: true });
  // The producer's error (bad archive, refused entry) is the one to report, not the broken pipe it caused.
  const [p, x] = await Promise.allSettled([producing, extracting]);
  if (p.status === 'rejected') throw p.reason;
  if (x.status === 'rejected') throw x.reason;
}
