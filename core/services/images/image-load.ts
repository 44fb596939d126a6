/**
 * `docker load`: the archive is unpacked into a staging directory with the safe layer extractor
 * (so no entry can land outside it), read as docker-save or OCI layout, and each layer is
 * registered against the DiffID its config promises. Images become visible only once all their
 * layers are in; on any failure, what this load added is collected and the staging removed.
 */
import { open, mkdir, rm, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { InvalidArgumentError, type EventBus } from '@keel/sdk';
import { extractLayer, maybeGunzip } from '@keel/sdk/tar';
import { readArchive } from './archive-manifest.js';
import type { ImageStore } from './image-store.js';
import { chainId, type LayerStore } from './layer-store.js';
import { progressBar } from './progress.js';
import { familiarString, parseReference } from './reference.js';

/** What a load needs. */
export interface LoadDeps {
  readonly images: ImageStore;
  readonly layers: LayerStore;
  readonly events: EventBus;
  /** Where staging directories go. */
  readonly tmpRoot: string;
  readonly maxBytes: number;
}

/**
 * A layer file as the layer store takes it: gzip as a decompressing stream, a plain tar as the
 * file itself (adopted without a copy); zstd is refused clearly.
 */
export async function openLayer(file: string): Promise<Readable | { file: string }> {
  // A plain layer already adopted by another chain of this archive is gone from staging; the
  // layer store then finds its content by DiffID.
  const fh = await open(file, 'r').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
  if (!fh) return { file };
  const head = Buffer.alloc(4);
  await fh.read(head, 0, 4, 0).finally(() => fh.close());
  if (head[0] === 0x1f && head[1] === 0x8b) return createReadStream(file).pipe(createGunzip());
  if (head.readUInt32LE(0) === 0xfd2fb528) throw new InvalidArgumentError(`layer ${path.basename(file)} is zstd-compressed, which keel cannot load yet`);
  return { file };
}

/** Loads an archive; yields Docker's JSON progress messages. */
export async function* loadImages(body: Readable, deps: LoadDeps, quiet: boolean): AsyncGenerator<Record<string, unknown>> {
  const staging = path.join(deps.tmpRoot, `load-${randomBytes(8).toString('hex')}`);
  await mkdir(staging, { recursive: true, mode: 0o700 });
  try {
    await extractLayer(maybeGunzip(body), staging, { whiteouts: 'keep', sameOwner: false, limits: { maxTotalBytes: deps.maxBytes } });
    const archive = await readArchive(staging);
    for (const img of archive) {
      let parent: string | undefined;
      const config = JSON.parse(img.configBytes.toString('utf8')) as { rootfs?: { diff_ids?: string[] } };
      const diffIds = config.rootfs?.diff_ids ?? [];
      if (diffIds.length !== img.layerFiles.length) throw new InvalidArgumentError(`invalid image archive: the config lists ${diffIds.length} layers, the manifest ${img.layerFiles.length}`);
      for (const [i, file] of img.layerFiles.entries()) {
        const id = diffIds[i]!.slice(7, 19);
        const known = await deps.layers.get(chainId(parent, diffIds[i]!));
        if (known) {
          // Already stored (by an earlier image of this archive, or before): nothing to read.
          parent = known.chainId;
          if (!quiet) yield { status: 'Loading layer', progressDetail: { current: known.size, total: known.size }, progress: progressBar(known.size, known.size), id };
          continue;
        }
        const total = await stat(file).then((st) => st.size, () => 0);
        if (!quiet) yield { status: 'Loading layer', progressDetail: { current: 0, total }, progress: progressBar(0, total), id };
        const { record } = await deps.layers.register(parent, await openLayer(file), diffIds[i]).catch((err: Error) => {
          throw new InvalidArgumentError(`invalid image archive: layer ${i + 1} (${diffIds[i]}): ${err.message}`, { cause: err });
        });
        parent = record.chainId;
        if (!quiet) yield { status: 'Loading layer', progressDetail: { current: total, total }, progress: progressBar(total, total), id };
      }
      const image = await deps.images.create(img.configBytes);
      const names: string[] = [];
      for (const t of img.tags) {
        const ref = parseReference(t);
        await deps.images.tag(image.id, ref);
        names.push(familiarString(ref));
      }
      for (const n of names.length ? names : [image.id]) {
        deps.events.publish({ type: 'image', action: 'load', actor: { ID: image.id, Attributes: { name: n } } });
        yield { stream: names.length ? `Loaded image: ${n}\n` : `Loaded image ID: ${image.id}\n` };
      }
    }
  } catch (err) {
    // Layers this load registered for images that never came to be go away again.
    await deps.layers.collect(await deps.images.layersInUse()).catch(() => undefined);
    throw err;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
