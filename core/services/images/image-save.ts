/**
 * `docker save`: a tar in the layout Docker 25+ writes, loadable by Docker 20.10+ and by keel — an
 * OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/…`) plus the legacy `manifest.json`
 * and `repositories` pointing into the same blobs. Layers are the original uncompressed tars, so
 * DiffIDs, image IDs and even manifest digests are Docker's. The blobs are opened before the
 * answer starts (an rmi meanwhile cannot cut the stream short) and streamed, never buffered whole.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { InvalidArgumentError } from '@keel/sdk';
import { TarWriter } from '@keel/sdk/tar';
import { sha256, type BlobStore } from './blob-store.js';
import { diffIdsOf } from './image-config.js';
import type { Image, ImageStore } from './image-store.js';
import { familiarRepository, familiarString, parseReference, referenceKey, repositoryName, type ImageReference } from './reference.js';

/** An image to save with the references it is saved under. */
export interface SaveItem {
  readonly image: Image;
  readonly refs: ImageReference[];
}

/** What a save writes: configs in memory, layer blobs opened. */
export interface SavePlan {
  readonly items: readonly SaveItem[];
  readonly configs: ReadonlyMap<string, Buffer>;
  readonly layers: ReadonlyMap<string, { handle: FileHandle; size: number }>;
}

/**
 * The images `names` select, as moby picks them: `repo` alone means every tag of it (or an ID
 * prefix when it has none), `repo:tag` that tag, an ID or ID prefix the image without names.
 */
export function selectForSave(names: readonly string[], images: ImageStore): SaveItem[] {
  if (!names.length) throw new InvalidArgumentError('no image names given');
  const items = new Map<string, SaveItem>();
  const add = (image: Image, ref?: ImageReference) => {
    const item = items.get(image.id) ?? { image, refs: [] };
    items.set(image.id, item);
    if (ref && !item.refs.some((r) => referenceKey(r) === referenceKey(ref))) item.refs.push(ref);
  };
  for (const name of names) {
    if (/^(sha256:)?[a-f0-9]{64}$/.test(name)) {
      add(images.resolve(name));
      continue;
    }
    const ref = parseReference(name, null);
    if (ref.digest) throw new InvalidArgumentError(`saving by digest reference is not supported: ${name}`);
    if (!ref.tag) {
      const repo = repositoryName(ref);
      const tagged = images.list().flatMap((i) => images.refsOf(i.id).filter((r) => repositoryName(r) === repo).map((r) => [i, r] as const));
      for (const [i, r] of tagged) add(i, r);
      if (!tagged.length) add(images.resolve(name));
      continue;
    }
    const image = images.resolve(name);
    add(image, images.byReference(ref) === image.id ? ref : undefined);
  }
  return [...items.values()];
}

/** Reads the configs and opens the layer blobs of `items` (call under the store lock). */
export async function prepareSave(items: readonly SaveItem[], blobs: BlobStore): Promise<SavePlan> {
  const configs = new Map<string, Buffer>();
  const layers = new Map<string, { handle: FileHandle; size: number }>();
  try {
    for (const { image } of items) {
      configs.set(image.id, await blobs.read(image.id));
      for (const d of diffIdsOf(image.config)) {
        if (layers.has(d)) continue;
        const handle = await open(blobs.path(d), 'r');
        layers.set(d, { handle, size: (await handle.stat()).size });
      }
    }
  } catch (err) {
    await closeAll(layers);
    throw err;
  }
  return { items, configs, layers };
}

async function closeAll(layers: ReadonlyMap<string, { handle: FileHandle }>): Promise<void> {
  for (const { handle } of layers.values()) await handle.close().catch(() => undefined);
}

const json = (value: unknown, newline = false) => Buffer.from(JSON.stringify(value) + (newline ? '\n' : ''));
const blobPath = (digest: string) => `blobs/sha256/${digest.slice(7)}`;

async function write(w: TarWriter, plan: SavePlan): Promise<void> {
  const file = (path: string, data: Buffer) => w.add({ path, type: 'file', mode: 0o644, size: data.length }, data);
  await w.add({ path: 'blobs/', type: 'dir', mode: 0o755 });
  await w.add({ path: 'blobs/sha256/', type: 'dir', mode: 0o755 });
  const written = new Set<string>();
  const manifestJson: unknown[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  const index: unknown[] = [];
  for (const { image, refs } of plan.items) {
    const diffIds = diffIdsOf(image.config);
    for (const d of diffIds) {
      if (written.has(d)) continue;
      written.add(d);
      const { handle, size } = plan.layers.get(d)!;
      await w.add({ path: blobPath(d), type: 'file', mode: 0o644, size }, handle.createReadStream({ start: 0, autoClose: false, highWaterMark: 1 << 20 }));
    }
    const config = plan.configs.get(image.id)!;
    // Docker's exact manifest bytes (field order included), so the manifest digest is Docker's too.
    const manifest = json({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: image.id, size: config.length },
      layers: diffIds.map((d) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: d, size: plan.layers.get(d)!.size })),
    });
    const manifestDigest = sha256(manifest);
    for (const [digest, data] of [[image.id, config], [manifestDigest, manifest]] as const) {
      if (!written.has(digest)) await file(blobPath(digest), data);
      written.add(digest);
    }
    manifestJson.push({ Config: blobPath(image.id), RepoTags: refs.length ? refs.map(familiarString) : null, Layers: diffIds.map(blobPath) });
    const descriptor = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: manifest.length };
    if (!refs.length) index.push(descriptor);
    for (const ref of refs) {
      (repositories[familiarRepository(ref)] ??= {})[ref.tag!] = (diffIds.at(-1) ?? image.id).slice(7);
      index.push({ ...descriptor, annotations: { 'io.containerd.image.name': `${repositoryName(ref)}:${ref.tag!}`, 'org.opencontainers.image.ref.name': ref.tag! } });
    }
  }
  await file('index.json', json({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: index }));
  await file('manifest.json', json(manifestJson, true));
  await file('oci-layout', Buffer.from('{"imageLayoutVersion": "1.0.0"}'));
  if (Object.keys(repositories).length) await file('repositories', json(repositories, true));
}

/** The tar stream of a prepared save; the blobs are closed when it ends or fails. */
export function saveImages(plan: SavePlan): Readable {
  const w = new TarWriter();
  write(w, plan)
    .then(() => w.finish())
    .catch((err: Error) => w.readable.destroy(err))
    .finally(() => closeAll(plan.layers));
  return w.readable;
}
