/**
 * The storage driver conformance suite. Call it from a vitest file with a factory that makes a
 * fresh driver on a temporary root; every case is named after a clause of the StorageDriver
 * contract. It imports vitest (a dev dependency of whoever runs it).
 * @packageDocumentation
 */
import { lstat, readFile, readlink, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StorageDriver } from '../drivers/storage.js';
import { TarWriter, type TarHeader } from '../tar/index.js';

/** What a factory returns: a driver on a fresh root, and how to clean it all up. */
export interface StorageDriverFixture {
  readonly driver: StorageDriver;
  cleanup(): Promise<void>;
}

type Entry = Partial<TarHeader> & { path: string; type: TarHeader['type']; content?: string };

/** A layer tar from entries (mode 0644 files / 0755 dirs unless given). */
export function layerTar(entries: readonly Entry[]): Readable {
  const w = new TarWriter();
  void (async () => {
    for (const { content, ...h } of entries) {
      const body = content === undefined ? undefined : Buffer.from(content);
      await w.add({ mode: h.type === 'dir' ? 0o755 : 0o644, uid: 0, gid: 0, mtime: 1_700_000_000, size: body?.length ?? 0, ...h }, body);
    }
    await w.finish();
  })().catch((err: Error) => w.readable.destroy(err));
  return w.readable;
}

/** A comparable listing of a tree: path → type, mode, target or content. */
async function snapshot(root: string, rel = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(path.join(root, rel))).sort()) {
    const p = `${rel}/${name}`;
    const s = await lstat(path.join(root, p));
    const mode = (s.mode & 0o7777).toString(8);
    if (s.isDirectory()) Object.assign(out, { [p]: `dir ${mode}` }, await snapshot(root, p));
    else if (s.isSymbolicLink()) out[p] = `link ${await readlink(path.join(root, p))}`;
    else if (s.isFile()) out[p] = `file ${mode} ${await readFile(path.join(root, p), 'utf8')}`;
    else out[p] = `special ${mode}`;
  }
  return out;
}

async function mountedPoints(): Promise<string[]> {
  return (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').map((l) => l.split(' ')[4] ?? '');
}

const BASE: Entry[] = [
  { path: 'etc/', type: 'dir' }, { path: 'etc/hosts', type: 'file', content: '127.0.0.1 localhost\n' },
  { path: 'opt/', type: 'dir' }, { path: 'opt/d/', type: 'dir' }, { path: 'opt/d/old', type: 'file', content: 'old' },
  { path: 'keep', type: 'file', content: 'to be deleted' }, { path: 'gone/', type: 'dir' }, { path: 'gone/x', type: 'file', content: 'x' },
];
const CHILD: Entry[] = [
  { path: 'new.txt', type: 'file', content: 'new', mode: 0o600 },
  { path: 'abs', type: 'symlink', linkpath: '/usr/bin/env' },
  { path: 'hard', type: 'hardlink', linkpath: 'new.txt' },
  { path: '.wh.keep', type: 'file' }, { path: '.wh.gone', type: 'file' },
  { path: 'opt/d/', type: 'dir' }, { path: 'opt/d/.wh..wh..opq', type: 'file' }, { path: 'opt/d/y', type: 'file', content: 'y' },
];

/** Registers the conformance cases for one driver. */
export function describeStorageDriverConformance(name: string, factory: () => Promise<StorageDriverFixture>): void {
  describe(`storage driver conformance: ${name}`, () => {
    let fx: StorageDriverFixture;
    let d: StorageDriver;
    beforeEach(async () => { fx = await factory(); d = fx.driver; });
    afterEach(async () => { await fx.cleanup(); });

    it('create makes a layer that exists until remove', async () => {
      await d.create('base');
      expect(await d.exists('base')).toBe(true);
      expect(await d.list()).toEqual(['base']);
      await expect(d.create('base')).rejects.toMatchObject({ kind: 'AlreadyExists' });
      await d.remove('base');
      expect(await d.exists('base')).toBe(false);
      expect(await d.list()).toEqual([]);
    });

    it('rejects ids that are not safe names', async () => {
      for (const id of ['../x', 'a/b', '', '..']) await expect(d.create(id)).rejects.toMatchObject({ kind: 'InvalidArgument' });
    });

    it('a child sees its parent, and its writes never reach the parent', async () => {
      await d.create('base');
      await d.applyDiff('base', layerTar(BASE));
      await d.createReadWrite('rw', { parent: 'base' });
      const rw = await d.mount('rw');
      expect(await readFile(path.join(rw, 'etc/hosts'), 'utf8')).toBe('127.0.0.1 localhost\n');
      await writeFile(path.join(rw, 'etc/hosts'), 'changed');
      const base = await d.mount('base');
      expect(await readFile(path.join(base, 'etc/hosts'), 'utf8')).toBe('127.0.0.1 localhost\n');
      await d.unmount('base');
      await d.unmount('rw');
      expect((await d.changes('rw')).map((c) => [c.path, c.kind])).toEqual([['/etc', 0], ['/etc/hosts', 0]]);
    });

    it('mounts are reference counted', async () => {
      await d.create('base');
      await d.applyDiff('base', layerTar(BASE));
      await d.create('c', { parent: 'base' });
      const a = await d.mount('c');
      const b = await d.mount('c');
      expect(b).toBe(a);
      await d.unmount('c');
      expect(await readFile(path.join(a, 'keep'), 'utf8')).toBe('to be deleted');
      await d.unmount('c');
      await d.unmount('c'); // unmounting an unmounted layer is harmless
    });

    it('applyDiff applies files, links and whiteouts; changes reports them', async () => {
      await d.create('base');
      expect(await d.applyDiff('base', layerTar(BASE))).toBeGreaterThan(0);
      await d.create('child', { parent: 'base' });
      await d.applyDiff('child', layerTar(CHILD));
      const root = await d.mount('child');
      try {
        const tree = await snapshot(root);
        expect(tree['/keep']).toBeUndefined();
        expect(tree['/gone']).toBeUndefined();
        expect(tree['/opt/d/old']).toBeUndefined();
        expect(tree['/opt/d/y']).toBe('file 644 y');
        expect(tree['/abs']).toBe('link /usr/bin/env');
        expect(tree['/new.txt']).toBe('file 600 new');
        expect((await lstat(path.join(root, 'hard'))).ino).toBe((await lstat(path.join(root, 'new.txt'))).ino);
        expect(tree['/etc/hosts']).toBe('file 644 127.0.0.1 localhost\n');
      } finally {
        await d.unmount('child');
      }
      const changes = Object.fromEntries((await d.changes('child')).map((c) => [c.path, c.kind]));
      expect(changes).toMatchObject({ '/keep': 2, '/gone': 2, '/new.txt': 1, '/abs': 1, '/hard': 1, '/opt/d/y': 1 });
    });

    it('diff of a layer, applied on the same parent, rebuilds the same tree', async () => {
      await d.create('base');
      await d.applyDiff('base', layerTar(BASE));
      await d.create('child', { parent: 'base' });
      await d.applyDiff('child', layerTar(CHILD));
      await d.create('copy', { parent: 'base' });
      await d.applyDiff('copy', await d.diff('child'));
      const [a, b] = [await d.mount('child'), await d.mount('copy')];
      try {
        expect(await snapshot(b)).toEqual(await snapshot(a));
      } finally {
        await d.unmount('child');
        await d.unmount('copy');
      }
    });

    it('remove works while mounted and leaves no mount behind', async () => {
      await d.create('base');
      await d.applyDiff('base', layerTar(BASE));
      await d.create('c', { parent: 'base' });
      const root = await d.mount('c');
      await d.remove('c');
      expect(await d.exists('c')).toBe(false);
      expect(await mountedPoints()).not.toContain(root);
    });

    it('usage counts the layer own bytes', async () => {
      await d.create('base');
      await d.applyDiff('base', layerTar([{ path: 'big', type: 'file', content: 'x'.repeat(10_000) }]));
      const u = await d.usage('base');
      expect(u.size).toBeGreaterThanOrEqual(10_000);
      expect(u.inodes).toBeGreaterThanOrEqual(1);
    });
  });
}
