/**
 * A layer's diff dir as a Docker layer tar. The dir is packed as it is (the SDK's
 * `packDirectory`, with xattrs), and overlayfs's own forms are converted on the way out, as
 * Docker's overlay2 does: a whiteout (char 0/0 device, possibly hardlinked to another whiteout,
 * since overlayfs shares one whiteout inode) becomes an empty `.wh.<name>` file, and a directory
 * marked `trusted.overlay.opaque=y` is followed by `<dir>/.wh..wh..opq`.
 */
import path from 'node:path';
import type { Readable } from 'node:stream';
import { OPAQUE_MARKER, packDirectory, readTar, readXattrTree, TarWriter, WHITEOUT_PREFIX, type TarHeader, type TarWriterEntry } from '@keel/sdk/tar';

/** Layer-relative paths (`a/b`, `''` for the root) of the opaque dirs under `dir`. */
async function opaqueDirs(dir: string): Promise<Set<string>> {
  const { attrs } = await readXattrTree(dir);
  const out = new Set<string>();
  for (const [p, a] of attrs) if (a['trusted.overlay.opaque']?.toString() === 'y') out.add(path.relative(dir, p));
  return out;
}

function isWhiteout(h: TarHeader, whiteouts: ReadonlySet<string>): boolean {
  if (h.type === 'char') return !h.devmajor && !h.devminor;
  return h.type === 'hardlink' && whiteouts.has(h.linkpath ?? '');
}

/** The `.wh.` entry replacing the whiteout `h` (Docker: an empty 0600 file, owner and time kept). */
function whiteoutEntry(h: TarHeader, rel: string): TarWriterEntry {
  const dir = path.posix.dirname(rel);
  const name = `${WHITEOUT_PREFIX}${path.posix.basename(rel)}`;
  return { path: dir === '.' ? name : `${dir}/${name}`, type: 'file', size: 0, mode: 0o600, uid: h.uid, gid: h.gid, mtime: h.mtime };
}

/** The opaque marker of `rel` (Docker: an empty file with the dir's permissions and owner). */
function opaqueEntry(h: Pick<TarHeader, 'mode' | 'uid' | 'gid' | 'mtime'>, rel: string): TarWriterEntry {
  return { path: rel ? `${rel}/${OPAQUE_MARKER}` : OPAQUE_MARKER, type: 'file', size: 0, mode: h.mode & 0o777, uid: h.uid, gid: h.gid, mtime: h.mtime };
}

/** The tar of the overlay diff dir `dir`, with Docker's whiteouts. Errors destroy the stream. */
export function overlayDiffTar(dir: string): Readable {
  const source = packDirectory(dir, { xattrs: true });
  const w = new TarWriter();
  (async () => {
    const opaque = await opaqueDirs(dir);
    if (opaque.has('')) await w.add(opaqueEntry({ mode: 0o755, uid: 0, gid: 0, mtime: 0 }, ''));
    const whiteouts = new Set<string>();
    for await (const { header, body } of readTar(source)) {
      const rel = header.path.replace(/\/+$/, '');
      if (isWhiteout(header, whiteouts)) {
        whiteouts.add(rel);
        await w.add(whiteoutEntry(header, rel));
        continue;
      }
      await w.add(header, header.type === 'file' ? body : undefined);
      if (header.type === 'dir' && opaque.has(rel)) await w.add(opaqueEntry(header, rel));
    }
    await w.finish();
  })().catch((err: Error) => {
    source.destroy();
    w.readable.destroy(err);
  });
  return w.readable;
}
