import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFakeLogger, MemoryStateStore } from '@keel/sdk/testkit';
import { LocalVolumeDriver } from './local-driver.js';
import { mountedAt, mountVolume, unmountVolume } from './local-mounts.js';

const asRoot = process.getuid?.() === 0;

describe('LocalVolumeDriver (beyond the conformance suite)', () => {
  let root: string;
  let state: MemoryStateStore;
  const open = async () => {
    const d = new LocalVolumeDriver({ root, state, log: createFakeLogger() });
    await d.open();
    return d;
  };
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'keel-local-'));
    state = new MemoryStateStore();
  });
  afterEach(async () => {
    for (let m = await mountedAt(root); m.length; m = await mountedAt(root)) for (const p of m) await unmountVolume(p);
    await rm(root, { recursive: true, force: true });
  });

  it('names and options are refused in Docker\'s words', async () => {
    const d = await open();
    await expect(d.create('x')).rejects.toMatchObject({ kind: 'InvalidArgument', message: 'volume name is too short, names should be at least two alphanumeric characters' });
    await expect(d.create('v1', { options: { bogus: '1', type: 'tmpfs' } })).rejects.toMatchObject({ message: 'invalid option key: "bogus"' });
    await expect(d.create('v1', { options: { type: 'tmpfs' } })).rejects.toMatchObject({ message: 'missing required option: "device"' });
    await expect(d.create('v1', { options: { o: 'bind', device: '/x' } })).rejects.toMatchObject({ message: 'missing required option: "type"' });
    expect(await readdir(root)).toEqual([]);
  });

  it('open: a directory without a record (an interrupted create) is removed; recorded volumes get their _data back', async () => {
    const d = await open();
    await d.create('kept');
    await rm(path.join(root, 'kept'), { recursive: true });
    await mkdir(path.join(root, 'half-made', '_data'), { recursive: true });
    await writeFile(path.join(root, 'half-made', '_data', 'f'), 'x');
    await open();
    expect((await readdir(root)).sort()).toEqual(['kept']);
    expect(await readdir(path.join(root, 'kept'))).toEqual(['_data']);
  });

  it.skipIf(!asRoot)('open (root): refs of a volume no longer mounted are dropped; a mount nobody holds is undone', async () => {
    const d = await open();
    const tmpfs = { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' };
    await d.create('lost', { options: tmpfs });
    await d.create('stray', { options: tmpfs });
    const lost = await d.mount('lost', 'c1');
    await unmountVolume(lost); // as a reboot would
    const stray = path.join(root, 'stray', '_data');
    await mountVolume(tmpfs, stray); // as an interrupted unmount would leave it
    const again = await open();
    expect(await mountedAt(root)).toEqual([]);
    await again.remove('lost'); // no refs any more
    await again.remove('stray');
  });

  it.skipIf(!asRoot)('remove (root): never deletes through a mount left on _data', async () => {
    const d = await open();
    await d.create('plain');
    const host = await mkdtemp(path.join(tmpdir(), 'keel-local-host-'));
    try {
      await writeFile(path.join(host, 'precious'), 'x');
      await mountVolume({ type: 'none', device: host, o: 'bind' }, path.join(root, 'plain', '_data'));
      await d.remove('plain');
      expect(await readdir(host)).toEqual(['precious']);
      expect(await mountedAt(root)).toEqual([]);
    } finally {
      await rm(host, { recursive: true, force: true });
    }
  });
});
