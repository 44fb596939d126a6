/**
 * Safe layer extraction, as Docker applies image layers:
 * - nothing lands outside the root: names are rooted at it (`/etc/x` → `<root>/etc/x`), `..` above
 *   it is refused (or clamped), and symlinks met on the way are resolved *inside* the root, as if
 *   chrooted; the final component is never followed;
 * - symlink targets are written verbatim (`/usr/bin/mawk` stays absolute);
 * - an entry replaces what is at its path unless both are directories;
 * - owners (as root), modes with setuid/setgid/sticky, times, xattrs and device nodes are restored;
 * - whiteouts are applied, converted to overlayfs form, or kept as files.
 * @packageDocumentation
 */
import type { BigIntStats } from 'node:fs';
import { lchown, lstat, mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { TarSource } from './byte-reader.js';
import { placeEntry } from './entries.js';
import { TarError, entryError } from './errors.js';
import { ExtractState, type ExtractSettings, type WhiteoutMode } from './extract-state.js';
import type { TarHeader } from './header.js';
import { TarReader, type TarEntry, type TarReaderOptions } from './reader.js';
import { cleanEntryPath } from './secure-path.js';
import { WHITEOUT_META_PREFIX, WHITEOUT_PREFIX, handleWhiteout } from './whiteout.js';
import { isValidXattrName } from './xattr.js';

export type { WhiteoutMode } from './extract-state.js';

/** Options of {@link extractLayer}. */
export interface ExtractOptions {
  /**
   * What `.wh.` entries do: `apply` (default) deletes what they name from the root (full-copy
   * drivers); `overlay` writes overlayfs whiteouts (char 0/0, `trusted.overlay.opaque=y`);
   * `keep` writes them as plain files (anything that is not an image layer, e.g. `docker cp`).
   */
  readonly whiteouts?: WhiteoutMode;
  /** Reader limits and strictness (see {@link TarLimits}). */
  readonly limits?: TarReaderOptions;
  /** Restore owners with lchown (default: when running as root). */
  readonly sameOwner?: boolean;
  /** Restore `SCHILY.xattr.*` attributes (default true; `trusted.overlay.*` is always dropped). */
  readonly xattrs?: boolean;
  /** Fail with `ERR_TAR_UNSUPPORTED` instead of warning when xattrs cannot be set. */
  readonly requireXattrs?: boolean;
  /**
   * `..` climbing above the root: `reject` (default) throws `ERR_TAR_PATH_ESCAPE`; `clamp` keeps
   * the entry at the root, as a chrooted extraction (dockerd) does.
   */
  readonly dotDot?: 'reject' | 'clamp';
}

/** What an extraction did. */
export interface ExtractResult {
  /** Bytes of file content written. */
  readonly bytes: number;
  /** Entries read (whiteouts and skipped entries included). */
  readonly entries: number;
  /** What was skipped or could not be restored (devices without root, failed xattrs…). */
  readonly warnings: string[];
}

function settings(o: ExtractOptions): ExtractSettings {
  const isRoot = process.getuid?.() === 0;
  return {
    whiteouts: o.whiteouts ?? 'apply',
    sameOwner: o.sameOwner ?? isRoot,
    isRoot,
    xattrs: o.xattrs ?? true,
    requireXattrs: o.requireXattrs ?? false,
    clamp: o.dotDot === 'clamp',
  };
}

/**
 * Extracts the layer tar `source` into `rootDir` (created if missing). Directory modes and times
 * and all xattrs are applied at the end; on error the root is left half-written for the caller
 * to discard.
 * @param source - uncompressed tar bytes (wrap gzip input in {@link maybeGunzip})
 * @param rootDir - the destination root
 * @param options - whiteout handling, limits, ownership
 * @throws TarError with `ERR_TAR_MALFORMED`, `ERR_TAR_PATH_ESCAPE`, `ERR_TAR_LIMIT` or
 *   `ERR_TAR_UNSUPPORTED`, naming the entry at fault; host failures (ENOSPC…) pass through
 */
export async function extractLayer(source: TarSource, rootDir: string, options: ExtractOptions = {}): Promise<ExtractResult> {
  await mkdir(rootDir, { recursive: true });
  const s = new ExtractState(await realpath(rootDir), settings(options));
  try {
    for await (const entry of new TarReader(source, options.limits)) {
      s.entries++;
      try {
        await extractEntry(s, entry);
      } catch (err) {
        throw entryError(err, entry.header.path);
      }
    }
    await s.settle();
    await s.deferred.flush(s.warnings, s.opts.requireXattrs);
  } finally {
    await s.settle(true);
    await s.whiteouts.cleanup();
  }
  return { bytes: s.bytes, entries: s.entries, warnings: s.warnings };
}

async function extractEntry(s: ExtractState, { header: h, body }: TarEntry): Promise<void> {
  const rel = cleanEntryPath(h.path, s.opts.clamp);
  if (!rel) return rootEntry(s, h);
  const slash = rel.lastIndexOf('/');
  const dirRel = slash < 0 ? '' : rel.slice(0, slash);
  const base = rel.slice(slash + 1);
  if (s.opts.whiteouts !== 'keep') {
    // aufs metadata (`.wh..wh.plnk/…`) is storage bookkeeping, never content: moby skips it too.
    if (dirRel.split('/').some((c) => c.startsWith(WHITEOUT_META_PREFIX))) return s.warn(`skipped aufs metadata entry ${JSON.stringify(h.path)}`);
    if (base.startsWith(WHITEOUT_PREFIX)) return handleWhiteout(s, dirRel, base, h.path);
  }
  const dir = (await s.resolver.dir(dirRel, h.path, true))!;
  const target = { host: path.join(dir.host, base), rel: dir.rel ? `${dir.rel}/${base}` : base };
  const st = await placeEntry(s, target, h, body);
  s.markUnpacked(target.rel);
  if (st) deferXattrs(s, target.rel, st, h);
}

/** `./` or `/`: the root directory's own metadata (it matters for overlayfs upper dirs). */
async function rootEntry(s: ExtractState, h: TarHeader): Promise<void> {
  if (h.type !== 'dir') throw new TarError('ERR_TAR_MALFORMED', `entry of type ${h.type} names the root directory`, h.path);
  if (s.opts.sameOwner) await lchown(s.root, h.uid, h.gid);
  const st = await lstat(s.root, { bigint: true });
  s.deferred.dir('', st, h.mode & 0o7777, h.atime ?? h.mtime, h.mtime);
  deferXattrs(s, '', st, h);
}

function deferXattrs(s: ExtractState, rel: string, st: BigIntStats, h: TarHeader): void {
  if (!s.opts.xattrs) return;
  for (const [name, value] of Object.entries(h.xattrs ?? {})) {
    // Overlay metadata may only come from whiteouts: a layer must not forge opaque dirs or redirects.
    if (name.startsWith('trusted.overlay.')) s.warn(`dropped xattr ${name} of ${JSON.stringify(h.path)}`);
    else if (!isValidXattrName(name)) s.warn(`dropped xattr with invalid name ${JSON.stringify(name)} of ${JSON.stringify(h.path)}`);
    else s.deferred.xattr(rel, st, name, value);
  }
}
