/**
 * Layers by chain ID (chainID(L0) = diffID(L0); chainID(Ln) = sha256(chainID(Ln-1) + " " +
 * diffID(Ln))), each backed by a storage-driver layer with a random 64-hex id (Docker's "cache
 * id") and by its original uncompressed tar kept as a blob. A layer shared by several images
 * exists once; it leaves the driver only when no image uses it and no holder (a container) holds
 * it or a layer above it.
 *
 * Crash safety: a driver layer is recorded as pending before it is created and the record is
 * written after it is complete, so a restart removes exactly the driver layers of interrupted
 * registrations — never one it did not create (container layers live in the same driver).
 */
import { randomBytes } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
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

/** Where a layer's tar comes from: a stream to hash while storing, or a staged file already verified. */
export type LayerSource = Readable | AsyncIterable<Buffer> | { readonly file: string; readonly diffId: string; readonly size: number };

/** chainID of `diffId` on `parent`. */
export function chainId(parent: string | undefined, diffId: string): string {
  return parent ? sha256(`${parent} ${diffId}`) : diffId;
}

/** The chain IDs of a stack of DiffIDs, base first. */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) out.push(chainId(out.at(-1), d));
  return out;
}

const key = (chain: string) => `sha256/${chain.slice(7)}`;
const HOLDER = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** The layer store. */
export class LayerStore {
  private readonly records = new Map<string, LayerRecord>();
  private readonly holds = new Map<string, string>();

  constructor(
    private readonly state: StateStore,
    private readonly blobs: BlobStore,
    private readonly driverName: string,
    private readonly driver: () => StorageDriver,
  ) {}

  /** Loads the records and removes driver layers of registrations a crash interrupted. */
  async open(): Promise<{ interrupted: number }> {
    for (const k of await this.state.list('sha256/')) {
      const rec = await this.state.get<LayerRecord>(k);
      if (rec) this.records.set(rec.chainId, rec);
    }
    for (const k of await this.state.list('holds/')) {
      const chain = await this.state.get<string>(k);
      if (chain) this.holds.set(k.slice('holds/'.length), chain);
    }
    const known = new Set([...this.records.values()].map((r) => r.cacheId));
    const pending = await this.state.list('pending/');
    for (const k of pending) {
      const cacheId = k.slice('pending/'.length);
      if (!known.has(cacheId)) await this.driver().remove(cacheId).catch(() => undefined);
      await this.state.delete(k);
    }
    return { interrupted: pending.length };
  }

  get(chain: string): LayerRecord | undefined {
    return this.records.get(chain);
  }

  list(): LayerRecord[] {
    return [...this.records.values()];
  }

  /** The records from the base up to `chain`. */
  lineage(chain: string): LayerRecord[] {
    const out: LayerRecord[] = [];
    for (let c: string | undefined = chain; c; ) {
      const rec = this.records.get(c);
      if (!rec) throw new InvalidArgumentError(`layer ${c} is not registered`);
      out.unshift(rec);
      c = rec.parent;
    }
    return out;
  }

  /**
   * Registers a layer tar on `parent`. A chain already registered is reused; with
   * `expectedDiffId`, a stream with another digest is refused and nothing is kept.
   */
  async register(parent: string | undefined, source: LayerSource, expectedDiffId?: string, onProgress?: (bytes: number) => void): Promise<{ record: LayerRecord; reused: boolean }> {
    const staged = 'file' in source ? source : undefined;
    const promised = staged?.diffId ?? expectedDiffId;
    const existing = promised ? this.records.get(chainId(parent, promised)) : undefined;
    if (existing || (promised && (await this.blobs.has(promised)))) drain(source);
    if (existing) return { record: existing, reused: true };
    const parentRec = parent ? this.records.get(parent) : undefined;
    if (parent && !parentRec) throw new InvalidArgumentError(`parent layer ${parent} is not registered`);
    // The same content on another parent is stored once.
    const blob = promised && (await this.blobs.has(promised))
      ? { digest: promised, size: await this.blobs.size(promised) }
      : staged ? await this.blobs.adopt(staged.file, { digest: staged.diffId, size: staged.size }) : await this.blobs.ingest(source as Readable, expectedDiffId);
    const chain = chainId(parent, blob.digest);
    const again = this.records.get(chain);
    if (again) return { record: again, reused: true };
    const record = await this.unpack(chain, blob.digest, blob.size, parentRec, onProgress);
    return { record, reused: false };
  }

  private async unpack(chain: string, diffId: string, size: number, parent: LayerRecord | undefined, onProgress?: (bytes: number) => void): Promise<LayerRecord> {
    const driver = this.driver();
    const cacheId = randomBytes(32).toString('hex');
    await this.state.put(`pending/${cacheId}`, { chainId: chain });
    try {
      await driver.create(cacheId, { parent: parent?.cacheId });
      await driver.applyDiff(cacheId, counted(this.blobs.open(diffId), onProgress));
      const unpacked = (await driver.usage(cacheId)).size;
      const record: LayerRecord = { chainId: chain, diffId, cacheId, driver: this.driverName, size, unpacked, ...(parent ? { parent: parent.chainId } : {}) };
      await this.state.put(key(chain), record);
      this.records.set(chain, record);
      return record;
    } catch (err) {
      await driver.remove(cacheId).catch(() => undefined);
      // The refused tar's blob goes too, unless another layer has the same content.
      if (![...this.records.values()].some((r) => r.diffId === diffId)) await this.blobs.delete(diffId);
      throw err;
    } finally {
      await this.state.delete(`pending/${cacheId}`);
    }
  }

  /** Keeps `chain` and the layers under it for `holder` (a container) until {@link release}. */
  /**
   * Takes the hold in memory at once (collection sees it from now on) and returns the write of
   * its document, which callers may await outside their lock so concurrent holds persist together.
   */
  async hold(holder: string, chain: string): Promise<void> {
    if (!HOLDER.test(holder)) throw new InvalidArgumentError(`invalid layer holder "${holder}"`);
    if (!this.records.has(chain)) throw new InvalidArgumentError(`layer ${chain} is not registered`);
    this.holds.set(holder, chain); // before the first await: set synchronously, inside the caller's lock
    await this.state.put(`holds/${holder}`, chain);
  }

  /** Drops `holder`'s hold; true when it had one. Layers are collected by the caller. */
  async release(holder: string): Promise<boolean> {
    if (!this.holds.delete(holder)) return false;
    await this.state.delete(`holds/${holder}`);
    return true;
  }

  /**
   * Removes every layer that is not in `inUse`, held, or under one of those (children first),
   * with its driver layer and, when no other layer has the same content, its tar blob.
   * Returns the removed records.
   */
  async collect(inUse: Iterable<string>): Promise<LayerRecord[]> {
    const keep = new Set<string>();
    for (const top of [...inUse, ...this.holds.values()]) {
      for (let c: string | undefined = top; c && !keep.has(c); c = this.records.get(c)?.parent) keep.add(c);
    }
    const depth = (r: LayerRecord): number => (r.parent && this.records.get(r.parent) ? depth(this.records.get(r.parent)!) + 1 : 0);
    const unused = this.list().filter((r) => !keep.has(r.chainId)).sort((a, b) => depth(b) - depth(a));
    const removed: LayerRecord[] = [];
    const failed = new Set<string>();
    for (const r of unused) {
      if (failed.has(r.chainId)) {
        if (r.parent) failed.add(r.parent);
        continue;
      }
      try {
        await this.driver().remove(r.cacheId);
      } catch {
        // Still busy (mounted by someone): keep it and what it sits on for a later collection.
        if (r.parent) failed.add(r.parent);
        continue;
      }
      await this.state.delete(key(r.chainId));
      this.records.delete(r.chainId);
      removed.push(r);
    }
    const diffsLeft = new Set(this.list().map((r) => r.diffId));
    for (const r of removed) if (!diffsLeft.has(r.diffId)) await this.blobs.delete(r.diffId);
    return removed;
  }
}

/** `source`, reporting the bytes read so far. */
function counted(source: Readable, onProgress?: (bytes: number) => void): Readable {
  if (!onProgress) return source;
  let n = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      onProgress((n += chunk.length));
      done(null, chunk);
    },
  });
  source.on('error', (err) => counter.destroy(err));
  return source.pipe(counter);
}

/** Lets a source we will not read go (a staged file is simply left for the staging cleanup). */
function drain(source: LayerSource): void {
  if ('resume' in source && typeof source.resume === 'function') source.resume();
}
