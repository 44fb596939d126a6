/**
 * `docker import`: a root filesystem tar (maybe gzip) becomes a one-layer image, with optional
 * `--change` instructions, a message and a tag. The config is written as moby writes it (sorted
 * top-level keys, the zero-valued run config), so inspect shows what Docker shows.
 */
import type { Readable } from 'node:stream';
import { EngineError, InvalidArgumentError, type EventBus } from '@keel/sdk';
import { maybeGunzip } from '@keel/sdk/tar';
import { applyChanges, emptyRunConfig } from './change-instructions.js';
import type { BlobStore } from './blob-store.js';
import type { ImageStore } from './image-store.js';
import type { LayerStore } from './layer-store.js';
import type { ImageReference } from './reference.js';

/** Options of an import. */
export interface ImportOptions {
  readonly ref?: ImageReference;
  /** History comment (default `Imported from -`). */
  readonly message?: string;
  readonly changes: readonly string[];
  /** `os/arch[/variant]`. */
  readonly platform: { os: string; architecture: string; variant?: string };
  /** Largest decompressed tar. */
  readonly maxBytes: number;
}

/** Parses `platform=os/arch[/variant]` (Docker's form); the OS must be linux. */
export function parsePlatform(value: string | undefined, host: { os: string; architecture: string }): ImportOptions['platform'] {
  if (!value) return host;
  const [os, architecture, variant, extra] = value.toLowerCase().split('/');
  if (!os || extra !== undefined || (architecture !== undefined && !architecture)) throw new InvalidArgumentError(`invalid platform "${value}": expected os[/arch[/variant]]`);
  if (os !== 'linux') throw new InvalidArgumentError(`operating system is not supported: ${os}`);
  return { os, architecture: architecture ?? host.architecture, ...(variant ? { variant } : {}) };
}

/** What an import needs. */
export interface ImportDeps {
  readonly images: ImageStore;
  readonly layers: LayerStore;
  readonly blobs: BlobStore;
  readonly events: EventBus;
  /** Runs `fn` holding the store lock. */
  readonly exclusive: <T>(fn: () => Promise<T>) => Promise<T>;
}

/**
 * Imports `body`; returns the new image ID. The upload is stored as a blob first (no lock held),
 * then unpacked and registered under the store lock.
 */
export async function importImage(body: Readable, opts: ImportOptions, deps: ImportDeps): Promise<string> {
  const runConfig = applyChanges(emptyRunConfig(), opts.changes);
  const blob = await deps.blobs.ingest(maybeGunzip(body, { maxBytes: opts.maxBytes })).catch((err) => Promise.reject(asClientError(err)));
  return deps.exclusive(async () => {
    const { record } = await deps.layers.register(undefined, { file: deps.blobs.path(blob.digest), diffId: blob.digest, size: blob.size }).catch((err) => Promise.reject(asClientError(err)));
    return commitImport(record.diffId, runConfig, opts, deps);
  });
}

async function commitImport(diffId: string, runConfig: Record<string, unknown>, opts: ImportOptions, deps: ImportDeps): Promise<string> {
  const created = new Date().toISOString();
  const comment = opts.message || 'Imported from -';
  const config = {
    architecture: opts.platform.architecture,
    comment,
    config: runConfig,
    created,
    history: [{ created, comment }],
    os: opts.platform.os,
    rootfs: { type: 'layers', diff_ids: [diffId] },
    ...(opts.platform.variant ? { variant: opts.platform.variant } : {}),
  };
  try {
    const { images: [image] } = await deps.images.commit([{ configBytes: Buffer.from(JSON.stringify(config)), tags: opts.ref ? [opts.ref] : [] }]);
    deps.events.publish({ type: 'image', action: 'import', actor: { ID: image!.id, Attributes: { ...image!.config.config?.Labels, name: image!.id } } });
    return image!.id;
  } catch (err) {
    await deps.layers.collect(deps.images.chainsInUse()).catch(() => undefined);
    throw err;
  }
}

/** Engine errors keep their kind; anything else from reading the tar is the client's archive. */
function asClientError(err: unknown): Error {
  if (EngineError.is(err)) return err;
  if ((err as NodeJS.ErrnoException).code && !(err as NodeJS.ErrnoException).code!.startsWith('ERR_')) return err as Error;
  return new InvalidArgumentError(`invalid root filesystem archive: ${(err as Error).message}`, { cause: err });
}
