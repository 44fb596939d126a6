/**
 * vfs specifics the conformance suite cannot see: copies are full and faithful, change detection
 * notices every kind of metadata change, crash leftovers are swept, cancelled creates leave nothing.
 */
import { execFile } from 'node:child_process';
import { chmod, lchown, lstat, mkdir, mkdtemp, readdir, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { drivers } from '@keel/sdk';
import { layerTar, startTestEngine } from '@keel/sdk/testkit';
import { vfsStoragePlugin } from './index.js';
import { VfsDriver } from './vfs-driver.js';

const run = promisify(execFile);
const asRoot = process.getuid?.() === 0;

let root: string;
let d: VfsDriver;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'keel-vfs-'));
  d = new VfsDriver({ root });
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const layer = (id: string) => path.join(root, 'dir', id);

describe('vfs driver', () => {
  it('makes each child a full copy: own inodes, hardlinks, modes and symlinks kept', async () => {
    await d.create('base');
    await d.applyDiff('base', layerTar([
      { path: 'a', type: 'file', content: 'a', mode: 0o640 }, { path: 'b', type: 'hardlink', linkpath: 'a' },
      { path: 'l', type: 'symlink', linkpath: '/nowhere' },
    ]));
    await d.create('child', { parent: 'base' });
    const [pa, ca, cb] = await Promise.all([lstat(path.join(layer('base'), 'a')), lstat(path.join(layer('child'), 'a')), lstat(path.join(layer('child'), 'b'))]);
    expect(ca.ino).not.toBe(pa.ino);
    expect(cb.ino).toBe(ca.ino);
    expect(ca.mode & 0o7777).toBe(0o640);
    expect(ca.mtimeMs).toBe(pa.mtimeMs);
    expect(await d.changes('child')).toEqual([]);
  });

  it.skipIf(!asRoot)('copies owners, devices and xattrs of every namespace (as root)', async () => {
    await d.create('base');
    await d.applyDiff('base', layerTar([
      { path: 'null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 },
      { path: 'f', type: 'file', content: 'f', uid: 1000, gid: 1000, xattrs: { 'trusted.t': Buffer.from('t'), 'user.u': Buffer.from('u') } },
    ]));
    await d.create('child', { parent: 'base' });
    expect((await lstat(path.join(layer('child'), 'null'))).rdev).toBe(259);
    expect((await lstat(path.join(layer('child'), 'f'))).uid).toBe(1000);
    const { stdout } = await run('getfattr', ['-d', '-m', '-', '--absolute-names', path.join(layer('child'), 'f')]);
    expect(stdout).toContain('trusted.t="t"');
    expect(stdout).toContain('user.u="u"');
  });

  it('notices changes of mode, owner, content, symlink target and type', async () => {
    await d.create('base');
    await d.applyDiff('base', layerTar([
      { path: 'mode', type: 'file', content: 'm' }, { path: 'owner', type: 'file', content: 'o' }, { path: 'same', type: 'file', content: 's' },
      { path: 'content', type: 'file', content: 'c' }, { path: 'link', type: 'symlink', linkpath: 'a' }, { path: 'kind', type: 'file', content: 'k' },
    ]));
    await d.createReadWrite('rw', { parent: 'base' });
    const p = (n: string) => path.join(layer('rw'), n);
    await chmod(p('mode'), 0o600);
    if (asRoot) await lchown(p('owner'), 7, 7);
    await writeFile(p('content'), 'C');
    await unlink(p('link'));
    await symlink('b', p('link'));
    await unlink(p('kind'));
    await mkdir(p('kind'));
    const changed = (await d.changes('rw')).map((c) => `${c.kind} ${c.path}`);
    expect(changed).toEqual(['0 /content', '0 /kind', '0 /link', '0 /mode', ...(asRoot ? ['0 /owner'] : [])]);
  });

  it('recover() deletes half-made copies, half-removed layers and orphan parent records', async () => {
    await d.create('base');
    await d.create('child', { parent: 'base' });
    await mkdir(path.join(root, 'dir', '.tmp-0123'), { recursive: true });
    await mkdir(path.join(root, 'dir', '.rm-4567'), { recursive: true });
    await writeFile(path.join(root, 'parents', 'ghost'), 'base');
    await new VfsDriver({ root }).recover();
    expect(await readdir(path.join(root, 'dir'))).toEqual(['base', 'child']);
    expect(await readdir(path.join(root, 'parents'))).toEqual(['child']);
  });

  it('leaves nothing behind when a create is cancelled', async () => {
    await d.create('base');
    await d.applyDiff('base', layerTar(Array.from({ length: 200 }, (_, i) => ({ path: `f${i}`, type: 'file' as const, content: 'x'.repeat(1000) }))));
    const ac = new AbortController();
    const creating = d.create('child', { parent: 'base', signal: ac.signal });
    ac.abort();
    await expect(creating).rejects.toThrow();
    expect(await d.exists('child')).toBe(false);
    expect(await readdir(path.join(root, 'dir'))).toEqual(['base']);
  });

  it('counts only the layer own changes in usage, hardlinks once', async () => {
    await d.create('base');
    await d.applyDiff('base', layerTar([{ path: 'big', type: 'file', content: 'x'.repeat(50_000) }]));
    await d.create('child', { parent: 'base' });
    await d.applyDiff('child', layerTar([{ path: 'a', type: 'file', content: 'y'.repeat(100) }, { path: 'b', type: 'hardlink', linkpath: 'a' }]));
    expect(await d.usage('child')).toEqual({ size: 100, inodes: 1 });
    expect((await d.usage('base')).size).toBe(50_000);
  });

  it('runs as the storage.vfs plugin', async () => {
    const engine = await startTestEngine({ plugins: [vfsStoragePlugin] });
    try {
      const driver = engine.drivers(drivers.storage).get('vfs')!;
      await driver.create('a');
      expect(await driver.list()).toEqual(['a']);
      expect(driver.capabilities).toEqual({ copyOnWrite: false });
    } finally {
      await engine.stop();
    }
  });
});
