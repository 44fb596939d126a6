/**
 * Images by ID (sha256 of the config bytes, kept byte-exact in the blob store so IDs match
 * Docker's) and the references that name them. Both live in one state document, so a load that
 * registers several images and tags makes them visible in a single atomic write; the document
 * and parsed configs are cached in memory (all writes go through this class).
 */
import { InvalidArgumentError, NotFoundError, ConflictError, type StateStore } from '@keel/sdk';
import type { BlobStore } from './blob-store.js';
import { diffIdsOf, parseImageConfig, type ImageConfig } from './image-config.js';
import { chainIds, type LayerStore } from './layer-store.js';
import { familiarString, parseReference, referenceKey, type ImageReference } from './reference.js';

/** An image record. */
export interface ImageRecord {
  readonly id: string;
  /** When it was stored (ms since the epoch). */
  readonly loadedAt: number;
  readonly lastTagTime?: string;
}

/** A resolved image: record, parsed config, and its layers' chain IDs base first. */
export interface Image extends ImageRecord {
  readonly config: ImageConfig;
  readonly chainIds: readonly string[];
  /** Chain ID of the top layer ('' for an image without layers). */
  readonly topLayer: string;
}

interface IndexDoc {
  readonly images: Readonly<Record<string, ImageRecord>>;
  /** Canonical reference (`docker.io/library/busybox:latest`) → image ID. */
  readonly references: Readonly<Record<string, string>>;
}

/** An image to add: its config bytes and the references to point at it. */
export interface NewImage {
  readonly configBytes: Buffer;
  readonly tags: readonly ImageReference[];
}

/** A reference that moved from one image to another. */
export interface MovedReference {
  readonly ref: ImageReference;
  readonly previous: string;
}

const INDEX = 'index';

/** The image store. */
export class ImageStore {
  private doc: IndexDoc = { images: {}, references: {} };
  private readonly configs = new Map<string, ImageConfig>();
  /** Image ID → its references, rebuilt with every write. */
  private byId = new Map<string, ImageReference[]>();

  constructor(private readonly state: StateStore, private readonly blobs: BlobStore, private readonly layers: LayerStore) {}

  /** Loads the index; images whose config or layers are gone (a damaged store) are dropped. Returns their IDs. */
  async open(): Promise<string[]> {
    const doc = (await this.state.get<IndexDoc>(INDEX)) ?? this.doc;
    const broken: string[] = [];
    for (const id of Object.keys(doc.images)) {
      try {
        const config = parseImageConfig(await this.blobs.read(id));
        if (chainIds(diffIdsOf(config)).some((c) => !this.layers.get(c))) throw new Error('missing layer');
        this.configs.set(id, config);
      } catch {
        broken.push(id);
      }
    }
    this.setDoc(doc);
    if (broken.length) await this.write(without(doc, broken));
    return broken;
  }

  /** The image `id`, if stored. */
  get(id: string): Image | undefined {
    const rec = this.doc.images[id];
    const config = this.configs.get(id);
    if (!rec || !config) return undefined;
    const chains = chainIds(diffIdsOf(config));
    return { ...rec, config, chainIds: chains, topLayer: chains.at(-1) ?? '' };
  }

  /** Every image. */
  list(): Image[] {
    return Object.keys(this.doc.images).map((id) => this.get(id)).filter((i): i is Image => !!i);
  }

  /** The references that name `id`, parsed. */
  refsOf(id: string): ImageReference[] {
    return [...(this.byId.get(id) ?? [])];
  }

  /** Familiar tags of an image (`busybox:latest`), sorted; digest references are not names. */
  namesOf(id: string): string[] {
    return this.refsOf(id).filter((r) => !r.digest).map(familiarString).sort();
  }

  /** Familiar digest references of an image (`localhost:5000/app@sha256:…`), sorted (RepoDigests). */
  digestsOf(id: string): string[] {
    return this.refsOf(id).filter((r) => r.digest).map((r) => familiarString({ domain: r.domain, path: r.path, digest: r.digest })).sort();
  }

  /** The image a reference points to. */
  byReference(ref: ImageReference): string | undefined {
    return this.doc.references[referenceKey(ref)];
  }

  /**
   * Resolves like Docker: a full ID, a reference (`busybox` = `busybox:latest`), then a unique ID
   * prefix. 404 `No such image: <familiar ref>`; a malformed reference is a 400.
   */
  resolve(nameOrId: string): Image {
    const hex = /^(?:sha256:)?([a-f0-9]{64})$/.exec(nameOrId)?.[1];
    if (hex) {
      const img = this.get(`sha256:${hex}`);
      if (img) return img;
      throw new NotFoundError(`No such image: sha256:${hex}`);
    }
    const ref = parseReference(nameOrId);
    const byRef = this.byReference(ref);
    const img = byRef ? this.get(byRef) : undefined;
    if (img) return img;
    const prefix = nameOrId.replace(/^sha256:/, '');
    if (/^[a-f0-9]+$/.test(prefix)) {
      const hits = Object.keys(this.doc.images).filter((id) => id.slice(7).startsWith(prefix));
      if (hits.length > 1) throw new ConflictError(`multiple IDs found with provided prefix: ${prefix}`);
      if (hits[0]) return this.get(hits[0])!;
    }
    throw new NotFoundError(`No such image: ${familiarString(ref)}`);
  }

  /**
   * Adds images and points their tags at them, in one index write (all become visible together).
   * Every layer of each config must be registered. Returns the images and the moved references.
   */
  async commit(adds: readonly NewImage[]): Promise<{ images: Image[]; moved: MovedReference[] }> {
    const images: Record<string, ImageRecord> = { ...this.doc.images };
    const references: Record<string, string> = { ...this.doc.references };
    const moved: MovedReference[] = [];
    const now = new Date().toISOString();
    const ids: string[] = [];
    for (const add of adds) {
      const config = parseImageConfig(add.configBytes);
      const missing = diffIdsOf(config).find((_, i) => !this.layers.get(chainIds(diffIdsOf(config))[i]!));
      if (missing) throw new InvalidArgumentError(`image config names layer ${missing}, which is not registered`);
      const id = await this.blobs.put(add.configBytes);
      this.configs.set(id, config);
      ids.push(id);
      const rec = images[id] ?? { id, loadedAt: Date.now() };
      images[id] = add.tags.length ? { ...rec, lastTagTime: now } : rec;
      for (const ref of add.tags) {
        const previous = references[referenceKey(ref)];
        if (previous && previous !== id) moved.push({ ref, previous });
        references[referenceKey(ref)] = id;
      }
    }
    await this.write({ images, references });
    return { images: ids.map((id) => this.get(id)!), moved };
  }

  /** Points `ref` at `id`; returns the image it pointed at before, if another. */
  async tag(id: string, ref: ImageReference): Promise<string | undefined> {
    const rec = this.doc.images[id];
    if (!rec) throw new NotFoundError(`No such image: ${id}`);
    const previous = this.doc.references[referenceKey(ref)];
    await this.write({
      images: { ...this.doc.images, [id]: { ...rec, lastTagTime: new Date().toISOString() } },
      references: { ...this.doc.references, [referenceKey(ref)]: id },
    });
    return previous !== id ? previous : undefined;
  }

  /** Removes a reference; true when it existed. */
  async untag(ref: ImageReference): Promise<boolean> {
    const k = referenceKey(ref);
    if (!(k in this.doc.references)) return false;
    const references = { ...this.doc.references };
    delete references[k];
    await this.write({ images: this.doc.images, references });
    return true;
  }

  /** Deletes images with their references and configs (layers are collected by the caller). */
  async delete(ids: readonly string[]): Promise<void> {
    await this.write(without(this.doc, ids));
    for (const id of ids) {
      this.configs.delete(id);
      await this.blobs.delete(id);
    }
  }

  /** Chain IDs of every layer some image uses. */
  chainsInUse(): Set<string> {
    return new Set(this.list().flatMap((i) => i.chainIds));
  }

  /** The config blobs of every image (for the orphan sweep). */
  configDigests(): Set<string> {
    return new Set(Object.keys(this.doc.images));
  }

  private async write(doc: IndexDoc): Promise<void> {
    await this.state.put(INDEX, doc);
    this.setDoc(doc);
  }

  private setDoc(doc: IndexDoc): void {
    const byId = new Map<string, ImageReference[]>();
    for (const [key, id] of Object.entries(doc.references)) byId.set(id, [...(byId.get(id) ?? []), parseReference(key, null)]);
    this.doc = doc;
    this.byId = byId;
  }
}

function without(doc: IndexDoc, ids: readonly string[]): IndexDoc {
  const drop = new Set(ids);
  return {
    images: Object.fromEntries(Object.entries(doc.images).filter(([id]) => !drop.has(id))),
    references: Object.fromEntries(Object.entries(doc.references).filter(([, id]) => !drop.has(id))),
  };
}
