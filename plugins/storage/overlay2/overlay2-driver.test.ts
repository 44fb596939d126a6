/**
 * overlay2 specifics the conformance suite cannot see: the on-disk layout (short links, lower
 * files), deep chains within the mount-option page, read-only mounts, crash recovery. Needs root
 * and overlayfs; skips with the probe's reason elsewhere.
 */
import { access, lstat, mkdir, mkdtemp, readFile, readlink, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { drivers } from '@keel/sdk';
import { layerTar, startTestEngine } from '@keel/sdk/testkit';
import { overlay2StoragePlugin } from './index.js';
import { mountPoints, mountsUnder, unmountPath } from './overlay-mounts.js';
import { Overlay2Driver } from './overlay2-driver.js';

const probeRoot = await mkdtemp(path.join(tmpdir(), 'keel-ovl-probe-'));
const skip = await new Overlay2Driver({ root: probeRoot }).probe().then(() => '', (e: Error) => e.message);
await rm(probeRoot, { recursive: true, force: true });
if (skip) console.warn(`overlay2 driver tests skipped: ${skip}`);

/** Unmounts everything below `dir` (stacked mounts included) and deletes it. */
async function clean(dir: string): Promise<void> {
  try {
    for (const m of await mountsUnder(dir)) await unmountPath(m);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const file = (name: string, content = name) => ({ path: name, type: 'file' as const, content });
const countMounts = async (p: string) => (await mountPoints()).filter((m) => m === p).length;

describe.skipIf(!!skip)('overlay2 driver', () => {
  let root: string;
  let d: Overlay2Driver;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'keel-ovl-'));
    d = new Overlay2Driver({ root });
    await d.probe();
  });
  afterEach(async () => clean(root));

  it('gives each layer a 26-character link, l/<short> → ../<id>/diff, and a lower file nearest first', async () => {
    await d.create('a');
    await d.create('b', { parent: 'a' });
    await d.createReadWrite('c', { parent: 'b' });
    const link = async (id: string) => readFile(path.join(root, id, 'link'), 'utf8');
    for (const id of ['a', 'b', 'c']) {
      expect(await link(id)).toMatch(/^[A-Z2-7]{26}$/);
      expect(await readlink(path.join(root, 'l', await link(id)))).toBe(`../${id}/diff`);
    }
    await expect(access(path.join(root, 'a', 'lower'))).rejects.toThrow();
    expect(await readFile(path.join(root, 'c', 'lower'), 'utf8')).toBe(`l/${await link('b')}:l/${await link('a')}`);
    expect((await lstat(path.join(root, 'c', 'work'))).isDirectory()).toBe(true);
    await expect(access(path.join(root, 'b', 'work'))).rejects.toThrow(); // read-only: no upper, no work dir
    expect(await d.list()).toEqual(['a', 'b', 'c']);
  });

  it('removes the short link with the layer', async () => {
    await d.create('a');
    const short = await readFile(path.join(root, 'a', 'link'), 'utf8');
    await d.remove('a');
    expect(await readdir(path.join(root, 'l'))).not.toContain(short);
  });

  it('mounts a base layer as its diff dir, a read-only layer read-only, a read-write layer writable', async () => {
    await d.create('base');
    await d.applyDiff('base', layerTar([file('f')]));
    expect(await d.mount('base')).toBe(path.join(root, 'base', 'diff'));
    await d.create('ro', { parent: 'base' });
    await d.createReadWrite('rw', { parent: 'ro' });
    const ro = await d.mount('ro');
    await expect(writeFile(path.join(ro, 'x'), 'x')).rejects.toMatchObject({ code: 'EROFS' });
    const rw = await d.mount('rw');
    await writeFile(path.join(rw, 'x'), 'x');
    expect(await readFile(path.join(root, 'rw', 'diff', 'x'), 'utf8')).toBe('x');
    expect(await d.mountOptions('rw')).toMatch(/^index=off,redirect_dir=off,metacopy=off,lowerdir=l\/\w{26}:l\/\w{26},upperdir=rw\/diff,workdir=rw\/work$/);
  });

  it('mounts a 60-layer chain, each layer visible, with relative options well within one page', async () => {
    let parent: string | undefined;
    for (let i = 0; i < 60; i++) {
      const id = `${String(i).padStart(2, '0')}${'f'.repeat(62)}`; // 64 characters, like real ids
      await d.create(id, parent ? { parent } : {});
      await d.applyDiff(id, layerTar([file(`f${i}`)]));
      parent = id;
    }
    await d.createReadWrite('top', { parent });
    const options = await d.mountOptions('top');
    expect(options.split(':')).toHaveLength(60);
    expect(options.length).toBeLessThan(2048); // absolute paths would need 60 × ~90 bytes
    const merged = await d.mount('top');
    expect((await readdir(merged)).length).toBe(60);
    expect(await readFile(path.join(merged, 'f0'), 'utf8')).toBe('f0');
    await d.unmount('top');
    expect(await countMounts(merged)).toBe(0);
  });

  it('mounts the deepest chain allowed (125 ancestors, 64-character ids) and refuses a deeper one', async () => {
    const id = (i: number) => `${String(i).padStart(3, '0')}${'e'.repeat(61)}`;
    await d.create(id(0));
    for (let i = 1; i <= 125; i++) await d.create(id(i), { parent: id(i - 1) });
    await d.createReadWrite(id(999), { parent: id(124) });
    expect((await d.mountOptions(id(999))).length).toBeLessThan(4096);
    await d.mount(id(999)); // the kernel takes one page of options: this is the limit that matters
    await d.unmount(id(999));
    await expect(d.create('too-deep', { parent: id(125) })).rejects.toMatchObject({ kind: 'InvalidArgument' });
  });

  it('reserves the id "l" and refuses a tampered lower file', async () => {
    await expect(d.create('l')).rejects.toMatchObject({ kind: 'InvalidArgument' });
    await d.create('a');
    await d.create('b', { parent: 'a' });
    await writeFile(path.join(root, 'b', 'lower'), 'l/AAAAAAAAAAAAAAAAAAAAAAAAAA,upperdir=/etc');
    await expect(d.mount('b')).rejects.toMatchObject({ kind: 'Internal' });
  });

  it('recover() unmounts stale mounts, adopts read-write ones, and deletes crash leftovers', async () => {
    await d.create('base');
    await d.create('ro', { parent: 'base' });
    await d.createReadWrite('rw', { parent: 'base' });
    const [ro, rw] = [await d.mount('ro'), await d.mount('rw')];
    await mkdir(path.join(root, '.tmp-deadbeef', 'diff'), { recursive: true });
    await symlink('../gone/diff', path.join(root, 'l', 'ZZZZZZZZZZZZZZZZZZZZZZZZZZ'));
    // A new process: the old one crashed holding both mounts.
    const after = new Overlay2Driver({ root });
    expect(await after.recover()).toEqual({ unmounted: [ro], adopted: ['rw'] });
    expect(await countMounts(ro)).toBe(0);
    expect(await readdir(root)).toEqual(['base', 'l', 'ro', 'rw']);
    expect(await readdir(path.join(root, 'l'))).toHaveLength(3);
    expect(await after.mount('rw')).toBe(rw); // counted, not stacked
    expect(await countMounts(rw)).toBe(1);
    await after.unmount('rw');
    expect(await countMounts(rw)).toBe(0);
  });

  it('status() reports what the probe found', async () => {
    expect(Object.fromEntries(await d.status())).toEqual({
      'Backing Filesystem': expect.any(String), 'Supports d_type': 'true', 'Using metacopy': 'false', 'Native Overlay Diff': 'true', userxattr: 'false',
    });
  });

  it('runs as the storage.overlay2 plugin', async () => {
    const engine = await startTestEngine({ plugins: [overlay2StoragePlugin] });
    try {
      expect(engine.plugins().find((p) => p.id === 'storage.overlay2')?.status).toBe('running');
      const driver = engine.drivers(drivers.storage).get('overlay2')!;
      await driver.create('a');
      expect(await driver.list()).toEqual(['a']);
    } finally {
      await clean(engine.root).finally(() => engine.stop());
    }
  });
});
