import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DriverSet, StorageDriver } from '@keel/sdk';
import { createFakeLogger, FakeEventBus, FakeHooks, FakeRouter, MemoryStateStore } from '@keel/sdk/testkit';
import { VfsDriver } from '../../../plugins/storage/vfs/vfs-driver.js';
import { BlobStore } from './blob-store.js';
import { imagesServicePlugin } from './index.js';
import { LayerStore } from './layer-store.js';
import { dockerArchive, tarOf, testImage } from './test-support.js';

/** Boots the plugin by hand over a state store and directories that survive a "restart". */
describe('image store recovery after a crash', () => {
  let dir: string;
  let state: MemoryStateStore;
  let driver: VfsDriver;
  const storage: DriverSet<StorageDriver> = {
    kind: 'storage', get: () => driver, require: () => driver, names: () => ['vfs'], defaultName: () => 'vfs', default: () => driver,
  };
  const boot = async () => {
    const router = new FakeRouter();
    const pluginRoot = path.join(dir, 'images');
    await imagesServicePlugin.init(
      { storage, state, paths: { dataRoot: dir, execRoot: dir, pluginRoot, pluginRunRoot: dir }, events: new FakeEventBus(), hooks: new FakeHooks().forPlugin('core.images'), router: router.forPlugin('core.images'), log: createFakeLogger() },
      { pluginId: 'core.images', config: { maxLoadBytes: 1 << 30 }, lifecycle: { onStart: () => undefined, onStop: () => undefined }, signal: new AbortController().signal },
    );
    return { router, pluginRoot };
  };

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'keel-recovery-'));
    state = new MemoryStateStore();
    driver = new VfsDriver({ root: path.join(dir, 'vfs') });
  });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('keeps complete images and removes what interrupted loads left: staging, layers, blobs, driver layers', async () => {
    const img = await testImage({ tags: ['kept:1'], layers: [{ f: 'kept' }] });
    const first = await boot();
    expect((await first.router.invoke({ method: 'POST', path: '/images/load', bodyStream: Readable.from([await dockerArchive([img])]) })).status).toBe(200);
    const kept = await driver.list();

    // What a crash in the middle of a load leaves: a registered layer no image uses, a blob, a
    // driver layer recorded as pending, and the staging directory.
    const blobs = new BlobStore(path.join(first.pluginRoot, 'vfs', 'blobs'));
    const layers = new LayerStore(state.namespace('vfs').namespace('layers'), blobs, 'vfs', () => driver);
    await layers.open();
    await layers.register(undefined, Readable.from([await tarOf([{ path: 'orphan', content: 'x' }])]));
    await blobs.put(Buffer.from('{"stray":"config"}'));
    await state.namespace('vfs').namespace('layers').put(`pending/${'e'.repeat(64)}`, {});
    await driver.create('e'.repeat(64));
    await mkdir(path.join(first.pluginRoot, 'vfs', 'tmp', 'load-x'), { recursive: true });
    await writeFile(path.join(first.pluginRoot, 'vfs', 'tmp', 'load-x', 'layer.tar'), 'partial');
    expect((await driver.list()).length).toBe(kept.length + 2);

    const second = await boot();
    expect((await driver.list()).sort()).toEqual(kept.sort());
    expect((await readdir(path.join(first.pluginRoot, 'vfs', 'blobs', 'sha256'))).sort()).toEqual([img.id, ...img.diffIds].map((d) => d.slice(7)).sort());
    expect(await readdir(path.join(first.pluginRoot, 'vfs')).then((d) => d.includes('tmp'))).toBe(false);
    const list = (await second.router.invoke({ method: 'GET', path: '/images/json' })).body as Array<{ Id: string; RepoTags: string[] }>;
    expect(list.map((i) => [i.Id, i.RepoTags])).toEqual([[img.id, ['kept:1']]]);
  });

  it('keeps images per storage driver, as Docker keeps image/<driver>/', async () => {
    const img = await testImage({ tags: ['x:1'], layers: [{ f: '1' }] });
    const { router } = await boot();
    await router.invoke({ method: 'POST', path: '/images/load', bodyStream: Readable.from([await dockerArchive([img])]) });
    expect(await state.list()).toEqual(expect.arrayContaining(['vfs/index', `vfs/layers/sha256/${img.chainIds[0]!.slice(7)}`]));
  });
});
