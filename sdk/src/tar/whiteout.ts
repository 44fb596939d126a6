/**
 * Docker's layer whiteouts (aufs form, as image layers carry them): `dir/.wh.name` deletes
 * `dir/name`, and `dir/.wh..wh..opq` makes `dir` opaque (nothing of lower layers shows through).
 * Applied to a full tree (`apply`), or converted to overlayfs form (`overlay`): a char 0/0 device
 * named `name`, and the xattr `trusted.overlay.opaque=y` on an opaque directory.
 * @packageDocumentation
 */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { TarError } from './errors.js';
import type { ExtractState } from './extract-state.js';

/** Prefix of a whiteout entry's base name. */
export const WHITEOUT_PREFIX = '.wh.';
/** Base name of the opaque-directory marker. */
export const OPAQUE_MARKER = '.wh..wh..opq';
/** Prefix of aufs metadata names (`.wh..wh.plnk`…), which never become files. */
export const WHITEOUT_META_PREFIX = '.wh..wh.';

const join = (rel: string, name: string) => (rel ? `${rel}/${name}` : name);

/**
 * Handles the whiteout entry `dirRel/base` (`base` starts with `.wh.`) in `apply` or `overlay`
 * mode. Paths are resolved inside the root like any entry.
 */
export async function handleWhiteout(s: ExtractState, dirRel: string, base: string, entry: string): Promise<void> {
  if (base === OPAQUE_MARKER) return opaque(s, dirRel, entry);
  if (base.startsWith(WHITEOUT_META_PREFIX)) {
    s.warn(`skipped aufs metadata entry ${JSON.stringify(entry)}`);
    return;
  }
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (!name || name === '.' || name === '..') throw new TarError('ERR_TAR_MALFORMED', 'invalid whiteout name', entry);
  const overlay = s.opts.whiteouts === 'overlay';
  // Applying: below a missing directory there is nothing to delete, so nothing is created.
  const dir = await s.resolver.dir(dirRel, entry, overlay);
  if (!dir) return;
  const host = path.join(dir.host, name);
  await s.remove(host, join(dir.rel, name));
  if (overlay) await s.whiteouts.make(host);
}

async function opaque(s: ExtractState, dirRel: string, entry: string): Promise<void> {
  const dir = (await s.resolver.dir(dirRel, entry, true))!;
  if (s.opts.whiteouts === 'overlay') {
    s.deferred.xattr(dir.rel, await lstat(dir.host, { bigint: true }), 'trusted.overlay.opaque', Buffer.from('y'));
    return;
  }
  await clearLower(s, dir.host, dir.rel);
}

/**
 * Removes what lower layers put below `host`, keeping what this layer wrote (the marker may come
 * after entries of its directory) — moby's walk over `unpackedPaths`.
 */
async function clearLower(s: ExtractState, host: string, rel: string): Promise<void> {
  for (const name of await readdir(host)) {
    const childHost = path.join(host, name);
    const childRel = join(rel, name);
    if (!s.unpacked.has(childRel)) await s.remove(childHost, childRel);
    else if ((await lstat(childHost)).isDirectory()) await clearLower(s, childHost, childRel);
  }
}
