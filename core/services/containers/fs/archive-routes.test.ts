import { existsSync } from 'node:fs';
import { lstat, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tarOf } from '../../images/test-support.js';
import type { ContainerRecord } from '../container-types.js';
import { canary, fsWorld, plantLink, tarListing, type FsWorld } from './test-support.js';

const GO_DIR = 2 ** 31;
const GO_SYMLINK = 2 ** 27;
const statOf = (headers: Record<string, string>) => JSON.parse(Buffer.from(headers['x-docker-container-path-stat']!, 'base64').toString());
const q = (p: string) => encodeURIComponent(p);

describe('container archive routes (docker cp)', () => {
  let w: FsWorld;
  let c: ContainerRecord;
  let root: string;
  let outside: string;

  beforeEach(async () => {
    w = await fsWorld();
    c = await w.container('web');
    root = await w.rootOf(c);
    outside = await canary(w.e.root);
  });
  afterEach(async () => {
    expect(w.mounts()).toBe(0); // every request gave its mount back
    await w.close();
  });

  const get = (p: string) => w.invoke('GET', `/containers/web/archive?path=${q(p)}`);
  const head = (p: string) => w.invoke('HEAD', `/containers/web/archive?path=${q(p)}`);
  const put = (p: string, tar: Buffer, extra = '') => w.invoke('PUT', `/containers/web/archive?path=${q(p)}${extra}`, tar);
  const canaryUntouched = async () => expect((await readdir(outside)).sort()).toEqual(['secret']);

  it('HEAD stats a file: name, size, Go file mode, RFC 3339 mtime', async () => {
    const r = await head('/etc/hostname');
    expect(r.status).toBe(200);
    const st = statOf(r.headers);
    expect(st).toMatchObject({ name: 'hostname', size: 10, mode: 0o644, linkTarget: '' });
    expect(st.mtime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(statOf((await head('/etc')).headers)).toMatchObject({ name: 'etc', mode: GO_DIR + 0o755 });
  });

  it('HEAD of a missing path is 404 with moby\'s message; a file with a trailing slash is missing too', async () => {
    const r = await head('/nope/x');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ message: 'Could not find the file /nope/x in container web' });
    expect((await head('/etc/hostname/')).status).toBe(404);
    expect((await w.invoke('HEAD', '/containers/other/archive?path=/')).status).toBe(404);
  });

  it('a symlink is stat-ed, not followed; linkTarget is resolved inside the container', async () => {
    await plantLink(root, 'etclink', '/etc');
    await plantLink(root, 'up', '../../../../../../../../etc/hostname');
    expect(statOf((await head('/etclink')).headers)).toMatchObject({ name: 'etclink', mode: GO_SYMLINK + 0o777, linkTarget: '/etc' });
    expect(statOf((await head('/up')).headers)).toMatchObject({ linkTarget: '/etc/hostname' });
    // With a trailing slash the link is followed: the stat is the directory's, named as asked.
    expect(statOf((await head('/etclink/')).headers)).toMatchObject({ name: 'etclink', mode: GO_DIR + 0o755 });
  });

  it('GET of a file is a one-entry tar named after the basename, with the stat header', async () => {
    const r = await get('/etc/hostname');
    expect(r.status).toBe(200);
    expect(statOf(r.headers).name).toBe('hostname');
    expect(await tarListing(r.body as Buffer)).toEqual({ hostname: 'container\n' });
    expect(w.events).toContain('archive-path');
  });

  it('GET of a directory gives the directory and its tree under its name; dir/. gives ./…', async () => {
    expect(await tarListing((await get('/etc')).body as Buffer)).toEqual({ 'etc/': 'dir', 'etc/group': expect.any(String), 'etc/hostname': 'container\n', 'etc/passwd': expect.any(String) });
    const dotted = await tarListing((await get('/etc/.')).body as Buffer);
    expect(Object.keys(dotted).sort()).toEqual(['./', './group', './hostname', './passwd']);
  });

  it('GET of a symlink archives the link itself; through a symlinked directory the entries take the asked name', async () => {
    await plantLink(root, 'etclink', '/etc');
    expect(await tarListing((await get('/etclink')).body as Buffer)).toEqual({ etclink: '-> /etc' });
    expect(Object.keys(await tarListing((await get('/etclink/')).body as Buffer))).toContain('etclink/hostname');
  });

  it('hostile: ../ in the path, and symlinks to / or far above it, stay inside the container', async () => {
    await writeFile(path.join(root, 'etc/passwd'), 'container passwd\n');
    expect(await tarListing((await get('../../etc/passwd')).body as Buffer)).toEqual({ passwd: 'container passwd\n' });
    await plantLink(root, 'hostetc', '/etc');
    await plantLink(root, 'escape', '../../../../../../../../../../');
    await plantLink(root, 'canary', outside); // an absolute host path means nothing in the container
    expect(await tarListing((await get('/hostetc/passwd')).body as Buffer)).toEqual({ passwd: 'container passwd\n' });
    expect(await tarListing((await get('/escape/etc/passwd')).body as Buffer)).toEqual({ passwd: 'container passwd\n' });
    expect(Object.keys(await tarListing((await get('/escape/')).body as Buffer))).not.toContain('escape/canary/secret');
    expect((await get('/canary/secret')).status).toBe(404);
    expect((await head(`/escape${outside}/secret`)).status).toBe(404);
  });

  it('PUT extracts a tar into a directory, owned by root unless copyUIDGID', async () => {
    const tar = await tarOf([{ path: 'new/', type: 'dir', uid: 42 }, { path: 'new/a.txt', content: 'hello', uid: 42, gid: 42, mode: 0o600 }]);
    expect((await put('/tmp', tar)).status).toBe(404);
    const r = await put('/etc', tar);
    expect(r.status).toBe(200);
    expect(await readFile(path.join(root, 'etc/new/a.txt'), 'utf8')).toBe('hello');
    const st = await lstat(path.join(root, 'etc/new/a.txt'));
    expect([st.uid, st.gid, st.mode & 0o777]).toEqual([0, 0, 0o600]);
    expect(w.events).toContain('extract-to-dir');
    const app = await w.container('appc', { user: 'app' });
    expect((await w.invoke('PUT', `/containers/appc/archive?path=/&copyUIDGID=1`, tar)).status).toBe(200);
    const owned = await lstat(path.join(await w.rootOf(app), 'new/a.txt'));
    expect([owned.uid, owned.gid]).toEqual([1000, 1001]);
  });

  it('PUT into a file is 400; into a read-only rootfs is 400; noOverwriteDirNonDir refuses a type change', async () => {
    const tar = await tarOf([{ path: 'x.txt', content: 'x' }]);
    expect(await put('/etc/hostname', tar)).toMatchObject({ status: 400, body: { message: 'extraction point is not a directory' } });
    await w.container('ro', { readonly: true });
    expect((await w.invoke('PUT', '/containers/ro/archive?path=/', tar)).status).toBe(400);
    const dirOverFile = await tarOf([{ path: 'hostname/', type: 'dir' }]);
    expect((await put('/etc', dirOverFile, '&noOverwriteDirNonDir=true')).status).toBe(400);
    expect((await lstat(path.join(root, 'etc/hostname'))).isFile()).toBe(true);
  });

  it('PUT through a symlinked destination lands in the container directory it names', async () => {
    await plantLink(root, 'etclink', '/etc');
    expect((await put('/etclink', await tarOf([{ path: 'via-link', content: 'v' }]))).status).toBe(200);
    expect(existsSync(path.join(root, 'etc/via-link'))).toBe(true);
  });

  it('hostile PUT: ../ entries are refused (400) and write nothing outside', async () => {
    await mkdir(path.join(root, 'srv'));
    for (const name of ['../escaped', '../../../../../../../../escaped', 'ok/../../escaped']) {
      const r = await put('/srv', await tarOf([{ path: name, content: 'pwned' }]));
      expect(r.status, name).toBe(400);
    }
    expect(existsSync(path.join(root, 'escaped'))).toBe(false);
    expect(existsSync(path.join(root, '..', 'escaped'))).toBe(false);
    const hard = await tarOf([{ path: 'h', type: 'hardlink', linkpath: '../../../../canary/secret' }]);
    expect((await put('/srv', hard)).status).toBe(400);
    await canaryUntouched();
  });

  it('hostile PUT: an absolute symlink in the archive, then a file under it, stays in the container', async () => {
    await mkdir(path.join(root, 'srv'));
    const tar = await tarOf([
      { path: 'abs', type: 'symlink', linkpath: outside },
      { path: 'abs/pwned', content: 'pwned' },
      { path: 'up', type: 'symlink', linkpath: '../../../../../../../../../..' + outside },
      { path: 'up/pwned2', content: 'pwned' },
    ]);
    await put('/srv', tar); // refused (the link leads nowhere in the container) or contained: never outside
    await canaryUntouched();
    // A symlink the container already has behaves the same.
    await plantLink(root, 'hostcanary', outside);
    await put('/', await tarOf([{ path: 'hostcanary/pwned3', content: 'pwned' }]));
    expect((await put('/hostcanary', await tarOf([{ path: 'pwned4', content: 'pwned' }]))).status).toBe(404);
    await canaryUntouched();
    // A link into the container's own /etc is followed there, as in Docker.
    await put('/srv', await tarOf([{ path: 'etc', type: 'symlink', linkpath: '/etc' }, { path: 'etc/dropped', content: 'in' }]));
    expect(await readFile(path.join(root, 'etc/dropped'), 'utf8')).toBe('in');
  });

  it('a malformed archive is 400 and the mount is released', async () => {
    expect((await put('/etc', Buffer.from('this is not a tar archive at all'.repeat(20)))).status).toBe(400);
    expect((await w.invoke('GET', '/containers/web/archive')).status).toBe(400);
  });
});
