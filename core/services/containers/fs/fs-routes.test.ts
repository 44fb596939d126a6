import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitRunConfig } from '../../images/image-commit.js';
import type { ContainerRecord } from '../container-types.js';
import { fsWorld, tarListing, type FsWorld } from './test-support.js';

describe('container filesystem routes: diff, export, commit', () => {
  let w: FsWorld;
  let c: ContainerRecord;
  let root: string;

  beforeEach(async () => {
    w = await fsWorld();
    c = await w.container('web');
    root = await w.rootOf(c);
  });
  afterEach(async () => {
    expect(w.mounts()).toBe(0);
    await w.close();
  });

  const change = async () => {
    await writeFile(path.join(root, 'etc/hostname'), 'changed\n');
    await mkdir(path.join(root, 'data'));
    await writeFile(path.join(root, 'data/new.txt'), 'new');
    await rm(path.join(root, 'bin/sh'));
  };

  it('changes is null for an untouched container (as moby answers), then lists C/A/D', async () => {
    expect(await w.invoke('GET', '/containers/web/changes')).toMatchObject({ status: 200, body: null });
    await change();
    const body = (await w.invoke('GET', '/containers/web/changes')).body as Array<{ Path: string; Kind: number }>;
    expect(body).toEqual(expect.arrayContaining([
      { Path: '/etc/hostname', Kind: 0 }, { Path: '/data', Kind: 1 }, { Path: '/data/new.txt', Kind: 1 }, { Path: '/bin/sh', Kind: 2 },
    ]));
    expect((await w.invoke('GET', '/containers/nope/changes')).status).toBe(404);
  });

  it('export is the whole root filesystem, image and container layer together', async () => {
    await change();
    const r = await w.invoke('GET', '/containers/web/export');
    expect(r.status).toBe(200);
    const listing = await tarListing(r.body as Buffer);
    expect(listing).toMatchObject({ 'etc/hostname': 'changed\n', 'data/new.txt': 'new', 'etc/passwd': expect.stringContaining('root:x:0:0') });
    expect(listing['bin/sh']).toBeUndefined();
    expect(w.events).toContain('export');
  });

  it('commit makes an image of the image layers plus the container diff, named and with history', async () => {
    await change();
    const r = await w.invoke('POST', '/commit?container=web&repo=docker.io%2Flibrary%2Fcommitted&tag=v1&author=me&comment=msg&changes=ENV+X%3D1&changes=EXPOSE+80');
    expect(r.status).toBe(201);
    const id = (r.body as { Id: string }).Id;
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    const img = (await w.invoke('GET', '/images/committed:v1/json')).body as Record<string, any>;
    expect(img.Id).toBe(id);
    expect(img.RootFS.Layers).toHaveLength(2);
    expect(img.Author).toBe('me');
    expect(img.Comment).toBe('msg');
    expect(img.Config).toMatchObject({ Env: ['PATH=/bin', 'X=1'], Cmd: ['sh'], ExposedPorts: { '80/tcp': {} }, Labels: { from: 'container' } });
    const history = (await w.invoke('GET', '/images/committed:v1/history')).body as Array<Record<string, unknown>>;
    expect(history[0]).toMatchObject({ CreatedBy: 'sh', Comment: 'msg' });
    expect(w.events).toContain('commit');
    expect(w.runtimeCalls).toEqual([]); // not running: nothing to pause

    // A container of the new image sees the committed files.
    await w.container('child', { image: id });
    const listing = await tarListing((await w.invoke('GET', '/containers/child/export')).body as Buffer);
    expect(listing).toMatchObject({ 'etc/hostname': 'changed\n', 'data/new.txt': 'new' });
    expect(listing['bin/sh']).toBeUndefined();
  });

  it('commit of an untouched container adds no layer (empty_layer), and pauses a running one', async () => {
    await w.container('busy', { running: true });
    const r = await w.invoke('POST', '/commit?container=busy');
    expect(r.status).toBe(201);
    const img = (await w.invoke('GET', `/images/${(r.body as { Id: string }).Id}/json`)).body as Record<string, any>;
    expect(img.RootFS.Layers).toHaveLength(1);
    expect(img.RepoTags).toEqual([]);
    expect(w.runtimeCalls.map((x) => x.split(' ')[0])).toEqual(['pause', 'resume']);
    expect((await w.invoke('POST', '/commit?container=busy&pause=0')).status).toBe(201);
    expect(w.runtimeCalls).toHaveLength(2);
  });

  it('commit refuses a bad name before any work, and an unknown container', async () => {
    expect((await w.invoke('POST', '/commit?container=web&repo=Bad%20Name')).status).toBe(400);
    expect((await w.invoke('POST', '/commit?container=nope')).status).toBe(404);
    expect((await w.invoke('POST', '/commit?container=web&changes=RUN+x')).status).toBe(400);
  });

  it('the committed config: body overrides, ENTRYPOINT change clears CMD, the container fills the rest', () => {
    const container = { Cmd: ['sh'], Env: ['A=1', 'B=2'], Labels: { a: '1' }, WorkingDir: '/w', User: 'app', ExposedPorts: { '22/tcp': {} } };
    expect(commitRunConfig(container, undefined, [])).toMatchObject({ Cmd: ['sh'], Env: ['A=1', 'B=2'], WorkingDir: '/w', User: 'app' });
    const merged = commitRunConfig(container, { Env: ['B=3'], Labels: { b: '2' }, ExposedPorts: { '80/tcp': {} } }, []);
    expect(merged).toMatchObject({ Env: ['B=3', 'A=1'], Labels: { a: '1', b: '2' }, ExposedPorts: { '22/tcp': {}, '80/tcp': {} }, Cmd: ['sh'], User: 'app' });
    expect(commitRunConfig(container, undefined, ['ENTRYPOINT ["/bin/app"]'])).toMatchObject({ Entrypoint: ['/bin/app'], Cmd: null });
    expect(commitRunConfig(container, undefined, ['ENTRYPOINT ["/bin/app"]', 'CMD ["x"]'])).toMatchObject({ Entrypoint: ['/bin/app'], Cmd: ['x'] });
  });
});
