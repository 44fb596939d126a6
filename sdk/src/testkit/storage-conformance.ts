/**
 * The storage driver conformance suite: what every {@link StorageDriver} must do, as vitest cases
 * named after the clauses of the contract. Call it from a vitest file with a factory that makes a
 * fresh driver on a fresh root. This module imports `vitest` (a devDependency of whoever runs the
 * suite), so import it from test files only.
 *
 * @example
 * ```ts
 * describeStorageDriverConformance('mydriver', async () => {
 *   const root = await mkdtemp(path.join(tmpdir(), 'mydriver-'));
 *   return { driver: new MyDriver({ root }), cleanup: () => rm(root, { recursive: true, force: true }) };
 * });
 * ```
 * @packageDocumentation
 */
import { access, lstat, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StorageDriver } from '../drivers/storage.js';
import { privilegedStorageCases } from './storage-privileged.js';
import { BASE, CHILD, CHILD_BYTES, layerTar, mountsAt, snapshot, tarEntries } from './storage-tree.js';

export { layerTar, type LayerTarEntry } from './storage-tree.js';

/** What a conformance factory returns: a driver on a fresh root, and how to clean it all up. */
export interface StorageDriverFixture {
  readonly driver: StorageDriver;
  /** Unmounts whatever the driver left mounted and removes its root; runs even after a failed case. */
  cleanup(): Promise<void>;
}

/** Options of {@link describeStorageDriverConformance}. */
export interface StorageConformanceOptions {
  /**
   * Run the cases that need root — device nodes, ownership, `trusted.`/`security.` xattrs
   * (default true). Even when true they skip, printing why, if the process is not root.
   */
  readonly privileged?: boolean;
}

const pathExists = (p: string) => access(p).then(() => true, () => false);

/** What the case groups share: the driver and two shorthands. */
interface Suite {
  /** Forwards to the driver of the running case (a fresh one per case). */
  readonly d: StorageDriver;
  /** base ← child, with BASE and CHILD applied. */
  baseAndChild(): Promise<void>;
  /** Runs `fn` on the layer's mounted root, unmounting even when it fails. */
  withMount<T>(id: string, fn: (root: string) => Promise<T>): Promise<T>;
}

/** Registers the conformance cases for one driver, each on a fresh driver from `factory`. */
export function describeStorageDriverConformance(name: string, factory: () => Promise<StorageDriverFixture>, opts: StorageConformanceOptions = {}): void {
  describe(`StorageDriver conformance: ${name}`, () => {
    let fx: StorageDriverFixture | undefined;
    beforeEach(async () => { fx = await factory(); });
    afterEach(async () => { await fx?.cleanup(); fx = undefined; });
    // Cases are registered once but run on a fresh driver each: `d` forwards to the current one.
    const d = new Proxy({} as StorageDriver, {
      get(_, key) {
        const driver = fx!.driver;
        const value: unknown = Reflect.get(driver, key, driver);
        return typeof value === 'function' ? value.bind(driver) : value;
      },
    });
    const suite: Suite = {
      d,
      async baseAndChild() {
        await d.create('base');
        await d.applyDiff('base', layerTar(BASE));
        await d.create('child', { parent: 'base' });
        await d.applyDiff('child', layerTar(CHILD));
      },
      async withMount(id, fn) {
        const root = await d.mount(id);
        try { return await fn(root); } finally { await d.unmount(id); }
      },
    };
    lifecycleCases(suite);
    mountCases(suite);
    diffCases(suite);
    privilegedStorageCases(d, opts.privileged ?? true);
  });
}

/** create, exists, list, remove, ids. */
function lifecycleCases({ d }: Suite): void {
  it('create: a layer exists from create until remove, and list() shows it', async () => {
    await d.create('base');
    await d.createReadWrite('rw', { parent: 'base' });
    expect(await d.exists('base')).toBe(true);
    expect((await d.list()).sort()).toEqual(['base', 'rw']);
    await d.remove('rw');
    await d.remove('base');
    expect(await d.exists('base')).toBe(false);
    expect(await d.list()).toEqual([]);
  });

  it('create: an existing id is AlreadyExists, a missing parent NotFound', async () => {
    await d.create('base');
    await expect(d.create('base')).rejects.toMatchObject({ kind: 'AlreadyExists' });
    await expect(d.createReadWrite('base')).rejects.toMatchObject({ kind: 'AlreadyExists' });
    await expect(d.create('orphan', { parent: 'nope' })).rejects.toMatchObject({ kind: 'NotFound' });
    expect(await d.exists('orphan')).toBe(false);
  });

  it('remove: removing a layer that does not exist is not an error', async () => {
    await d.remove('never-made');
    await d.create('base');
    await d.remove('base');
    await d.remove('base');
  });

  it('ids: unsafe ids are InvalidArgument in every call', async () => {
    await d.create('base');
    const calls: Array<(id: string) => Promise<unknown>> = [
      (id) => d.create(id), (id) => d.createReadWrite(id), (id) => d.create('ok', { parent: id }), (id) => d.remove(id),
      (id) => d.mount(id), (id) => d.unmount(id), (id) => d.exists(id), (id) => d.applyDiff(id, layerTar([])),
      (id) => d.diff(id), (id) => d.changes(id), (id) => d.usage(id),
    ];
    for (const id of ['../base', 'a/b', '', '.', '..', '/etc', 'x\0y', '-rf', 'base/../base']) {
      for (const call of calls) await expect((async () => call(id))()).rejects.toMatchObject({ kind: 'InvalidArgument' });
    }
    expect(await d.list()).toEqual(['base']);
  });
  it('usage: counts the bytes and inodes of the layer itself, not its parents', async () => {
    await d.create('base');
    await d.applyDiff('base', layerTar([{ path: 'big', type: 'file', content: 'x'.repeat(10_000) }]));
    await d.create('child', { parent: 'base' });
    await d.applyDiff('child', layerTar([{ path: 'small', type: 'file', content: 'y'.repeat(3_000) }]));
    const [base, child] = [await d.usage('base'), await d.usage('child')];
    expect(base.size).toBeGreaterThanOrEqual(10_000);
    expect(base.inodes).toBeGreaterThanOrEqual(1);
    expect(child.size).toBeGreaterThanOrEqual(3_000);
    expect(child.size).toBeLessThan(10_000);
  });
}

/** Parent chains, mounts and their reference counts, writes through a read-write mount. */
function mountCases({ d, baseAndChild, withMount }: Suite): void {
  it('parent chains: a layer sees the files of all its ancestors, minus what they deleted', async () => {
    await d.create('l1');
    await d.applyDiff('l1', layerTar([{ path: 'a', type: 'file', content: 'a' }, { path: 'b', type: 'file', content: 'b' }]));
    await d.create('l2', { parent: 'l1' });
    await d.applyDiff('l2', layerTar([{ path: 'c', type: 'file', content: 'c' }, { path: '.wh.a', type: 'file' }]));
    await d.create('l3', { parent: 'l2' });
    await d.applyDiff('l3', layerTar([{ path: 'b', type: 'file', content: 'b3' }]));
    const tree = await withMount('l3', snapshot);
    expect(Object.keys(tree)).toEqual(['/b', '/c']);
    expect(tree['/b']).toContain('"b3"');
    expect(Object.keys(await withMount('l1', snapshot))).toEqual(['/a', '/b']);
  });

  it('mount: returns a root with the layer files, reference counted', async () => {
    await baseAndChild();
    const a = await d.mount('child');
    const wasMounted = (await mountsAt(a)).includes(a);
    expect(await d.mount('child')).toBe(a);
    await d.unmount('child');
    expect(await readFile(path.join(a, 'new.txt'), 'utf8')).toBe('new');
    await d.unmount('child');
    if (wasMounted) expect(await mountsAt(a)).toEqual([]);
    await d.unmount('child'); // one more than mounted: a no-op
    await d.unmount('base');
  });

  it('mount: concurrent mounts of one layer share one root and one mount', async () => {
    await baseAndChild();
    const roots = await Promise.all([1, 2, 3, 4].map(() => d.mount('child')));
    expect(new Set(roots).size).toBe(1);
    expect((await mountsAt(roots[0]!)).length).toBeLessThanOrEqual(1);
    await Promise.all(roots.map(() => d.unmount('child')));
    expect(await mountsAt(roots[0]!)).toEqual([]);
  });

  it('mount: an unknown layer is NotFound', async () => {
    await expect(d.mount('nope')).rejects.toMatchObject({ kind: 'NotFound' });
  });

  it('remove: works while mounted and leaves no mount behind', async () => {
    await baseAndChild();
    await d.createReadWrite('rw', { parent: 'child' });
    const roots = [await d.mount('rw'), await d.mount('rw'), await d.mount('child')];
    await d.remove('rw');
    await d.remove('child');
    expect(await d.exists('rw')).toBe(false);
    expect(await d.list()).toEqual(['base']);
    for (const r of roots) expect(await mountsAt(r)).toEqual([]);
  });

  it('createReadWrite: writes through the mount never reach the parent, and changes() reports them', async () => {
    await d.create('base');
    await d.applyDiff('base', layerTar(BASE));
    await d.createReadWrite('rw', { parent: 'base' });
    await withMount('rw', async (root) => {
      await writeFile(path.join(root, 'etc/hosts'), 'changed');
      await writeFile(path.join(root, 'added'), 'added');
      await rm(path.join(root, 'keep'));
      await rm(path.join(root, 'gone'), { recursive: true });
    });
    const base = await withMount('base', snapshot);
    expect(base['/etc/hosts']).toContain('127.0.0.1 localhost');
    expect(Object.keys(base)).toEqual(expect.arrayContaining(['/keep', '/gone', '/gone/x']));
    const changes = (await d.changes('rw')).map((c) => `${c.kind} ${c.path}`).sort();
    expect(changes).toEqual(['0 /etc', '0 /etc/hosts', '1 /added', '2 /gone', '2 /keep']);
  });
}

/** applyDiff, changes and diff, and their round trip. */
function diffCases({ d, baseAndChild, withMount }: Suite): void {
  it('applyDiff: applies files, dirs, absolute symlinks, hardlinks, whiteouts and opaque dirs', async () => {
    await d.create('base');
    expect(await d.applyDiff('base', layerTar(BASE))).toBeGreaterThan(0);
    await d.create('child', { parent: 'base' });
    expect(await d.applyDiff('child', layerTar(CHILD))).toBe(CHILD_BYTES);
    await withMount('child', async (root) => {
      const tree = await snapshot(root);
      expect(Object.keys(tree)).toEqual(['/bin', '/bin/env', '/etc', '/etc/hosts', '/hard', '/new.txt', '/opt', '/opt/d', '/opt/d/y']);
      expect(tree['/bin']).toMatch(/^dir 750 /);
      expect(tree['/bin/env']).toBe('symlink -> /usr/bin/env');
      expect(tree['/new.txt']).toMatch(/^file 600 .* "new"/);
      expect(tree['/hard']).toMatch(/=\/hard$|=\/new\.txt$/);
      expect((await lstat(path.join(root, 'hard'))).ino).toBe((await lstat(path.join(root, 'new.txt'))).ino);
      expect(tree['/etc/hosts']).toContain('"10.0.0.1 changed\\n"');
    });
  });

  it('changes: an applied diff is reported with Docker kinds (0 modified, 1 added, 2 deleted)', async () => {
    await baseAndChild();
    const changes = Object.fromEntries((await d.changes('child')).map((c) => [c.path, c.kind]));
    expect(changes).toMatchObject({ '/etc': 0, '/etc/hosts': 0, '/keep': 2, '/gone': 2, '/new.txt': 1, '/bin': 1, '/bin/env': 1, '/hard': 1, '/opt/d/y': 1 });
    expect(changes['/gone/x']).toBeUndefined(); // inside a deleted dir: the dir's deletion says it
  });

  it('diff: carries deletions as .wh. entries and no storage-internal forms', async () => {
    await baseAndChild();
    const entries = await tarEntries(await d.diff('child'));
    expect([...entries.keys()]).toEqual(expect.arrayContaining(['.wh.keep', '.wh.gone', 'new.txt', 'hard', 'bin/env', 'opt/d/y', 'etc/hosts']));
    expect(entries.has('opt/d/.wh..wh..opq') || entries.has('opt/d/.wh.old')).toBe(true);
    for (const [p, h] of entries) {
      expect(h.type === 'char' && !h.devmajor && !h.devminor, `${p} is an overlay whiteout`).toBe(false);
      expect(Object.keys(h.xattrs ?? {}).filter((k) => k.includes('overlay.')), p).toEqual([]);
    }
    // One of the two names carries the content, the other links to it (either order is valid).
    const pair = [entries.get('hard'), entries.get('new.txt')].map((h) => `${h?.type}${h?.linkpath ? ` ${h.linkpath}` : ''}`).sort();
    expect([['file', 'hardlink hard'], ['file', 'hardlink new.txt']]).toContainEqual(pair);
  });

  it('diff: applied to a fresh layer on the same parent, yields the same tree', async () => {
    await baseAndChild();
    await d.create('copy', { parent: 'base' });
    await d.applyDiff('copy', await d.diff('child'));
    expect(await withMount('copy', snapshot)).toEqual(await withMount('child', snapshot));
  });

  it('diff: a layer without a parent diffs to all its files', async () => {
    await d.create('base');
    await d.applyDiff('base', layerTar(BASE));
    await d.create('again');
    await d.applyDiff('again', await d.diff('base'));
    expect(await withMount('again', snapshot)).toEqual(await withMount('base', snapshot));
  });

  it('applyDiff: entries that climb out of the layer are refused and nothing lands outside', async () => {
    const outside = `/tmp/keel-conformance-escape-${process.pid}`;
    await d.create('base');
    const hostile = layerTar([{ path: `../../../../../../../../..${outside}`, type: 'file', content: 'x' }]);
    await expect(d.applyDiff('base', hostile)).rejects.toMatchObject({ kind: 'InvalidArgument' });
    expect(await pathExists(outside)).toBe(false);
  });
}
