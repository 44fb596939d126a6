/**
 * Wiring of the registry client into `core.images`: the shared context built from daemon.json
 * (`insecure-registries`, `registry-mirrors`, `max-concurrent-downloads`, `max-concurrent-uploads`,
 * `max-download-attempts`, read at each operation so a reload applies) and the plugin's own
 * options, and the dependencies of the pull, push and login routes.
 */
import path from 'node:path';
import type { ConfigService, EventBus, StateStore } from '@keel/sdk';
import type { BlobStore } from '../blob-store.js';
import type { ImageStore } from '../image-store.js';
import type { LayerStore } from '../layer-store.js';
import { RegistryContext } from './registry-context.js';
import type { RegistryRouteDeps } from './registry-routes.js';

/** The plugin options that concern registries (daemon.json `plugins["core.images"]`). */
export interface RegistryPluginOptions {
  /** Docker's certs.d directory (default `/etc/keel/certs.d`). */
  readonly certsDir: string;
  /** Treat 127.0.0.0/8 and ::1 as insecure, as Docker always does (default true). */
  readonly loopbackInsecure: boolean;
  /** Bytes per upload PATCH: larger blobs are pushed in chunks (default 64 MiB). */
  readonly pushChunkBytes: number;
  /** Milliseconds before the n-th download retry is n times this (default 500). */
  readonly retryBackoffMs: number;
}

/** JSON Schema properties of {@link RegistryPluginOptions}. */
export const registryOptionsSchema = {
  certsDir: { type: 'string', minLength: 1 },
  loopbackInsecure: { type: 'boolean' },
  pushChunkBytes: { type: 'integer', minimum: 1 },
  retryBackoffMs: { type: 'integer', minimum: 0 },
} as const;

/** Defaults of {@link RegistryPluginOptions}. */
export const registryOptionDefaults: RegistryPluginOptions = { certsDir: '/etc/keel/certs.d', loopbackInsecure: true, pushChunkBytes: 64 << 20, retryBackoffMs: 500 };

/** What the setup needs from the plugin. */
export interface RegistrySetupDeps {
  readonly config: ConfigService;
  readonly options: RegistryPluginOptions;
  readonly state: StateStore;
  /** The driver's directory under the plugin root (downloads live beside blobs and tmp). */
  readonly root: string;
  readonly images: ImageStore;
  readonly layers: LayerStore;
  readonly blobs: BlobStore;
  readonly events: EventBus;
  readonly tmpRoot: string;
  readonly maxBytes: number;
  readonly platform: { os: string; architecture: string };
  readonly exclusiveStream: <T>(make: () => AsyncIterable<T>) => AsyncIterable<T>;
  readonly exclusive: <T>(fn: () => Promise<T>) => Promise<T>;
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const positive = (v: unknown, fallback: number) => (typeof v === 'number' && v > 0 ? v : fallback);

/** Builds the registry context and the route dependencies. */
export function setupRegistry(d: RegistrySetupDeps): { context: RegistryContext; routes: RegistryRouteDeps } {
  // A partial plugin config (tests, custom builds) keeps the defaults of what it leaves out.
  const o: RegistryPluginOptions = { ...registryOptionDefaults, ...Object.fromEntries(Object.entries(d.options).filter(([, v]) => v !== undefined)) };
  const context = new RegistryContext(
    () => ({ insecure: list(d.config.get('insecure-registries')), mirrors: list(d.config.get('registry-mirrors')), certsDir: o.certsDir, loopbackInsecure: o.loopbackInsecure }),
    () => ({
      maxConcurrentDownloads: positive(d.config.get('max-concurrent-downloads'), 3),
      maxConcurrentUploads: positive(d.config.get('max-concurrent-uploads'), 5),
      maxDownloadAttempts: positive(d.config.get('max-download-attempts'), 5),
    }),
    path.join(d.root, 'downloads'),
    d.state.namespace('distribution'),
  );
  const common = { images: d.images, layers: d.layers, events: d.events, registry: context, tmpRoot: d.tmpRoot };
  return {
    context,
    routes: {
      platform: d.platform,
      pull: { ...common, maxBytes: d.maxBytes, exclusive: d.exclusiveStream, backoffMs: o.retryBackoffMs },
      push: { ...common, blobs: d.blobs, chunkBytes: o.pushChunkBytes, exclusive: d.exclusive },
    },
  };
}
