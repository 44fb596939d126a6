/**
 * Whiteout semantics checked against the kernel: the same layer stack is applied once flattened
 * (`whiteouts: 'apply'`, as vfs does) and once as overlayfs layer dirs (`whiteouts: 'overlay'`)
 * mounted read-only; the merged overlay view is the oracle the flattened tree must equal. Includes
 * the opaque-directory subtleties: the marker before or after this layer's own entries, and a layer
 * writing below an opaque dir without an entry for the intermediate directory.
 */
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractLayer, TarWriter, type TarWriterEntry } from './index.js';

const isRoot = process.getuid?.() === 0;
const hasOverlay = (() => {
  try {
    return execFileSync('cat', ['/proc/filesystems']).toString().includes('overlay');
  } catch {
    return false;
  }
})();
// reason: mounting overlayfs and creating whiteout devices need root and overlay support
const overlayOnly = isRoot && hasOverlay ? it : it.skip;
let tmp: string;
let mounted: string[] = [];

type Spec = Array<string | [string, string]>;

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

/** A layer from a compact spec: `dir/` = directory, `name` = empty file, [name, body] = file. */
async function layer(spec: Spec): Promise<Buffer> {
  const w = new TarWriter();
  const parts: Buffer[] = [];
  w.readable.on('data', (c: Buffer) => parts.push(c));
  const ended = new Promise((r) => w.readable.on('end', r));
  for (const item of spec) {
    const [name, body] = typeof item === 'string' ? [item, ''] : item;
    const h: TarWriterEntry = name.endsWith('/') ? { path: name, type: 'dir', mode: 0o755 } : { path: name, type: 'file', mode: 0o644, size: body.length };
    await w.add(h, name.endsWith('/') ? undefined : Buffer.from(body));
  }
  await w.finish();
  await ended;
  return Buffer.concat(parts);
}

/** name type content, for every path; what a container would see. */
async function view(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(path.join(dir, rel))).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const s = await lstat(path.join(dir, r));
    out.push(s.isDirectory() ? `${r}/` : s.isFile() ? `${r} ${await readFile(path.join(dir, r), 'utf8')}` : `${r} ?`);
    if (s.isDirectory()) out.push(...(await view(dir, r)));
  }
  return out;
}

async function flattened(layers: Buffer[]): Promise<string[]> {
  const flat = path.join(tmp, 'flat');
  for (const l of layers) await extractLayer(once(l), flat);
  return view(flat);
}

async function merged(layers: Buffer[]): Promise<string[]> {
  const dirs: string[] = [];
  for (const [i, l] of layers.entries()) {
    const d = path.join(tmp, `layer${i}`);
    await extractLayer(once(l), d, { whiteouts: 'overlay' });
    dirs.unshift(d);
  }
  const mnt = path.join(tmp, 'merged');
  await mkdir(mnt);
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${dirs.join(':')}`, mnt]);
  mounted.push(mnt);
  return view(mnt);
}

const base: Spec = [
  'a/', ['a/f1', '1'], 'a/sub/', ['a/sub/x', 'x'], ['keep', 'k'],
  'opq/', ['opq/lower1', 'l'], 'opq/lowerdir/', ['opq/lowerdir/y', 'y'],
  'gone/', ['gone/z', 'z'], ['wfile', 'w'],
];

const stacks: Record<string, Spec[]> = {
  'file and directory whiteouts, a type change': [base, ['a/.wh.f1', '.wh.gone', ['a/f2', '2'], 'wfile/', ['wfile/inner', 'i']]],
  'opaque marker before the layer entries': [base, ['opq/', 'opq/.wh..wh..opq', ['opq/new', 'n'], 'opq/lowerdir/', ['opq/lowerdir/n', 'n']]],
  'opaque marker after the layer entries': [base, ['opq/', ['opq/new', 'n'], 'opq/lowerdir/', ['opq/lowerdir/n', 'n'], 'opq/.wh..wh..opq']],
  'a layer file below an opaque dir without its parent entry': [base, [['opq/lowerdir/n', 'n'], 'opq/.wh..wh..opq']],
  'three layers, whiteout then re-create': [base, ['.wh.keep', 'a/sub/.wh..wh..opq'], [['keep', 'again'], ['a/sub/x', 'back']]],
};

beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'keel-tar-layers-'));
});
afterEach(async () => {
  for (const m of mounted) execFileSync('umount', [m]);
  mounted = [];
  await rm(tmp, { recursive: true, force: true });
});

describe('whiteouts: flattened apply equals the overlayfs view', () => {
  for (const [name, specs] of Object.entries(stacks)) {
    overlayOnly(name, async () => {
      const layers = await Promise.all(specs.map(layer));
      expect(await flattened(layers)).toEqual(await merged(layers));
    });
  }
});

describe('whiteouts: expected trees', () => {
  it('apply: opaque keeps exactly this layer\'s entries, in either order', async () => {
    for (const key of ['opaque marker before the layer entries', 'opaque marker after the layer entries']) {
      await rm(path.join(tmp, 'flat'), { recursive: true, force: true });
      const tree = await flattened(await Promise.all(stacks[key]!.map(layer)));
      expect(tree.filter((l) => l.startsWith('opq'))).toEqual(['opq/', 'opq/lowerdir/', 'opq/lowerdir/n n', 'opq/new n']);
    }
  });

  it('apply: deletes files and directories, replaces a file by a directory', async () => {
    const tree = await flattened(await Promise.all(stacks['file and directory whiteouts, a type change']!.map(layer)));
    expect(tree).not.toContain('a/f1 1');
    expect(tree.some((l) => l.startsWith('gone'))).toBe(false);
    expect(tree).toEqual(expect.arrayContaining(['a/f2 2', 'wfile/', 'wfile/inner i']));
    expect(tree.some((l) => l.includes('.wh.'))).toBe(false);
  });

  it('keep: whiteouts are ordinary files', async () => {
    const dir = path.join(tmp, 'keep');
    await extractLayer(once(await layer(['a/.wh.f1', 'opq/.wh..wh..opq'])), dir, { whiteouts: 'keep' });
    expect(await view(dir)).toEqual(['a/', 'a/.wh.f1 ', 'opq/', 'opq/.wh..wh..opq ']);
  });

  overlayOnly('overlay: a 0/0 char device and trusted.overlay.opaque=y', async () => {
    const dir = path.join(tmp, 'ovl');
    await extractLayer(once(await layer(['a/.wh.f1', 'opq/', 'opq/.wh..wh..opq'])), dir, { whiteouts: 'overlay' });
    const wh = await lstat(path.join(dir, 'a/f1'));
    expect(wh.isCharacterDevice() && wh.rdev === 0).toBe(true);
    expect(await readdir(path.join(dir, 'opq'))).toEqual([]);
    expect(execFileSync('getfattr', ['-n', 'trusted.overlay.opaque', '--only-values', path.join(dir, 'opq')]).toString()).toBe('y');
  });
});
