import { inject, type InjectOptions } from 'light-my-request';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HttpMethod } from '@keel/sdk';
import { createFakeLogger } from '@keel/sdk/testkit';
import { vfsStoragePlugin } from '../../../plugins/storage/vfs/index.js';
import { buildApiApp, type ApiApp } from '../../kernel/api-server.js';
import { dockerArchive, imagesEngine, testImage, type ImagesTestEngine, type TestImage } from './test-support.js';

let base: TestImage;
let app: TestImage;
let old: TestImage;
let other: TestImage;
const images = async () => {
  base = await testImage({ tags: ['base:1'], layers: [{ 'etc/os-release': 'keel' }], labels: { 'org.keel': 'base' }, created: '2024-01-01T00:00:00Z' });
  app = await testImage({ tags: ['localhost:5000/team/app:v1', 'team/app:v1'], layers: [base.layers[0]!, { 'app.txt': 'a' }], labels: { 'org.keel': 'app', tier: 'web' }, created: '2024-02-01T00:00:00Z' });
  old = await testImage({ tags: ['other:latest'], layers: [{ 'o.txt': 'old' }], created: '2023-06-01T00:00:00Z' });
  other = await testImage({ tags: ['other:latest'], layers: [{ 'o.txt': 'new' }], created: '2024-03-01T00:00:00Z' });
};

describe('image routes (in-process)', () => {
  let e: ImagesTestEngine;
  const list = async (filters?: object, extra = '') => (await e.list(`?${filters ? `filters=${encodeURIComponent(JSON.stringify(filters))}` : ''}${extra}`)).map((i) => i.Id);

  beforeEach(async () => {
    await images();
    e = await imagesEngine(vfsStoragePlugin);
    await e.load(await dockerArchive([old]));
    await e.load(await dockerArchive([base, app, other]));
  });
  afterEach(async () => { await e.stop(); });

  it('lists ImageSummary rows newest first, in the 1.47 shape', async () => {
    const rows = await e.list();
    expect(rows.map((r) => r.Id)).toEqual([other.id, app.id, base.id, old.id]);
    expect(rows[1]).toEqual({
      Id: app.id, ParentId: '', RepoTags: ['localhost:5000/team/app:v1', 'team/app:v1'], RepoDigests: [], Created: Date.parse('2024-02-01T00:00:00Z') / 1000,
      Size: expect.any(Number), SharedSize: -1, Labels: { 'org.keel': 'app', tier: 'web' }, Containers: -1,
    });
    expect(rows[3]!.RepoTags).toEqual([]);
    const shared = await e.list('?shared-size=1');
    expect(shared.find((r) => r.Id === app.id)!.SharedSize).toBe(shared.find((r) => r.Id === base.id)!.Size);
  });

  it('answers older API versions with their fields (<none>:<none> before 1.43, VirtualSize before 1.44)', async () => {
    const route = e.router.routes.find((r) => r.path === '/images/json')!;
    const at = async (v: string) => (await route.handler({ method: 'GET', path: '/images/json', apiVersion: v, params: {}, query: {}, headers: {}, body: undefined, signal: new AbortController().signal }, {} as never)) as Array<Record<string, unknown>>;
    const dangling = (await at('1.41')).find((r) => r.Id === old.id)!;
    expect(dangling).toMatchObject({ RepoTags: ['<none>:<none>'], RepoDigests: ['<none>@<none>'], VirtualSize: dangling.Size });
    expect((await at('1.43')).find((r) => r.Id === old.id)).toMatchObject({ RepoTags: [], VirtualSize: dangling.Size });
    expect((await at('1.44')).find((r) => r.Id === old.id)).not.toHaveProperty('VirtualSize');
  });

  it('filters: dangling, label, reference (familiar and canonical, names narrowed), before, since, until', async () => {
    expect(await list({ dangling: ['true'] })).toEqual([old.id]);
    expect(await list({ dangling: { false: true } })).toEqual([other.id, app.id, base.id]);
    expect(await list({ label: ['tier'] })).toEqual([app.id]);
    expect(await list({ label: ['org.keel=base'] })).toEqual([base.id]);
    expect(await list({ reference: ['team/*'] })).toEqual([app.id]);
    expect((await e.list(`?filters=${encodeURIComponent('{"reference":["localhost:5000/*/app:v1"]}')}`))[0]!.RepoTags).toEqual(['localhost:5000/team/app:v1']);
    expect(await list({ reference: ['docker.io/library/base'] })).toEqual([base.id]);
    expect(await list({ reference: ['other'] })).toEqual([other.id]);
    expect(await list({ reference: ['b?se:[0-9]'] })).toEqual([base.id]);
    expect(await list({ before: ['team/app:v1'] })).toEqual([base.id, old.id]);
    expect(await list({ since: ['base:1'] })).toEqual([other.id, app.id]);
    expect(await list({ until: ['2024-01-15T00:00:00Z'] })).toEqual([base.id, old.id]);
    expect(await list({ until: [String(Date.parse('2024-01-01T00:00:01Z') / 1000)], since: [old.id] })).toEqual([base.id]);
  });

  it.each([
    [{ nonsense: ['1'] }, 400, "invalid filter 'nonsense'"],
    [{ dangling: ['yes'] }, 400, "invalid filter 'dangling=yes'"],
    [{ until: ['yesterday'] }, 400, /invalid value for 'until' filter/],
    [{ before: ['nope'] }, 404, 'No such image: nope:latest'],
  ])('refuses filters %j', async (filters, status, message) => {
    const r = await e.invoke('GET', `/images/json?filters=${encodeURIComponent(JSON.stringify(filters))}`);
    expect(r.status).toBe(status);
    expect((r.body as { message: string }).message).toEqual(typeof message === 'string' ? message : expect.stringMatching(message));
    expect((await e.invoke('GET', '/images/json?filters=%7Bbad')).status).toBe(400);
  });

  it('inspects and shows history by name (with / and :), ID and ID prefix', async () => {
    for (const name of ['localhost:5000/team/app:v1', app.id, app.id.slice(7), app.id.slice(7, 19)]) {
      expect(((await e.invoke('GET', `/images/${name}/json`)).body as { Id: string }).Id).toBe(app.id);
    }
    const got = (await e.invoke('GET', '/images/team/app:v1/json')).body as Record<string, unknown>;
    expect(got).toMatchObject({
      Id: app.id, RepoTags: ['localhost:5000/team/app:v1', 'team/app:v1'], RepoDigests: [], Parent: '', Comment: '', Created: '2024-02-01T00:00:00Z',
      DockerVersion: '', Author: '', Architecture: 'amd64', Os: 'linux', GraphDriver: { Name: 'vfs', Data: null },
      RootFS: { Type: 'layers', Layers: app.diffIds }, Metadata: { LastTagTime: expect.stringMatching(/^20\d\d-/) },
    });
    expect(got).not.toHaveProperty('VirtualSize');
    const history = (await e.invoke('GET', '/images/team/app:v1/history')).body as Array<Record<string, unknown>>;
    expect(history.map((h) => [h.Id, h.CreatedBy, h.Tags])).toEqual([
      [app.id, 'CMD ["sh"]', ['localhost:5000/team/app:v1', 'team/app:v1']], ['<missing>', 'layer 1', null], ['<missing>', 'layer 0', null],
    ]);
    expect(history[0]!.Size).toBe(0);
    expect(history[1]!.Size).toBeGreaterThan(0);
  });

  it('answers 404, 400 and 503 for what it cannot do', async () => {
    expect((await e.invoke('GET', '/images/nope/json')).body).toEqual({ message: 'No such image: nope:latest' });
    expect((await e.invoke('GET', `/images/sha256:${'0'.repeat(64)}/json`)).body).toEqual({ message: `No such image: sha256:${'0'.repeat(64)}` });
    expect((await e.invoke('GET', '/images/Nope/json')).status).toBe(400);
    expect((await e.invoke('GET', '/images/base:1/frobnicate')).status).toBe(404);
    // Port 1 on loopback: nothing listens, so the push fails before its first line.
    expect((await e.invoke('POST', '/images/base:1/tag?repo=127.0.0.1:1/team/app&tag=v1')).status).toBe(201);
    const push = await e.invoke('POST', '/images/127.0.0.1:1/team/app/push?tag=v1');
    expect([push.status, (push.body as { message: string }).message]).toEqual([503, expect.stringMatching(/ECONNREFUSED/)]);
    expect((await e.invoke('POST', '/images/localhost:5000/team/app/push?tag=v9')).status).toBe(404);
    expect((await e.invoke('POST', '/images/base:1/frobnicate')).status).toBe(404);
  });
});

describe('image routes through the real API server', () => {
  let e: ImagesTestEngine;
  let api: ApiApp;
  const server = { inject: (o: InjectOptions) => inject(api.dispatch, o) };
  beforeAll(async () => {
    await images();
    e = await imagesEngine(vfsStoragePlugin);
    await e.load(await dockerArchive([base, app]));
    const routes = e.router.routes.map((r) => ({ ...r, methods: (Array.isArray(r.method) ? r.method : [r.method]) as HttpMethod[] }));
    api = buildApiApp({ routes, logger: createFakeLogger(), version: 'test' });
  });
  afterAll(async () => {
    await e.stop();
  });

  it('matches the fixed paths before the greedy ones, with and without a version prefix', async () => {
    for (const prefix of ['', '/v1.47']) {
      const list = await server.inject({ url: `${prefix}/images/json` });
      expect(list.statusCode).toBe(200);
      expect(list.json().map((i: { Id: string }) => i.Id).sort()).toEqual([base.id, app.id].sort());
      const get = await server.inject({ url: `${prefix}/images/get?names=base:1` });
      expect([get.statusCode, get.headers['content-type']]).toEqual([200, 'application/x-tar']);
      expect((await server.inject({ method: 'POST', url: `${prefix}/images/prune` })).json()).toEqual({ ImagesDeleted: null, SpaceReclaimed: 0 });
    }
  });

  it('routes names with unescaped / and : to the greedy paths', async () => {
    const inspect = await server.inject({ url: '/v1.47/images/localhost:5000/team/app:v1/json' });
    expect([inspect.statusCode, inspect.json().Id]).toEqual([200, app.id]);
    expect((await server.inject({ url: '/v1.47/images/team/app:v1/history' })).json()[0].Id).toBe(app.id);
    const tag = await server.inject({ method: 'POST', url: '/v1.47/images/localhost:5000/team/app:v1/tag?repo=localhost%3A5000%2Fx%2Fy&tag=z' });
    expect(tag.statusCode).toBe(201);
    const rmi = await server.inject({ method: 'DELETE', url: '/v1.47/images/localhost:5000/x/y:z' });
    expect(rmi.json()).toEqual([{ Untagged: 'localhost:5000/x/y:z' }]);
    const missing = await server.inject({ url: '/v1.47/images/nope/json' });
    expect([missing.statusCode, missing.headers['content-type'], missing.json()]).toEqual([404, 'application/json', { message: 'No such image: nope:latest' }]);
  });

  it('answers docker load with exactly application/json, and takes a raw tar body', async () => {
    const r = await server.inject({ method: 'POST', url: '/v1.47/images/load?quiet=1', headers: { 'content-type': 'application/x-tar' }, payload: await dockerArchive([old]) });
    expect([r.statusCode, r.headers['content-type']]).toEqual([200, 'application/json']);
    expect(r.body.trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ stream: 'Loaded image: other:latest\n' }]);
    const bad = await server.inject({ method: 'POST', url: '/v1.47/images/load', headers: { 'content-type': 'application/x-tar' }, payload: Buffer.from('garbage'.repeat(100)) });
    expect([bad.statusCode, bad.headers['content-type']]).toEqual([400, 'application/json']);
  });
});
