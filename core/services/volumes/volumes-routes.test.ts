import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from '@keel/sdk/testkit';
import { localVolumePlugin } from '../../../plugins/volume/local/index.js';
import { systemHooks } from '../system/index.js';
import { volumeBackendRef, volumesServicePlugin, type VolumeBackend } from './index.js';

describe('volume routes (in-process, volume.local)', () => {
  let e: TestEngine;
  let backend: VolumeBackend;
  const post = (path: string, body?: unknown) => e.router.invoke({ method: 'POST', path, body });
  const get = (path: string) => e.router.invoke({ method: 'GET', path });
  const del = (path: string) => e.router.invoke({ method: 'DELETE', path });
  const q = (filters: object) => `filters=${encodeURIComponent(JSON.stringify(filters))}`;
  const names = async (filters: object) => ((await get(`/volumes?${q(filters)}`)).body as { Volumes: Array<{ Name: string }> }).Volumes.map((v) => v.Name);

  beforeEach(async () => {
    e = await startTestEngine({ plugins: [localVolumePlugin, volumesServicePlugin] });
    backend = e.get(volumeBackendRef);
  });
  afterEach(async () => { await e.stop(); });

  it('create: 201 with Docker\'s Volume shape; empty labels and options are null; a create event', async () => {
    const r = await post('/volumes/create', { Name: 'data1', Driver: 'local', DriverOpts: {}, Labels: {} });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      CreatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), Driver: 'local', Labels: null,
      Mountpoint: expect.stringMatching(/\/volume\.local\/data1\/_data$/), Name: 'data1', Options: null, Scope: 'local',
    });
    expect(e.events.published.map((ev) => [ev.Type, ev.Action, ev.Actor.ID, ev.Actor.Attributes])).toEqual([['volume', 'create', 'data1', { driver: 'local' }]]);
    expect((await get('/volumes/data1')).body).toEqual(r.body);
  });

  it('create: no Name makes an anonymous volume with a 64-hex name', async () => {
    const r = await post('/volumes/create', {});
    expect(r.body).toMatchObject({ Name: expect.stringMatching(/^[0-9a-f]{64}$/), Labels: { 'com.docker.volume.anonymous': '' } });
    expect(backend.get((r.body as { Name: string }).Name)?.anonymous).toBe(true);
  });

  it('create: an existing name returns it (same driver or none given); another driver is 409, an unknown driver 404', async () => {
    const first = (await post('/volumes/create', { Name: 'v1', Labels: { a: 'b' } })).body;
    expect(await post('/volumes/create', { Name: 'v1', Driver: 'local', Labels: { other: 'x' } })).toMatchObject({ status: 201, body: first });
    expect(await post('/volumes/create', { Name: 'v1', Driver: 'nfsplugin' })).toMatchObject({
      status: 409, body: { message: "create v1: driver 'local' already has volume 'v1': volume name must be unique" },
    });
    expect(await post('/volumes/create', { Name: 'v2', Driver: 'nfsplugin' })).toMatchObject({
      status: 404, body: { message: 'create v2: error looking up volume plugin nfsplugin: plugin "nfsplugin" not found' },
    });
  });

  it('create: bad options, names and bodies are 400 in Docker\'s words, and create nothing', async () => {
    expect(await post('/volumes/create', { Name: 'v1', DriverOpts: { x: '1' } })).toMatchObject({ status: 400, body: { message: 'create v1: invalid option key: "x"' } });
    expect(await post('/volumes/create', { Name: 'v1', DriverOpts: { o: 'size=1m' } })).toMatchObject({ status: 400, body: { message: 'create v1: missing required option: "device"' } });
    expect(await post('/volumes/create', { Name: 'v1', DriverOpts: { size: '1g' } })).toMatchObject({ status: 400, body: { message: 'create v1: quota size requested but no quota support' } });
    expect((await post('/volumes/create', { Name: 'a' })).status).toBe(400);
    expect((await post('/volumes/create', { Name: '../etc' })).body).toMatchObject({ message: expect.stringContaining('includes invalid characters for a local volume name') });
    expect((await post('/volumes/create', { Name: 'v1', Labels: { a: 1 } })).status).toBe(400);
    expect((await get('/volumes')).body).toEqual({ Volumes: [], Warnings: null });
  });

  it('options: -o type/device/o are kept and shown as Options', async () => {
    const opts = { type: 'tmpfs', device: 'tmpfs', o: 'size=64m,uid=1000' };
    expect((await post('/volumes/create', { Name: 'tv', DriverOpts: opts })).body).toMatchObject({ Options: opts });
  });

  it('list: filters name (expression), driver (exact), label (key, key=value, all of them), dangling', async () => {
    await post('/volumes/create', { Name: 'web-data', Labels: { tier: 'web', env: 'prod' } });
    await post('/volumes/create', { Name: 'db-data', Labels: { tier: 'db' } });
    await post('/volumes/create', { Name: 'cache' });
    await backend.reference('db-data', 'c1');
    expect(await names({})).toEqual(['cache', 'db-data', 'web-data']);
    expect(await names({ name: ['data'] })).toEqual(['db-data', 'web-data']);
    expect(await names({ name: ['^web'] })).toEqual(['web-data']);
    expect(await names({ driver: ['loc'] })).toEqual([]);
    expect(await names({ driver: ['local'] })).toHaveLength(3);
    expect(await names({ label: ['tier'] })).toEqual(['db-data', 'web-data']);
    expect(await names({ label: ['tier=web', 'env'] })).toEqual(['web-data']);
    expect(await names({ label: { 'tier=db': true } })).toEqual(['db-data']);
    expect(await names({ dangling: ['true'] })).toEqual(['cache', 'web-data']);
    expect(await names({ dangling: ['0'] })).toEqual(['db-data']);
    expect(await get(`/volumes?${q({ dangling: ['maybe'] })}`)).toMatchObject({ status: 400, body: { message: "invalid filter 'dangling=maybe'" } });
    expect(await get(`/volumes?${q({ color: ['x'] })}`)).toMatchObject({ status: 400, body: { message: "invalid filter 'color'" } });
  });

  it('inspect/rm: a missing volume is 404 "get <name>: no such volume"; rm -f of a missing volume is 204', async () => {
    expect(await get('/volumes/nope')).toMatchObject({ status: 404, body: { message: 'get nope: no such volume' } });
    expect(await del('/volumes/nope')).toMatchObject({ status: 404, body: { message: 'get nope: no such volume' } });
    expect((await del('/volumes/nope?force=1')).status).toBe(204);
  });

  it('rm: a volume any container references is 409 naming them, even with force; then 204 and a destroy event', async () => {
    await post('/volumes/create', { Name: 'v1' });
    await backend.reference('v1', 'c2');
    await backend.mount('v1', 'c1');
    const refused = { status: 409, body: { message: 'remove v1: volume is in use - [c1, c2]' } };
    expect(await del('/volumes/v1')).toMatchObject(refused);
    expect(await del('/volumes/v1?force=true')).toMatchObject(refused);
    await backend.dereference('v1', 'c1');
    await backend.dereference('v1', 'c2');
    expect((await del('/volumes/v1')).status).toBe(204);
    expect(e.events.published.at(-1)).toMatchObject({ Type: 'volume', Action: 'destroy', Actor: { ID: 'v1', Attributes: { driver: 'local' } } });
    expect((await get('/volumes/v1')).status).toBe(404);
  });

  it('prune: only unused anonymous volumes, unless all=true; label and label! narrow it; a prune event', async () => {
    const anon = (await post('/volumes/create', { Labels: { keep: 'no' } })).body as { Name: string };
    const anonUsed = (await post('/volumes/create', {})).body as { Name: string };
    await backend.reference(anonUsed.Name, 'c1');
    await post('/volumes/create', { Name: 'named', Labels: { keep: 'yes' } });
    await post('/volumes/create', { Name: 'named2' });
    expect((await post('/volumes/prune')).body).toEqual({ VolumesDeleted: [anon.Name], SpaceReclaimed: 0 });
    expect((await post('/volumes/prune')).body).toEqual({ VolumesDeleted: null, SpaceReclaimed: 0 });
    expect((await post(`/volumes/prune?${q({ all: ['true'], 'label!': ['keep=yes'] })}`)).body).toMatchObject({ VolumesDeleted: ['named2'] });
    expect((await post(`/volumes/prune?${q({ all: ['1'], label: ['keep'] })}`)).body).toMatchObject({ VolumesDeleted: ['named'] });
    expect(await names({})).toEqual([anonUsed.Name]);
    expect(e.events.published.at(-1)).toMatchObject({ Type: 'volume', Action: 'prune', Actor: { Attributes: { reclaimed: '0' } } });
    expect(await post(`/volumes/prune?${q({ all: ['perhaps'] })}`)).toMatchObject({ status: 400, body: { message: "invalid filter 'all=perhaps'" } });
    expect(await post(`/volumes/prune?${q({ dangling: ['true'] })}`)).toMatchObject({ status: 400, body: { message: "invalid filter 'dangling'" } });
  });

  it('prune: before API 1.42 every unused volume goes, named ones too', async () => {
    await post('/volumes/create', { Name: 'named' });
    const route = e.router.routes.find((r) => r.path === '/volumes/prune')!;
    const result = await route.handler({ method: 'POST', path: '/volumes/prune', apiVersion: '1.41', params: {}, query: {}, headers: {}, body: undefined, signal: new AbortController().signal }, {} as never);
    expect(result).toMatchObject({ VolumesDeleted: ['named'] });
  });

  it('df: every volume with UsageData {Size, RefCount}', async () => {
    await post('/volumes/create', { Name: 'v1' });
    await post('/volumes/create', { Name: 'v2' });
    const dir = await backend.mount('v1', 'c1');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${dir}/f`, 'x'.repeat(5000));
    await backend.reference('v1', 'c2');
    const df = (await e.hooks.call(systemHooks, 'df', { LayersSize: 0, Images: [], Containers: [], Volumes: [], BuildCache: [] })) as { Volumes: Array<{ Name: string; UsageData: unknown }> };
    expect(df.Volumes.map((v) => [v.Name, v.UsageData])).toEqual([['v1', { Size: 5000, RefCount: 2 }], ['v2', { Size: 0, RefCount: 0 }]]);
  });
});
