import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { coreServices, definePlugin } from '@keel/sdk';
import { layerTar, MemoryStateStore, startTestEngine, type TestEngine } from '@keel/sdk/testkit';
import { TarWriter } from '@keel/sdk/tar';
import { vfsStoragePlugin } from '../../../plugins/storage/vfs/index.js';
import { VfsDriver } from '../../../plugins/storage/vfs/vfs-driver.js';
import { BlobStore, sha256 } from './blob-store.js';
import { imagesHooks, imagesServicePlugin } from './index.js';
import { LayerStore } from './layer-store.js';

async function bytesOf(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** A docker-save archive of one image with one layer holding `file`. */
async function archive(tag: string, file: string): Promise<Buffer> {
  const layer = await bytesOf(layerTar([{ path: file, type: 'file', content: file }]));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', created: '2026-01-01T00:00:00Z', config: {}, rootfs: { type: 'layers', diff_ids: [sha256(layer)] }, history: [{ created_by: 'test' }] }));
  const w = new TarWriter();
  const done = bytesOf(w.readable);
  await w.add({ path: 'l/layer.tar', type: 'file', size: layer.length }, layer);
  await w.add({ path: 'config.json', type: 'file', size: config.length }, config);
  const manifest = Buffer.from(JSON.stringify([{ Config: 'config.json', RepoTags: [tag], Layers: ['l/layer.tar'] }]));
  await w.add({ path: 'manifest.json', type: 'file', size: manifest.length }, manifest);
  await w.finish();
  return done;
}

describe('image service', () => {
  let engine: TestEngine;
  const vetoes: string[] = [];
  const guard = definePlugin({
    id: 'core.guard', sdk: '^1.0.0', deps: { hooks: coreServices.hooks },
    init: ({ hooks }) => hooks.tap(imagesHooks, 'beforeDelete', ({ imageId }) => (vetoes.includes(imageId) ? `conflict: container c1 is using its referenced image ${imageId.slice(7, 19)}` : undefined)),
  });
  beforeEach(async () => {
    vetoes.length = 0;
    engine = await startTestEngine({ plugins: [vfsStoragePlugin, imagesServicePlugin, guard], pluginConfig: { 'core.images': { maxLoadBytes: 1 << 30 } } });
  });
  afterEach(async () => { await engine.stop(); });

  const load = (buf: Buffer) => engine.router.invoke({ method: 'POST', path: '/images/load', bodyStream: Readable.from([buf]) });

  it('loads an archive and lets a tap veto removal with 409', async () => {
    const r = await load(await archive('app:v1', 'a.txt'));
    expect(r.items.at(-1)).toEqual({ stream: 'Loaded image: app:v1\n' });
    const [img] = (await engine.router.invoke({ method: 'GET', path: '/images/json' })).body as Array<{ Id: string }>;
    vetoes.push(img!.Id);
    const denied = await engine.router.invoke({ method: 'DELETE', path: '/images/app:v1' });
    expect(denied.status).toBe(409);
    expect((denied.body as { message: string }).message).toMatch(/container c1 is using its referenced image/);
    vetoes.length = 0;
    const ok = await engine.router.invoke({ method: 'DELETE', path: '/images/app:v1' });
    expect(ok.body).toEqual([{ Untagged: 'app:v1' }, { Deleted: img!.Id }, { Deleted: expect.stringMatching(/^sha256:/) }]);
  });

  it('refuses a limit-exceeding archive with 400 and keeps nothing', async () => {
    const small = await startTestEngine({ plugins: [vfsStoragePlugin, imagesServicePlugin], pluginConfig: { 'core.images': { maxLoadBytes: 100 } } });
    try {
      const r = await small.router.invoke({ method: 'POST', path: '/images/load', bodyStream: Readable.from([await archive('big:1', 'b.txt')]) });
      expect(r.status).toBe(400);
      expect((r.body as { message: string }).message).toMatch(/exceeds 100 bytes/);
      expect((await small.router.invoke({ method: 'GET', path: '/images/json' })).body).toEqual([]);
    } finally {
      await small.stop();
    }
  });

  it('answers 404 No such image, and 400 for a bad reference', async () => {
    expect((await engine.router.invoke({ method: 'GET', path: '/images/nope/json' })).body).toEqual({ message: 'No such image: nope:latest' });
    expect((await engine.router.invoke({ method: 'POST', path: '/images/nope/tag?repo=Bad' })).status).toBe(404);
    await load(await archive('app:v1', 'a.txt'));
    expect((await engine.router.invoke({ method: 'POST', path: '/images/app:v1/tag?repo=Bad' })).status).toBe(400);
  });
});

describe('layer store crash recovery', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(path.join(tmpdir(), 'keel-layers-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('removes driver layers no record names (an interrupted registration)', async () => {
    const driver = new VfsDriver({ root: path.join(dir, 'vfs') });
    const store = new LayerStore(new MemoryStateStore(), new BlobStore(path.join(dir, 'blobs')), () => ({ name: 'vfs', driver }));
    const { record } = await store.register(undefined, layerTar([{ path: 'f', type: 'file', content: 'x' }]));
    const orphan = 'f'.repeat(64);
    await driver.create(orphan);
    expect(await store.sweepOrphans(await driver.list())).toBe(1);
    expect(await driver.list()).toEqual([record.cacheId]);
  });
});
