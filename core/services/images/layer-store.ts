/**
 * Layers by chain ID (chainID(L0) = diffID(L0); chainID(Ln) = sha256(chainID(Ln-1) + " " +
 * diffID(Ln))), each backed by a storage-driver layer ("cache id") and by its original
 * uncompressed tar kept as a blob, so saves reproduce the exact bytes and DiffIDs. A layer shared
 * by several images exists once; unused layers are collected after image removal.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { InvalidArgumentError, type StateStore, type StorageDriver } from '@keel/sdk';
import { sha256, type BlobStore } from './blob-store.js';

/** A registered layer. */
export interface LayerRecord {
  readonly chainId: string;
  readonly diffId: string;
  readonly parent?: string;
  /** The storage driver's layer id. */
  readonly cacheId: string;
  /** The storage driver that holds it. */
  readonly driver: string;
  /** Bytes of the uncompressed layer tar. */
  readonly size: number;
  /** Bytes of the layer's unpacked content, as Docker reports image sizes. */
  readonly unpacked: number;
}

/** chainID of `diffId` on `parent`. */
export function chainId(parent: string | undefined, diffId: string): string {
  return parent ? sha256(`${parent} ${diffId}`) : diffId;
}

/** The layer store. */
export class LayerStore {
  constructor(
    private readonly state: StateStore,
    private readonly blobs: BlobStore,
    private readonly storage: () => { name: string; driver: StorageDriver },
  ) {}

  get(chain: string): Promise<LayerRecord | undefined> {
    return this.state.get<LayerRecord>(chain.replace(':', '/'));
  }

  async list(): Promise<LayerRecord[]> {
    const keys = await this.state.list('sha256/');
    return (await Promise.all(keys.map((k) => this.state.get<LayerRecord>(k)))).filter((r): r is LayerRecord => !!r);
  }

  /** The driver layer ids from the base up to `chain`. */
  async lineage(chain: string): Promise<LayerRecord[]> {
    const out: LayerRecord[] = [];
    for (let c: string | undefined = chain; c; ) {
      const rec = await this.get(c);
      if (!rec) throw new InvalidArgumentError(`layer ${c} is not registered`);
      out.unshift(rec);
      c = rec.parent;
    }
    return out;
  }

  /**
   * Registers the layer `tar` (uncompressed) on `parent`. With `expectedDiffId`, an existing chain
   * is reused without reading the tar twice, and a tar with another digest is refused.
   */
  async register(parent: string | undefined, tar: Readable | { file: string }, expectedDiffId?: string): Promise<{ record: LayerRecord; reused: boolean }> {
    if (expectedDiffId) {
      const existing = await this.get(chainId(parent, expectedDiffId));
      if (existing && (await this.blobs.has(existing.diffId))) {
        if ('resume' in tar) tar.resume();
        return { record: existing, reused: true };
      }
    }
    // An uncompressed staged file is adopted in place; streams are copied in; content already
    // stored (the same layer on another parent) is not stored twice.
    const known = expectedDiffId && (await this.blobs.has(expectedDiffId)) ? { digest: expectedDiffId, size: await this.blobs.size(expectedDiffId) } : undefined;
    if (known && 'resume' in tar) tar.resume();
    const { digest: diffId, size } = known ?? ('file' in tar ? await this.blobs.adopt(tar.file, expectedDiffId) : await this.blobs.ingest(tar, expectedDiffId));
    const chain = chainId(parent, diffId);
    const existing = await this.get(chain);
    if (existing) return { record: existing, reused: true };
    const parentRec = parent ? await this.get(parent) : undefined;
    if (parent && !parentRec) throw new InvalidArgumentError(`parent layer ${parent} is not registered`);
    const { name, driver } = this.storage();
    const cacheId = randomBytes(32).toString('hex');
    await driver.create(cacheId, { parent: parentRec?.cacheId });
    try {
      await driver.applyDiff(cacheId, this.blobs.open(diffId));
    } catch (err) {
      await driver.remove(cacheId).catch(() => undefined);
      // The refused tar's blob goes too, unless another layer has the same content.
      if (!(await this.list()).some((r) => r.diffId === diffId)) await this.blobs.delete(diffId);
      throw err;
    }
    const unpacked = (await driver.usage(cacheId)).size;
    const record: LayerRecord = { chainId: chain, diffId, cacheId, driver: name, size, unpacked, ...(parent ? { parent } : {}) };
    await this.state.put(chain.replace(':', '/'), record);
    return { record, reused: false };
  }

  /** Removes every layer not in `inUse` (children first), with its driver layer and tar blob. */
  async collect(inUse: ReadonlySet<string>): Promise<string[]> {
    const all = await this.list();
    const depth = new Map<string, number>();
    const byChain = new Map(all.map((r) => [r.chainId, r]));
    const depthOf = (r: LayerRecord): number => depth.get(r.chainId) ?? (depth.set(r.chainId, r.parent && byChain.get(r.parent) ? depthOf(byChain.get(r.parent)!) + 1 : 0), depth.get(r.chainId)!);
    const unused = all.filter((r) => !inUse.has(r.chainId)).sort((a, b) => depthOf(b) - depthOf(a));
    const { driver } = this.storage();
    const stillUsedDiffs = new Set(all.filter((r) => inUse.has(r.chainId)).map((r) => r.diffId));
    for (const r of unused) {
      await driver.remove(r.cacheId);
      await this.state.delete(r.chainId.replace(':', '/'));
      if (!stillUsedDiffs.has(r.diffId)) await this.blobs.delete(r.diffId);
    }
    return unused.map((r) => r.chainId);
  }

  /** Removes driver layers of an interrupted registration (not recorded anywhere). */
  async sweepOrphans(driverLayerIds: readonly string[]): Promise<number> {
    const known = new Set((await this.list()).map((r) => r.cacheId));
    const { driver } = this.storage();
    const orphans = driverLayerIds.filter((id) => /^[a-f0-9]{64}$/.test(id) && !known.has(id));
    for (const id of orphans) await driver.remove(id);
    return orphans.length;
  }
}
