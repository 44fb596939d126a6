/**
 * Whiteouts both ways: Docker's `.wh.` entries become overlayfs's own forms in a layer's diff dir
 * (char 0/0 devices, `trusted.overlay.opaque=y`), and overlayfs's forms — written by applyDiff or
 * by the kernel through a mount — become `.wh.` entries in diffs. Root only (devices and
 * trusted xattrs).
 */
import { execFile } from 'node:child_process';
import { link, lstat, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readTar } from '@keel/sdk/tar';
import { layerTar } from '@keel/sdk/testkit';
import { overlayDiffTar } from './overlay-diff.js';
import { mountsUnder, unmountPath } from './overlay-mounts.js';
import { Overlay2Driver } from './overlay2-driver.js';

const run = promisify(execFile);
const root0 = process.getuid?.() === 0;
if (!root0) console.warn('overlay whiteout tests skipped: needs root');

let root: string;
let d: Overlay2Driver;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'keel-ovl-wh-'));
  d = new Overlay2Driver({ root });
});
afterEach(async () => {
  try {
    for (const m of await mountsUnder(root)) await unmountPath(m);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

async function entries(tar: Readable): Promise<string[]> {
  const out: string[] = [];
  for await (const { header, body } of readTar(tar)) {
    for await (const _ of body) void _;
    out.push(`${header.type} ${header.path}${header.xattrs ? ` ${Object.keys(header.xattrs).join(',')}` : ''}`);
  }
  return out;
}

const isWhiteout = async (p: string) => {
  const s = await lstat(p);
  return s.isCharacterDevice() && s.rdev === 0;
};

async function base(): Promise<void> {
  await d.create('base');
  await d.applyDiff('base', layerTar([
    { path: 'f', type: 'file', content: 'f' }, { path: 'dir/', type: 'dir' }, { path: 'dir/x', type: 'file', content: 'x' },
    { path: 'opq/', type: 'dir' }, { path: 'opq/old', type: 'file', content: 'old' },
  ]));
}

describe.skipIf(!root0)('overlay whiteouts', () => {
  it('.wh. entries become char 0/0 devices and an opaque xattr in the diff dir, and come back out as .wh.', async () => {
    await base();
    await d.create('child', { parent: 'base' });
    await d.applyDiff('child', layerTar([{ path: '.wh.f', type: 'file' }, { path: 'dir/.wh.x', type: 'file' }, { path: 'opq/', type: 'dir' }, { path: 'opq/.wh..wh..opq', type: 'file' }]));
    const upper = path.join(root, 'child', 'diff');
    expect(await isWhiteout(path.join(upper, 'f'))).toBe(true);
    expect(await isWhiteout(path.join(upper, 'dir', 'x'))).toBe(true);
    const { stdout } = await run('getfattr', ['-n', 'trusted.overlay.opaque', '--only-values', path.join(upper, 'opq')]);
    expect(stdout).toBe('y');
    expect(await entries(await d.diff('child'))).toEqual(['dir dir/', 'file dir/.wh.x', 'file .wh.f', 'dir opq/', 'file opq/.wh..wh..opq']);
  });

  it('deletions made through a mount (rm, rm -r, a dir removed and made again) become .wh. entries', async () => {
    await base();
    await d.createReadWrite('rw', { parent: 'base' });
    const merged = await d.mount('rw');
    await rm(path.join(merged, 'f'));
    await rm(path.join(merged, 'dir'), { recursive: true });
    await rm(path.join(merged, 'opq'), { recursive: true });
    await mkdir(path.join(merged, 'opq')); // overlayfs marks the new dir opaque
    await writeFile(path.join(merged, 'opq', 'new'), 'new');
    await d.unmount('rw');
    expect(await entries(await d.diff('rw'))).toEqual(['file .wh.dir', 'file .wh.f', 'dir opq/', 'file opq/.wh..wh..opq', 'file opq/new']);
    expect((await d.changes('rw')).map((c) => `${c.kind} ${c.path}`)).toEqual(['2 /dir', '2 /f', '0 /opq', '1 /opq/new']);
  });

  it('diffs carry user and security xattrs but never overlayfs bookkeeping', async () => {
    await base();
    await d.createReadWrite('rw', { parent: 'base' });
    const merged = await d.mount('rw');
    await writeFile(path.join(merged, 'dir', 'x'), 'changed'); // copy-up may add trusted.overlay.* to dir
    await run('setfattr', ['-n', 'user.note', '-v', '0sAP8=', path.join(merged, 'dir', 'x')]);
    await d.unmount('rw');
    expect(await entries(await d.diff('rw'))).toEqual(['dir dir/', 'file dir/x user.note']);
  });

  it('whiteouts sharing one inode (as overlayfs makes them) all become .wh. entries', async () => {
    const dir = path.join(root, 'upper');
    await mkdir(path.join(dir, 'sub'), { recursive: true });
    await run('mknod', [path.join(dir, 'a'), 'c', '0', '0']);
    await link(path.join(dir, 'a'), path.join(dir, 'b'));
    await link(path.join(dir, 'a'), path.join(dir, 'sub', 'c'));
    await writeFile(path.join(dir, 'sub', 'real'), 'r');
    expect(await entries(overlayDiffTar(dir))).toEqual(['file .wh.a', 'file .wh.b', 'dir sub/', 'file sub/.wh.c', 'file sub/real']);
  });
});
