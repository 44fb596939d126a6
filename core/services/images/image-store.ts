/**
 * Images by ID (sha256 of the config bytes, kept byte-exact so IDs match Docker's) and the
 * references that name them. Configs live in the blob store; records and references are state
 * documents written atomically.
 */
import { NotFoundError, ConflictError, InvalidArgumentError, type StateStore } from '@keel/sdk';
import type { BlobStore } from './blob-store.js';
import { chainId, type LayerStore } from './layer-store.js';
import { familiarString, looksLikeId, parseReference, referenceKey, type ImageReference } from './reference.js';

/** What an image config holds that keel reads (Docker's image JSON). */
export interface ImageConfig {
  readonly architecture?: string;
  readonly os?: string;
  readonly variant?: string;
  readonly created?: string;
  readonly author?: string;
  readonly comment?: string;
  readonly docker_version?: string;
  readonly config?: Record<string, unknown> & { Labels?: Record<string, string> | null };
  readonly container_config?: Record<string, unknown>;
  readonly rootfs?: { type: string; diff_ids: string[] };
  readonly history?: Array<{ created?: string; created_by?: string; comment?: string; empty_layer?: boolean; author?: string }>;
}

/** An image record. */
export interface ImageRecord {
  readonly id: string;
  /** Chain ID of the top layer ('' for an image without layers). */
  readonly topLayer: string;
  readonly loadedAt: number;
  lastTagTime?: string;
}

/** A resolved image: record, parsed config, and its layers' chain IDs base first. */
export interface Image extends ImageRecord {
  readonly config: ImageConfig;
  readonly chainIds: string[];
}

/** The image store. */
export class ImageStore {
  constructor(private readonly state: StateStore, private readonly blobs: BlobStore, private readonly layers: LayerStore) {}

  /** Registers an image from its config bytes; every layer of `rootfs.diff_ids` must be registered. */
  async create(configBytes: Buffer): Promise<Image> {
    let config: ImageConfig;
    try {
      config = JSON.parse(configBytes.toString('utf8')) as ImageConfig;
    } catch {
      throw new InvalidArgumentError('invalid image config: not JSON');
    }
    const diffIds = config.rootfs?.diff_ids ?? [];
    let top = '';
    for (const d of diffIds) {
      top = chainId(top || undefined, d);
      if (!(await this.layers.get(top))) throw new InvalidArgumentError(`image config names layer ${d}, which was not loaded`);
    }
    const id = await this.blobs.put(configBytes);
    const existing = await this.record(id);
    const rec: ImageRecord = existing ?? { id, topLayer: top, loadedAt: Date.now() };
    if (!existing) await this.state.put(`images/${id.slice(7)}`, rec);
    return this.hydrate(rec);
  }

  private record(id: string): Promise<ImageRecord | undefined> {
    return this.state.get<ImageRecord>(`images/${id.slice(7)}`);
  }

  private async hydrate(rec: ImageRecord): Promise<Image> {
    const config = JSON.parse((await this.blobs.read(rec.id)).toString('utf8')) as ImageConfig;
    const chainIds: string[] = [];
    for (const d of config.rootfs?.diff_ids ?? []) chainIds.push(chainId(chainIds.at(-1), d));
    return { ...rec, config, chainIds };
  }

  /** Every image. */
  async list(): Promise<Image[]> {
    const keys = await this.state.list('images/');
    const recs = await Promise.all(keys.map((k) => this.state.get<ImageRecord>(k)));
    return Promise.all(recs.filter((r): r is ImageRecord => !!r).map((r) => this.hydrate(r)));
  }

  /** The reference → image ID table. */
  async references(): Promise<Record<string, string>> {
    return (await this.state.get<Record<string, string>>('references')) ?? {};
  }

  /** Familiar references of an image (`busybox:latest`), sorted. */
  async namesOf(id: string): Promise<string[]> {
    const refs = await this.references();
    return Object.entries(refs).filter(([, v]) => v === id).map(([k]) => familiarString(parseReference(k, undefined))).sort();
  }

  /** Resolves a reference, a full ID or a unique ID prefix; 404 `No such image: x` otherwise. */
  async resolve(nameOrId: string): Promise<Image> {
    const full = /^sha256:[a-f0-9]{64}$/.test(nameOrId) ? nameOrId : /^[a-f0-9]{64}$/.test(nameOrId) ? `sha256:${nameOrId}` : undefined;
    if (full) {
      const rec = await this.record(full);
      if (rec) return this.hydrate(rec);
    }
    let ref: ImageReference | undefined;
    try {
      ref = parseReference(nameOrId);
    } catch {
      if (!looksLikeId(nameOrId)) throw new NotFoundError(`No such image: ${nameOrId}`);
    }
    if (ref) {
      const id = (await this.references())[referenceKey(ref)];
      const rec = id ? await this.record(id) : undefined;
      if (rec) return this.hydrate(rec);
    }
    const prefix = nameOrId.replace(/^sha256:/, '');
    if (/^[a-f0-9]+$/.test(prefix)) {
      const hits = (await this.state.list('images/')).filter((k) => k.slice('images/'.length).startsWith(prefix));
      if (hits.length > 1) throw new ConflictError(`multiple IDs found with provided prefix: ${prefix}`);
      const rec = hits[0] ? await this.state.get<ImageRecord>(hits[0]) : undefined;
      if (rec) return this.hydrate(rec);
    }
    throw new NotFoundError(`No such image: ${ref ? familiarString(ref) : nameOrId}`);
  }

  /** Points `ref` at `id` (moving it from any other image). */
  async tag(id: string, ref: ImageReference): Promise<string | undefined> {
    const refs = await this.references();
    const key = referenceKey(ref);
    const previous = refs[key];
    refs[key] = id;
    await this.state.put('references', refs);
    const rec = await this.record(id);
    if (rec) await this.state.put(`images/${id.slice(7)}`, { ...rec, lastTagTime: new Date().toISOString() });
    return previous !== id ? previous : undefined;
  }

  /** Removes a reference; true when it existed. */
  async untag(ref: ImageReference): Promise<boolean> {
    const refs = await this.references();
    const key = referenceKey(ref);
    if (!(key in refs)) return false;
    delete refs[key];
    await this.state.put('references', refs);
    return true;
  }

  /** Deletes an image record and its references (layers are collected by the caller). */
  async delete(id: string): Promise<void> {
    const refs = await this.references();
    for (const [k, v] of Object.entries(refs)) if (v === id) delete refs[k];
    await this.state.put('references', refs);
    await this.state.delete(`images/${id.slice(7)}`);
    await this.blobs.delete(id);
  }

  /** Chain IDs of every layer used by any image. */
  async layersInUse(): Promise<Set<string>> {
    return new Set((await this.list()).flatMap((i) => i.chainIds));
  }
}
