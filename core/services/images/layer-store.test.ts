import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStateStore } from '@keel/sdk/testkit';
import { VfsDriver } from '../../../plugins/storage/vfs/vfs-driver.js';
import { BlobStore } from './blob-store.js';
import { chainId, chainIds, LayerStore } from './layer-store.js';
import { tarOf } from './test-support.js';

const hex = (s: string) => createHash('sha256').update(s).digest('hex');

describe('chain IDs', () => {
  it('chainID(L0) = diffID(L0); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln))', () => {
    const [a, b, c] = ['a', 'b', 'c'].map((x) => `sha256:${hex(x)}`) as [string, string, string];
    const ab = `sha256:${hex(`${a} ${b}`)}`;
    expect(chainId(undefined, a)).toBe(a);
    expect(chainId(a, b)).toBe(ab);
    expect(chainIds([a, b, c])).toEqual([a, ab, `sha256:${hex(`${ab} ${c}`)}`]);
    expect(chainIds([])).toEqual([]);
  });
});

describe('layer store', () => {
  let dir: string;
  let driver: VfsDriver;
  let state: MemoryStateStore;
  let blobs: BlobStore;
  let store: LayerStore;
  const open = async () => {
    store = new LayerStore(state, blobs, 'vfs', () => driver);
    return store.open();
  };
  const layer = (files: Record<string, string>) => tarOf(Object.entries(files).map(([p, content]) => ({ path: p, content })));

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'keel-layers-'));
    driver = new VfsDriver({ root: path.join(dir, 'vfs') });
    state = new MemoryStateStore();
    blobs = new BlobStore(path.join(dir, 'blobs'));
    await open();
  });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('stores a layer shared by two stacks once, and removes it with the last user', async () => {
    const base = (await store.register(undefined, Readable.from([await layer({ 'base.txt': 'b' })]))).record;
    const a = (await store.register(base.chainId, Readable.from([await layer({ 'a.txt': 'a' })]))).record;
    const again = await store.register(undefined, Readable.from([await layer({ 'base.txt': 'b' })]), base.diffId);
    expect(again).toEqual({ record: base, reused: true });
    const b = (await store.register(base.chainId, Readable.from([await layer({ 'b.txt': 'b' })]))).record;
    expect((await driver.list()).sort()).toEqual([base.cacheId, a.cacheId, b.cacheId].sort());
    expect(store.lineage(b.chainId).map((r) => r.chainId)).toEqual([base.chainId, b.chainId]);
    expect(await readdir(path.join(await driver.mount(b.cacheId)))).toEqual(['b.txt', 'base.txt']);
    await driver.unmount(b.cacheId);

    // Image A goes: its own layer only; the base stays for B.
    expect((await store.collect([b.chainId])).map((r) => r.chainId)).toEqual([a.chainId]);
    expect((await driver.list()).sort()).toEqual([base.cacheId, b.cacheId].sort());
    // Image B goes: children first, then the base, tar blobs included.
    expect((await store.collect([])).map((r) => r.chainId)).toEqual([b.chainId, base.chainId]);
    expect(await driver.list()).toEqual([]);
    expect(await blobs.list()).toEqual([]);
  });

  it('keeps content stored once when the same diff sits on two parents', async () => {
    const p1 = (await store.register(undefined, Readable.from([await layer({ p: '1' })]))).record;
    const p2 = (await store.register(undefined, Readable.from([await layer({ p: '2' })]))).record;
    const top = await layer({ same: 'x' });
    const t1 = (await store.register(p1.chainId, Readable.from([top]))).record;
    const t2 = (await store.register(p2.chainId, Readable.from([top]))).record;
    expect(t1.diffId).toBe(t2.diffId);
    expect(t1.chainId).not.toBe(t2.chainId);
    await store.collect([t2.chainId]);
    expect(await blobs.has(t1.diffId)).toBe(true);
  });

  it('holds keep a layer and its parents after every image is gone', async () => {
    const base = (await store.register(undefined, Readable.from([await layer({ f: '1' })]))).record;
    const top = (await store.register(base.chainId, Readable.from([await layer({ g: '2' })]))).record;
    await store.hold('c1', top.chainId);
    expect(await store.collect([])).toEqual([]);
    await open(); // holds survive a restart
    expect(await store.collect([])).toEqual([]);
    expect(await store.release('c1')).toBe(true);
    expect((await store.collect([])).length).toBe(2);
    await expect(store.hold('../x', top.chainId)).rejects.toThrow(/invalid layer holder/);
  });

  it('refuses a stream whose digest is not the promised DiffID, keeping nothing', async () => {
    await expect(store.register(undefined, Readable.from([await layer({ f: '1' })]), `sha256:${'0'.repeat(64)}`)).rejects.toThrow(/digest mismatch/);
    expect(store.list()).toEqual([]);
    expect(await blobs.list()).toEqual([]);
    expect(await driver.list()).toEqual([]);
  });

  it('refuses an escaping tar, removing the driver layer and the blob', async () => {
    const evil = await tarOf([{ path: '../escape', content: 'x' }]);
    await expect(store.register(undefined, Readable.from([evil]))).rejects.toThrow(/outside|\.\./);
    expect(store.list()).toEqual([]);
    expect(await blobs.list()).toEqual([]);
    expect(await driver.list()).toEqual([]);
  });

  it('after a crash removes exactly the driver layers of interrupted registrations', async () => {
    const kept = (await store.register(undefined, Readable.from([await layer({ f: '1' })]))).record;
    const interrupted = 'a'.repeat(64);
    const containerLayer = 'c'.repeat(64); // not ours: a container's layer in the same driver
    await state.put(`pending/${interrupted}`, { chainId: 'x' });
    await driver.create(interrupted);
    await driver.create(containerLayer);
    expect(await open()).toEqual({ interrupted: 1 });
    expect((await driver.list()).sort()).toEqual([kept.cacheId, containerLayer].sort());
    expect(store.get(kept.chainId)).toEqual(kept);
    expect(await state.list('pending/')).toEqual([]);
  });
});
