/**
 * A vfs layer's changes as a Docker layer tar: the added and modified entries packed from the
 * layer dir (the SDK's `packDirectory`, with xattrs, limited to the changed paths), and each
 * deletion as an empty `.wh.<name>` file placed right after its directory's entry.
 */
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { LayerChange } from '@keel/sdk';
import { packDirectory, readTar, TarWriter, WHITEOUT_PREFIX } from '@keel/sdk/tar';

/** Deleted names grouped by their directory, layer-relative (`''` for the root). */
function deletionsByDir(changes: readonly LayerChange[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const c of changes.filter((x) => x.kind === 2)) {
    const dir = path.posix.dirname(c.path).slice(1);
    out.set(dir, [...(out.get(dir) ?? []), path.posix.basename(c.path)]);
  }
  for (const names of out.values()) names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return out;
}

/**
 * The tar of `changes` (as `compareTrees` reports them, so every parent of a change is itself a
 * change and packing only changed paths still reaches them all). Errors destroy the stream.
 */
export function vfsDiffTar(dir: string, changes: readonly LayerChange[]): Readable {
  const kept = new Set(changes.filter((c) => c.kind !== 2).map((c) => c.path.slice(1)));
  const deleted = deletionsByDir(changes);
  const source = packDirectory(dir, { xattrs: true, filter: (rel) => kept.has(rel) });
  const w = new TarWriter();
  const whiteouts = async (rel: string) => {
    for (const name of deleted.get(rel) ?? []) {
      await w.add({ path: rel ? `${rel}/${WHITEOUT_PREFIX}${name}` : `${WHITEOUT_PREFIX}${name}`, type: 'file', size: 0, mode: 0o600 });
    }
    deleted.delete(rel);
  };
  (async () => {
    await whiteouts('');
    for await (const { header, body } of readTar(source)) {
      await w.add(header, header.type === 'file' ? body : undefined);
      if (header.type === 'dir') await whiteouts(header.path.replace(/\/+$/, ''));
    }
    for (const rel of [...deleted.keys()]) await whiteouts(rel); // a parent not listed as changed
    await w.finish();
  })().catch((err: Error) => {
    source.destroy();
    w.readable.destroy(err);
  });
  return w.readable;
}
