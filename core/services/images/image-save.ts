/**
 * `docker save`: a tar that Docker 20.10+ and keel load, in the layout Docker 25 writes — an OCI
 * image layout (`oci-layout`, `index.json`, `blobs/sha256/…`) plus the legacy `manifest.json` and
 * `repositories` pointing into the same blobs. Layers are the original tars, so DiffIDs and image
 * IDs survive the round trip. Streamed: nothing is buffered whole.
 */
import type { Readable } from 'node:stream';
import { TarWriter } from '@keel/sdk/tar';
import { sha256, type BlobStore } from './blob-store.js';
import type { Image } from './image-store.js';
import { familiarRepository, parseReference } from './reference.js';

/** An image to save with the names it is saved under. */
export interface SaveItem {
  readonly image: Image;
  readonly names: string[];
}

const MTIME = 0;

async function addBytes(w: TarWriter, name: string, data: Buffer): Promise<void> {
  await w.add({ path: name, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: MTIME, size: data.length }, data);
}

async function write(w: TarWriter, items: readonly SaveItem[], blobs: BlobStore): Promise<void> {
  await w.add({ path: 'blobs/', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: MTIME, size: 0 });
  await w.add({ path: 'blobs/sha256/', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: MTIME, size: 0 });
  const written = new Set<string>();
  const manifestJson: unknown[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  const index: unknown[] = [];
  for (const { image, names } of items) {
    const diffIds = image.config.rootfs?.diff_ids ?? [];
    const layers: Array<{ digest: string; size: number }> = [];
    for (const d of diffIds) {
      const size = await blobs.size(d);
      layers.push({ digest: d, size });
      if (written.has(d)) continue;
      written.add(d);
      await w.add({ path: `blobs/sha256/${d.slice(7)}`, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: MTIME, size }, blobs.open(d));
    }
    const configBytes = await blobs.read(image.id);
    if (!written.has(image.id)) {
      written.add(image.id);
      await addBytes(w, `blobs/sha256/${image.id.slice(7)}`, configBytes);
    }
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: image.id, size: configBytes.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: l.digest, size: l.size })),
    }));
    const manifestDigest = sha256(manifest);
    if (!written.has(manifestDigest)) {
      written.add(manifestDigest);
      await addBytes(w, `blobs/sha256/${manifestDigest.slice(7)}`, manifest);
    }
    manifestJson.push({ Config: `blobs/sha256/${image.id.slice(7)}`, RepoTags: names.length ? names : null, Layers: diffIds.map((d) => `blobs/sha256/${d.slice(7)}`) });
    const descriptor = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: manifest.length };
    if (!names.length) index.push(descriptor);
    for (const n of names) {
      const ref = parseReference(n);
      (repositories[familiarRepository(ref)] ??= {})[ref.tag ?? 'latest'] = image.id.slice(7);
      index.push({ ...descriptor, annotations: { 'io.containerd.image.name': `${ref.domain}/${ref.path}:${ref.tag ?? 'latest'}`, 'org.opencontainers.image.ref.name': ref.tag ?? 'latest' } });
    }
  }
  await addBytes(w, 'index.json', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: index })));
  await addBytes(w, 'manifest.json', Buffer.from(JSON.stringify(manifestJson)));
  await addBytes(w, 'oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
  if (Object.keys(repositories).length) await addBytes(w, 'repositories', Buffer.from(JSON.stringify(repositories)));
}

/** The tar stream of `items`. */
export function saveImages(items: readonly SaveItem[], blobs: BlobStore): Readable {
  const w = new TarWriter();
  write(w, items, blobs)
    .then(() => w.finish())
    .catch((err: Error) => w.readable.destroy(err));
  return w.readable;
}
