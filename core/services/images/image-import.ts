/**
 * `docker import`: a root filesystem tar (maybe gzip) becomes a one-layer image, with optional
 * `--change` instructions, a message, and a tag.
 */
import { Readable } from 'node:stream';
import { EngineError, InvalidArgumentError, type EventBus } from '@keel/sdk';
import { maybeGunzip } from '@keel/sdk/tar';
import { applyChanges } from './change-instructions.js';
import type { ImageStore } from './image-store.js';
import type { LayerStore } from './layer-store.js';
import { familiarString, parseReference } from './reference.js';

/** Options of an import. */
export interface ImportOptions {
  readonly repo?: string;
  readonly tag?: string;
  readonly message?: string;
  readonly changes: readonly string[];
  readonly architecture: string;
}

/** Imports `body`; returns the new image ID. */
export async function importImage(body: Readable, opts: ImportOptions, deps: { images: ImageStore; layers: LayerStore; events: EventBus }): Promise<string> {
  const ref = opts.repo ? parseReference(opts.tag ? `${opts.repo}:${opts.tag}` : opts.repo) : undefined;
  const runConfig = applyChanges({}, opts.changes);
  let record;
  try {
    ({ record } = await deps.layers.register(undefined, Readable.from(maybeGunzip(body))));
  } catch (err) {
    throw asClientError(err);
  }
  const created = new Date().toISOString();
  const config = {
    architecture: opts.architecture,
    config: runConfig,
    created,
    history: [{ created, comment: opts.message || 'Imported from -' }],
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [record.diffId] },
  };
  try {
    const image = await deps.images.create(Buffer.from(JSON.stringify(config)));
    if (ref) await deps.images.tag(image.id, ref);
    deps.events.publish({ type: 'image', action: 'import', actor: { ID: image.id, Attributes: { name: ref ? familiarString(ref) : image.id } } });
    return image.id;
  } catch (err) {
    await deps.layers.collect(await deps.images.layersInUse());
    throw err;
  }
}

/** Engine errors keep their kind; anything else from reading the tar is the client's archive. */
function asClientError(err: unknown): Error {
  if (EngineError.is(err)) return err;
  return new InvalidArgumentError(`invalid root filesystem archive: ${(err as Error).message}`, { cause: err });
}
