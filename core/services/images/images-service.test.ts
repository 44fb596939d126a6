import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { coreServices, definePlugin, drivers, type StorageDriver } from '@keel/sdk';
import { vfsStoragePlugin } from '../../../plugins/storage/vfs/index.js';
import { systemServicePlugin } from '../system/index.js';
import { imageBackendRef, imagesHooks, type ImageDeleteRequest } from './index.js';
import { dockerArchive, imagesEngine, testImage, type ImagesTestEngine, type TestImage } from './test-support.js';

/** A stand-in for the containers service: uses images and vetoes like moby. */
const containers = { running: new Set<string>(), stopped: new Set<string>(), seen: [] as ImageDeleteRequest[] };
const guard = definePlugin({
  id: 'core.guard', sdk: '^1.0.0', deps: { hooks: coreServices.hooks },
  init: ({ hooks }) => hooks.tap(imagesHooks, 'beforeDelete', (req) => {
    containers.seen.push(req);
    const short = req.imageId.slice(7, 19);
    if (req.reference && (containers.running.has(req.imageId) || containers.stopped.has(req.imageId))) {
      return `conflict: unable to remove repository reference "${req.reference}" (must force) - container c0ffee123456 is using its referenced image ${short}`;
    }
    if (!req.reference && containers.running.has(req.imageId)) return `conflict: unable to delete ${short} (cannot be forced) - image is being used by running container c0ffee123456`;
    if (!req.reference && !req.force && containers.stopped.has(req.imageId)) return `conflict: unable to delete ${short} (must be forced) - image is being used by stopped container c0ffee123456`;
    return undefined;
  }),
});

describe('image service: tag, rmi, prune', () => {
  let e: ImagesTestEngine;
  let base: TestImage;
  let app: TestImage;
  let old: TestImage;
  const rmi = (name: string, force = false) => e.invoke('DELETE', `/images/${name}${force ? '?force=1' : ''}`);
  const tag = (name: string, repo: string, t?: string) => e.invoke('POST', `/images/${name}/tag?repo=${encodeURIComponent(repo)}${t ? `&tag=${t}` : ''}`);
  const ids = async () => (await e.list()).map((i) => i.Id).sort();
  const storage = () => e.drivers<StorageDriver>(drivers.storage).default();
  const actions = () => e.events.published.filter((ev) => ev.Type === 'image').map((ev) => `${ev.Action} ${ev.Actor.Attributes.name ?? ''}`);

  beforeEach(async () => {
    containers.running.clear();
    containers.stopped.clear();
    containers.seen.length = 0;
    e = await imagesEngine(vfsStoragePlugin, [systemServicePlugin, guard]);
    base = await testImage({ tags: ['base:1'], layers: [{ 'etc/os-release': 'keel' }], created: '2024-01-01T00:00:00Z' });
    app = await testImage({ tags: ['app:v1'], layers: [base.layers[0]!, { 'app.txt': 'a' }], labels: { tier: 'web' }, created: '2024-02-01T00:00:00Z' });
    old = await testImage({ tags: ['app:v1'], layers: [{ 'app.txt': 'old' }], created: '2023-12-01T00:00:00Z' });
    await e.load(await dockerArchive([old]));
    await e.load(await dockerArchive([base, app])); // app:v1 moves: old becomes dangling
  });
  afterEach(async () => { await e.stop(); });

  it('tag adds a name (201), validates it before looking the image up, and publishes tag', async () => {
    expect((await tag('app:v1', 'localhost:5000/team/app', 'v2')).status).toBe(201);
    expect((await tag(app.id.slice(7, 19), 'app')).status).toBe(201);
    expect((await e.invoke('GET', '/images/app:latest/json')).body).toMatchObject({ Id: app.id, RepoTags: ['app:latest', 'app:v1', 'localhost:5000/team/app:v2'] });
    expect(actions()).toContain('tag localhost:5000/team/app:v2');
    expect((await tag('nope', 'Bad')).status).toBe(400);
    expect((await tag('nope', 'good')).body).toEqual({ message: 'No such image: nope:latest' });
    expect((await tag('app:v1', 'x', 'bad tag')).status).toBe(400);
  });

  it('rmi of one of several names untags only', async () => {
    await tag('app:v1', 'app', 'v2');
    expect((await rmi('app:v1')).body).toEqual([{ Untagged: 'app:v1' }]);
    expect(await ids()).toEqual([base.id, app.id, old.id].sort());
    expect(actions().slice(-1)).toEqual([`untag ${app.id}`]);
  });

  it('rmi of the last name deletes the image and only its unshared layers', async () => {
    const before = (await storage().list()).length;
    expect((await rmi('app:v1')).body).toEqual([{ Untagged: 'app:v1' }, { Deleted: app.id }, { Deleted: app.chainIds[1] }]);
    expect((await storage().list()).length).toBe(before - 1);
    expect((await rmi('base:1')).body).toEqual([{ Untagged: 'base:1' }, { Deleted: base.id }, { Deleted: base.chainIds[0] }]);
    expect(actions().slice(-4)).toEqual([`untag ${app.id}`, `delete ${app.id}`, `untag ${base.id}`, `delete ${base.id}`]);
  });

  it('rmi by ID with names in several repositories needs force, then untags all and deletes', async () => {
    await tag('app:v1', 'other/app', 'v1');
    const conflict = await rmi(app.id.slice(7, 19));
    expect(conflict.status).toBe(409);
    expect(conflict.body).toEqual({ message: `conflict: unable to delete ${app.id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories` });
    expect((await rmi(app.id, true)).body).toEqual([{ Untagged: 'app:v1' }, { Untagged: 'other/app:v1' }, { Deleted: app.id }, { Deleted: app.chainIds[1] }]);
  });

  it('a container using the image: the tap vetoes with 409 unless forced; a running one even then', async () => {
    containers.stopped.add(app.id);
    const r = await rmi('app:v1');
    expect(r.status).toBe(409);
    expect((r.body as { message: string }).message).toBe(`conflict: unable to remove repository reference "app:v1" (must force) - container c0ffee123456 is using its referenced image ${app.id.slice(7, 19)}`);
    expect(containers.seen.at(-1)).toEqual({ imageId: app.id, reference: 'app:v1', force: false });
    expect((await rmi(app.id)).status).toBe(409);
    // Forced: untagged and deleted; the container's hold (via the backend) keeps the layers.
    const backend = e.get(imageBackendRef);
    const rootfs = await backend.acquire(app.id, 'c0ffee');
    expect(rootfs).toEqual({ driver: 'vfs', parent: expect.stringMatching(/^[a-f0-9]{64}$/) });
    expect((await rmi('app:v1', true)).body).toEqual([{ Untagged: 'app:v1' }, { Deleted: app.id }]);
    expect(await storage().exists(rootfs.parent!)).toBe(true);
    await backend.release('c0ffee');
    expect(await storage().exists(rootfs.parent!)).toBe(false);
  });

  it('rmi -f of an image a running container uses: untagged, kept (dangling)', async () => {
    containers.running.add(app.id);
    expect((await rmi('app:v1', true)).body).toEqual([{ Untagged: 'app:v1' }]);
    expect((await e.list('?filters={"dangling":{"true":true}}')).map((i) => i.Id).sort()).toEqual([app.id, old.id].sort());
    expect((await rmi(app.id, true)).status).toBe(409);
  });

  it('unknown images are 404 "No such image", blank names 400', async () => {
    expect(await rmi('nope')).toMatchObject({ status: 404, body: { message: 'No such image: nope:latest' } });
    expect((await rmi('Bad')).body).toEqual({ message: 'invalid reference format: repository name (library/Bad) must be lowercase' });
    expect((await e.invoke('DELETE', '/images/ ')).status).toBe(400);
  });

  it('prune removes dangling images only; dangling=false every image nothing uses', async () => {
    const r = await e.invoke('POST', '/images/prune');
    expect(r.body).toEqual({ ImagesDeleted: [{ Deleted: old.id }, { Deleted: old.chainIds[0] }], SpaceReclaimed: expect.any(Number) });
    expect((r.body as { SpaceReclaimed: number }).SpaceReclaimed).toBeGreaterThan(0);
    expect(e.events.published.at(-1)).toMatchObject({ Type: 'image', Action: 'prune', Actor: { ID: '', Attributes: { reclaimed: expect.stringMatching(/^[1-9]\d*$/) } } });
    containers.stopped.add(base.id);
    const all = await e.invoke('POST', `/images/prune?filters=${encodeURIComponent('{"dangling":{"false":true}}')}`);
    expect((all.body as { ImagesDeleted: unknown[] }).ImagesDeleted).toEqual([{ Untagged: 'app:v1' }, { Deleted: app.id }, { Deleted: app.chainIds[1] }]);
    expect(await ids()).toEqual([base.id]);
    expect((await e.invoke('POST', '/images/prune')).body).toEqual({ ImagesDeleted: null, SpaceReclaimed: 0 });
  });

  it('prune filters: label, label!, until; bad filters are 400', async () => {
    const prune = (f: object) => e.invoke('POST', `/images/prune?filters=${encodeURIComponent(JSON.stringify(f))}`);
    const first = (await prune({ dangling: ['false'], 'label!': ['tier=web'], until: ['2024-01-15T00:00:00Z'] })).body as { ImagesDeleted: unknown[] };
    // base goes but its layer stays (app uses it); app is labelled tier=web and too new anyway.
    expect(first.ImagesDeleted).toHaveLength(4);
    expect(first.ImagesDeleted).toEqual(expect.arrayContaining([{ Untagged: 'base:1' }, { Deleted: base.id }, { Deleted: old.id }, { Deleted: old.chainIds[0] }]));
    expect((await prune({ dangling: ['false'], label: ['tier'] })).body).toMatchObject({ ImagesDeleted: expect.arrayContaining([{ Deleted: app.id }]) });
    expect(await ids()).toEqual([]);
    expect((await prune({ reference: ['x'] })).body).toEqual({ message: "invalid filter 'reference'" });
    expect((await prune({ dangling: ['maybe'] })).body).toEqual({ message: "invalid filter 'dangling=maybe'" });
    expect((await prune({ until: ['1', '2'] })).body).toEqual({ message: 'more than one until filter specified' });
  });

  it('fills /info and /system/df through the system hooks', async () => {
    expect((await e.invoke('GET', '/info')).body).toMatchObject({ Images: 3 });
    const df = (await e.invoke('GET', '/system/df')).body as { LayersSize: number; Images: Array<Record<string, unknown>> };
    expect(df.LayersSize).toBeGreaterThan(0);
    const row = (id: string) => df.Images.find((i) => i.Id === id)!;
    expect(row(app.id)).toMatchObject({ RepoTags: ['app:v1'], Containers: 0 });
    expect(row(app.id).SharedSize).toBe(row(base.id).Size);
    expect(row(old.id).SharedSize).toBe(0);
  });
});
