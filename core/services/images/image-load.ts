/**
 * `docker load`, in three steps so that a refused archive changes nothing:
 * 1. stage: the archive is unpacked into a private directory by the safe extractor (no entry can
 *    land outside it; `../` and symlink escapes are refused naming the entry), under the size cap;
 * 2. verify: docker-save or OCI layout is read, every config parsed, every layer not yet stored
 *    checked against its blob digest and DiffID — all before the first byte of the answer, so any
 *    of these errors is a proper 4xx;
 * 3. register (under the store lock): the new layers go into the storage driver with progress
 *    lines, then all images and their tags appear in one index write. A failure here removes the
 *    layers this load added.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { EngineError, InvalidArgumentError, type EventBus } from '@keel/sdk';
import { extractLayer, maybeGunzip } from '@keel/sdk/tar';
import { hasFile, invalidArchive, type ArchiveImage, type ArchiveLayer } from './archive-files.js';
import { readDockerArchive } from './docker-archive-load.js';
import { diffIdsOf, parseImageConfig } from './image-config.js';
import type { ImageStore } from './image-store.js';
import { chainIds, type LayerStore } from './layer-store.js';
import { stageLayer, type StagedLayer } from './layer-staging.js';
import { isOciLayout, readOciLayout, type Platform } from './oci-layout-load.js';
import { progressMessage, reporting } from './progress.js';
import { familiarString } from './reference.js';

/** What a load needs. */
export interface LoadDeps {
  readonly images: ImageStore;
  readonly layers: LayerStore;
  readonly events: EventBus;
  /** Where staging directories go (on the blob store's filesystem, so staged tars are renamed in). */
  readonly tmpRoot: string;
  /** Largest archive, and largest decompressed layer, in bytes. */
  readonly maxBytes: number;
  /** The platform picked from multi-platform OCI indexes. */
  readonly platform: Platform;
  /** Runs a generator holding the store lock. */
  readonly exclusive: <T>(make: () => AsyncIterable<T>) => AsyncIterable<T>;
}

/** A verified image of the archive. */
interface PlannedImage {
  readonly source: ArchiveImage;
  readonly diffIds: readonly string[];
  readonly chains: readonly string[];
}

type Message = Record<string, unknown>;

/** Loads an archive; yields Docker's JSON messages. */
export async function* loadImages(body: Readable, deps: LoadDeps, quiet: boolean): AsyncGenerator<Message> {
  await mkdir(deps.tmpRoot, { recursive: true, mode: 0o700 });
  const staging = await mkdtemp(path.join(deps.tmpRoot, 'load-'));
  try {
    const root = path.join(staging, 'archive');
    await extractLayer(maybeGunzip(body, { maxBytes: deps.maxBytes }), root, {
      whiteouts: 'keep', sameOwner: false, xattrs: false, limits: { maxTotalBytes: deps.maxBytes },
    });
    const plan = await readArchive(root, deps.platform).then((a) => a.map(planImage));
    const layersDir = path.join(staging, 'layers');
    await mkdir(layersDir);
    const staged = new Map<string, Promise<StagedLayer>>();
    const stage = (layer: ArchiveLayer, diffId: string) => {
      const key = `${layer.file}\n${diffId}`;
      if (!staged.has(key)) staged.set(key, stageLayer(layer, diffId, layersDir, deps.maxBytes).catch((err) => Promise.reject(layerError(layer, err))));
      return staged.get(key)!;
    };
    for (const img of plan) {
      for (const [i, layer] of img.source.layers.entries()) if (!deps.layers.get(img.chains[i]!)) await stage(layer, img.diffIds[i]!);
    }
    yield* deps.exclusive(() => register(plan, deps, quiet, stage));
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function readArchive(root: string, platform: Platform): Promise<ArchiveImage[]> {
  if (await hasFile(root, 'manifest.json')) return readDockerArchive(root);
  if (await isOciLayout(root)) return readOciLayout(root, platform);
  return invalidArchive('it contains neither a manifest.json (docker save) nor an index.json with oci-layout (OCI image layout)');
}

function planImage(source: ArchiveImage): PlannedImage {
  const diffIds = diffIdsOf(parseImageConfig(source.configBytes, `image config ${source.configName}`));
  if (diffIds.length !== source.layers.length) {
    invalidArchive(`invalid manifest, layers length mismatch: expected ${source.layers.length}, got ${diffIds.length} (${source.configName})`);
  }
  return { source, diffIds, chains: chainIds(diffIds) };
}

/** A refused layer is the archive's fault: 400 naming the layer. Host errors (ENOSPC…) pass through. */
function layerError(layer: ArchiveLayer, err: unknown): unknown {
  if (!EngineError.is(err) || err.kind !== 'InvalidArgument') return err;
  return new InvalidArgumentError(`invalid archive: layer ${layer.name}: ${err.message.replace(/^invalid archive: /, '')}`, { cause: err });
}

async function* register(plan: readonly PlannedImage[], deps: LoadDeps, quiet: boolean, stage: (l: ArchiveLayer, d: string) => Promise<StagedLayer>): AsyncGenerator<Message> {
  let done = false;
  try {
    for (const img of plan) {
      let parent: string | undefined;
      for (const [i, layer] of img.source.layers.entries()) {
        const chain = img.chains[i]!;
        if (!deps.layers.get(chain)) {
          // Staged before the lock, unless an rmi removed the layer since it was checked.
          const s = await stage(layer, img.diffIds[i]!);
          const id = img.diffIds[i]!.slice(7, 19);
          if (!quiet) yield progressMessage('Loading layer', id, 0, s.size);
          const show = (n: number) => progressMessage('Loading layer', id, n, s.size);
          const task = (report: (n: number) => void) => deps.layers.register(parent, s, undefined, report).catch((err) => Promise.reject(layerError(layer, err)));
          if (quiet) await task(() => undefined);
          else {
            yield* reporting(task, show);
            yield show(s.size);
          }
        }
        parent = chain;
      }
    }
    const { images, moved } = await deps.images.commit(plan.map((p) => ({ configBytes: p.source.configBytes, tags: p.source.tags })));
    for (const [i, image] of images.entries()) {
      deps.events.publish({ type: 'image', action: 'load', actor: { ID: image.id, Attributes: { ...image.config.config?.Labels, name: image.id } } });
      const tags = plan[i]!.source.tags;
      for (const ref of tags) {
        const m = moved.find((x) => x.ref === ref);
        if (m) yield { stream: `The image ${familiarString(ref)} already exists, renaming the old one with ID ${m.previous} to empty string\n` };
        yield { stream: `Loaded image: ${familiarString(ref)}\n` };
      }
      if (!tags.length) yield { stream: `Loaded image ID: ${image.id}\n` };
    }
    done = true;
  } finally {
    // Failed, or abandoned by a client that left: layers registered for images that never came
    // to be go away again (committed images stay: they are complete).
    if (!done) await deps.layers.collect(deps.images.chainsInUse()).catch(() => undefined);
  }
}
