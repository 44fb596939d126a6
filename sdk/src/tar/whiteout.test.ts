import { execFileSync } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractLayer, type TarWriterEntry, type WhiteoutMode } from './index.js';
import { TempArea, isRoot, listTree, tarOf } from './test-support.js';

const area = new TempArea();
beforeEach(() => area.create());
afterEach(() => area.cleanup());

if (!isRoot) console.log('whiteout.test.ts: root-only cases skipped (owners, devices, trusted/security xattrs, overlay mounts need root)');
type Entries = Array<readonly [TarWriterEntry, string?]>;
const apply = async (dir: string, entries: Entries, whiteouts: WhiteoutMode) => extractLayer(Readable.from([await tarOf(entries)]), dir, { whiteouts });
const names = async (dir: string) => (await readdir(dir)).sort();

/** What lower layers left: files, a dir with lower children, a nested dir. */
const LOWER: Entries = [
  [{ path: 'gone', type: 'file' }, 'gone'],
  [{ path: 'gone-dir/deep/x', type: 'file' }, 'x'],
  [{ path: 'keep', type: 'file' }, 'keep'],
  [{ path: 'd/old', type: 'file' }, 'old'],
  [{ path: 'd/sub/lower', type: 'file' }, 'lower'],
  [{ path: 'd/sub/also', type: 'file' }, 'also'],
  [{ path: 'd/implicit/lower', type: 'file' }, 'lower'],
];

/** A layer with whiteouts and an opaque dir whose marker comes after some of its own entries. */
const LAYER: Entries = [
  [{ path: '.wh.gone', type: 'file' }, ''],
  [{ path: '.wh.gone-dir', type: 'file' }, ''],
  [{ path: '.wh.never-existed', type: 'file' }, ''],
  [{ path: 'missing-dir/.wh.x', type: 'file' }, ''],
  [{ path: 'd/', type: 'dir' }],
  [{ path: 'd/before', type: 'file' }, 'before'],
  [{ path: 'd/sub/', type: 'dir' }],
  [{ path: 'd/sub/same-layer', type: 'file' }, 'same'],
  [{ path: 'd/implicit/new', type: 'file' }, 'written without an entry for its directory'],
  [{ path: 'd/.wh..wh..opq', type: 'file' }, ''],
  [{ path: 'd/after', type: 'file' }, 'after'],
];

describe('whiteouts: apply', () => {
  it('deletes what whiteouts name; an opaque dir loses lower content only', async () => {
    await apply(area.root, LOWER, 'apply');
    const r = await apply(area.root, LAYER, 'apply');
    expect(await names(area.root)).toEqual(['d', 'keep']); // no missing-dir created for a whiteout
    expect(await names(path.join(area.root, 'd'))).toEqual(['after', 'before', 'implicit', 'sub']);
    expect(await names(path.join(area.root, 'd/sub'))).toEqual(['same-layer']);
    expect(await names(path.join(area.root, 'd/implicit'))).toEqual(['new']);
    expect(r.entries).toBe(LAYER.length);
  });

  it('an opaque marker at the root clears the lower root', async () => {
    await apply(area.root, LOWER, 'apply');
    await apply(area.root, [[{ path: 'new', type: 'file' }, 'n'], [{ path: '.wh..wh..opq', type: 'file' }, '']], 'apply');
    expect(await names(area.root)).toEqual(['new']);
  });

  it('resolves whiteouts through in-root symlinks, never the host', async () => {
    await mkdir(path.join(area.root, 'real'));
    await writeFile(path.join(area.root, 'real/victim'), 'v');
    await symlink('/real', path.join(area.root, 'abs'));
    const before = area.canaryState();
    await apply(area.root, [[{ path: 'abs/.wh.victim', type: 'file' }, '']], 'apply');
    expect(await names(path.join(area.root, 'real'))).toEqual([]);
    expect(area.canaryState()).toEqual(before);
  });

  it('skips aufs metadata with a warning', async () => {
    const r = await apply(area.root, [[{ path: '.wh..wh.plnk/1234.5', type: 'file' }, 'x'], [{ path: '.wh..wh.aufs', type: 'file' }, '']], 'apply');
    expect(await names(area.root)).toEqual([]);
    expect(r.warnings).toHaveLength(2);
  });
});

describe('whiteouts: keep', () => {
  it('writes them as plain files', async () => {
    await apply(area.root, LAYER, 'keep');
    expect(await names(area.root)).toEqual(['.wh.gone', '.wh.gone-dir', '.wh.never-existed', 'd', 'missing-dir']);
    expect(await names(path.join(area.root, 'd'))).toEqual(['.wh..wh..opq', 'after', 'before', 'implicit', 'sub']);
  });
});

describe.skipIf(!isRoot)('whiteouts: overlay (root)', () => {
  it('writes char 0/0 devices (hardlinks of one inode) and the opaque xattr, and deletes nothing of lower layers', async () => {
    await apply(area.root, [[{ path: 'gone', type: 'file' }, 'same layer, then whited out']], 'overlay');
    const r = await apply(area.root, LAYER, 'overlay');
    expect(r.warnings).toEqual([]);
    expect(await names(area.root)).toEqual(['d', 'gone', 'gone-dir', 'missing-dir', 'never-existed']);
    const wh = await stat(path.join(area.root, 'gone'));
    expect([wh.isCharacterDevice(), wh.rdev, wh.mode & 0o7777]).toEqual([true, 0, 0]);
    expect((await stat(path.join(area.root, 'gone-dir'))).ino).toBe(wh.ino); // one template, linked
    expect((await lstat(path.join(area.root, 'missing-dir/x'))).isCharacterDevice()).toBe(true);
    const opaque = (p: string) => execFileSync('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', path.join(area.root, p)], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    expect(opaque('d')).toBe('y');
    expect(() => opaque('d/sub')).toThrow();
    expect(await names(path.join(area.root, 'd'))).toEqual(['after', 'before', 'implicit', 'sub']);
  });

  it('gives the kernel overlay the tree that apply mode gives', async () => {
    const lower = path.join(area.dir, 'lower');
    const merged = path.join(area.dir, 'merged');
    const work = path.join(area.dir, 'work');
    await Promise.all([lower, merged, work].map((d) => mkdir(d)));
    // A whiteout in a directory that exists nowhere below shows in an overlay readdir: leave it out.
    const layer = LAYER.filter(([h]) => !h.path.startsWith('missing-dir'));
    await apply(lower, LOWER, 'apply');
    await apply(area.root, layer, 'overlay');
    await apply(path.join(area.dir, 'flat'), LOWER, 'apply');
    await apply(path.join(area.dir, 'flat'), layer, 'apply');
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${area.root},workdir=${work}`, merged]);
    try {
      const strip = (l: string) => l.replace(/ @\d+$/, '');
      const tree = (d: string) => listTree(d, { xattrs: false }).filter((l) => !l.startsWith('. ')).map(strip);
      expect(tree(merged)).toEqual(tree(path.join(area.dir, 'flat')));
      expect(await readFile(path.join(merged, 'd/sub/same-layer'), 'utf8')).toBe('same');
    } finally {
      execFileSync('umount', [merged]);
    }
  });
});
