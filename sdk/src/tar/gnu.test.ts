/**
 * Interoperability with GNU tar (the reference implementation on every Linux host), both ways:
 * tars GNU tar writes (ustar, gnu, pax with xattrs) extract to the same tree as GNU tar's own
 * extraction, and what packDirectory / TarWriter write, GNU tar reads back exactly.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, lchown, link, lstat, lutimes, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestOf, extractLayer, packDirectory, readTar, TarWriter, type TarHeader } from './index.js';

const isRoot = process.getuid?.() === 0;
const rootOnly = isRoot ? it : it.skip; // reason: owners, devices and trusted.* xattrs need root
const XATTR_BIN = Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80, 0x0a]);
let tmp: string;
let src: string;

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
const setXattr = (p: string, name: string, v: Buffer) => sh('setfattr', ['-h', '-n', name, '-v', `0s${v.toString('base64')}`, p]);

/** A tree with every kind of entry a layer can hold; `wide` adds what only gnu/pax can encode. */
async function buildTree(dir: string, wide: boolean): Promise<void> {
  const at = (p: string) => path.join(dir, p);
  await mkdir(at('dir'), { recursive: true });
  await mkdir(at('sgid'));
  await mkdir(at(`l${'o'.repeat(90)}ng`));
  await mkdir(at('ünï'));
  await writeFile(at('dir/file'), 'hello\n');
  await writeFile(at('suid'), Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 256)));
  await writeFile(at('empty'), '');
  await writeFile(at(`l${'o'.repeat(90)}ng/${'n'.repeat(90)}`), 'long');
  await writeFile(at('ünï/ファイル'), 'unicode');
  await writeFile(at('hl1'), 'linked');
  await link(at('hl1'), at('hl2'));
  await symlink('/usr/bin/mawk', at('alt'));
  await symlink('dir/file', at('rel'));
  await symlink('../../nowhere', at('dangling'));
  sh('mknod', [at('fifo'), 'p']);
  if (wide) await writeFile(at('x'.repeat(200)), 'very long name');
  setXattr(at('suid'), 'user.bin', XATTR_BIN);
  setXattr(at('dir'), 'user.text', Buffer.from('hello'));
  if (isRoot) await rootOnlyParts(dir, wide);
  await chmod(at('suid'), 0o4755);
  await chmod(at('sgid'), 0o2755);
  await chmod(at('dir/file'), 0o640);
  await chmod(at('dir'), 0o750);
  await setTimes(dir);
}

async function rootOnlyParts(dir: string, wide: boolean): Promise<void> {
  const at = (p: string) => path.join(dir, p);
  sh('mknod', [at('null'), 'c', '1', '3']);
  sh('mknod', [at('loop'), 'b', '7', '200']);
  await lchown(at('dir/file'), 1234, 5678);
  await lchown(at('rel'), 42, 43);
  if (wide) await lchown(at('hl1'), 3_000_000_000, 3_000_000_001);
  setXattr(at('suid'), 'trusted.bin', XATTR_BIN);
}

/** Distinct whole-second mtimes, directories last (creating children changes them). */
async function setTimes(dir: string): Promise<void> {
  const all = (await walk(dir)).reverse();
  let t = 1_600_000_000;
  for (const rel of all) await lutimes(path.join(dir, rel), t, t++);
}

async function walk(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(path.join(dir, rel))).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    out.push(r);
    if ((await lstat(path.join(dir, r))).isDirectory()) out.push(...(await walk(dir, r)));
  }
  return out;
}

/** Everything extraction must restore, one line per path; hard links as "same inode as <first path>". */
async function describeTree(dir: string): Promise<string[]> {
  const inodes = new Map<number, string>();
  const lines: string[] = [];
  for (const rel of await walk(dir)) {
    const p = path.join(dir, rel);
    const s = await lstat(p);
    const first = s.isFile() && s.nlink > 1 ? inodes.get(s.ino) : undefined;
    if (s.isFile() && s.nlink > 1 && !first) inodes.set(s.ino, rel);
    const content = s.isFile() ? createHash('sha256').update(await readFile(p)).digest('hex').slice(0, 12) : '';
    const target = s.isSymbolicLink() ? `-> ${await readlink(p)}` : '';
    const kind = s.isFile() ? 'f' : s.isDirectory() ? 'd' : s.isSymbolicLink() ? 'l' : s.isFIFO() ? 'p' : s.isCharacterDevice() ? 'c' : 'b';
    const dev = s.isCharacterDevice() || s.isBlockDevice() ? `rdev=${s.rdev}` : '';
    const mtime = s.isSymbolicLink() ? '' : Math.floor(s.mtimeMs / 1000);
    lines.push([rel, kind, (s.mode & 0o7777).toString(8), `${s.uid}:${s.gid}`, s.isFile() ? s.size : '', content, target, dev, mtime, first ? `=${first}` : ''].join(' '));
  }
  return lines;
}

/** xattrs of the tree as getfattr prints them, relative names. */
function describeXattrs(dir: string): string {
  return execFileSync('getfattr', ['-R', '-P', '-h', '-d', '-m', '^(user|trusted)\\.', '-e', 'base64', '.'], { cwd: dir }).toString();
}

async function collect(r: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c);
  return Buffer.concat(parts);
}

beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'keel-tar-gnu-'));
  src = path.join(tmp, 'src');
  await mkdir(src);
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('reading what GNU tar writes', () => {
  for (const format of ['ustar', 'gnu', 'pax'] as const) {
    it(`--format=${format}: extracts the same tree as GNU tar`, async () => {
      await buildTree(src, format !== 'ustar');
      const archive = path.join(tmp, 'a.tar');
      const xattrs = format === 'pax' ? ['--xattrs', '--xattrs-include=*'] : [];
      sh('tar', ['-C', src, `--format=${format}`, '--numeric-owner', ...xattrs, '-cf', archive, '.']);
      const ours = path.join(tmp, 'ours');
      const theirs = path.join(tmp, 'theirs');
      await mkdir(theirs);
      const res = await extractLayer(Readable.from([await readFile(archive)]), ours);
      sh('tar', ['-C', theirs, '-xpf', archive, '--numeric-owner', ...(isRoot ? ['--same-owner'] : []), ...xattrs]);
      expect(await describeTree(ours)).toEqual(await describeTree(theirs));
      expect(await describeTree(ours)).toEqual(await describeTree(src));
      if (format === 'pax') expect(describeXattrs(ours)).toBe(describeXattrs(src));
      expect(res.warnings).toEqual([]);
    });
  }

  it('reads GNU tar base-256 numbers and long link targets', async () => {
    await symlink(`/${'t'.repeat(150)}/target`, path.join(src, 'longlink'));
    await writeFile(path.join(src, 'f'), 'x');
    if (isRoot) await lchown(path.join(src, 'f'), 3_000_000_000, 7);
    const archive = path.join(tmp, 'a.tar');
    sh('tar', ['-C', src, '--format=gnu', '--numeric-owner', '-cf', archive, 'longlink', 'f']);
    const headers: TarHeader[] = [];
    for await (const { header } of readTar(Readable.from([await readFile(archive)]))) headers.push(header);
    expect(headers.map((h) => [h.path, h.linkpath])).toEqual([['longlink', `/${'t'.repeat(150)}/target`], ['f', undefined]]);
    if (isRoot) expect(headers[1]!.uid).toBe(3_000_000_000);
  });
});

describe('packDirectory', () => {
  it('writes a tar GNU tar extracts to an identical tree', async () => {
    await buildTree(src, true);
    const out = path.join(tmp, 'out');
    await mkdir(out);
    const archive = path.join(tmp, 'p.tar');
    await writeFile(archive, await collect(packDirectory(src, { xattrs: true })));
    sh('tar', ['-C', out, '-xpf', archive, '--numeric-owner', '--xattrs', '--xattrs-include=*', ...(isRoot ? ['--same-owner'] : [])]);
    expect(await describeTree(out)).toEqual(await describeTree(src));
    expect(describeXattrs(out)).toBe(describeXattrs(src));
  });

  it('uses Docker layout: sorted, no "./", directories with a trailing slash, hard links as links', async () => {
    await buildTree(src, false);
    const headers: TarHeader[] = [];
    for await (const { header } of readTar(packDirectory(src))) headers.push(header);
    const names = headers.map((h) => h.path);
    expect(names.some((n) => n.startsWith('./') || n.startsWith('/'))).toBe(false);
    expect(names.filter((n) => n.endsWith('/'))).toEqual(headers.filter((h) => h.type === 'dir').map((h) => h.path));
    const bare = names.map((n) => n.replace(/\/$/, ''));
    expect(bare).toEqual(await walk(src));
    expect(headers.find((h) => h.path === 'hl2')).toMatchObject({ type: 'hardlink', linkpath: 'hl1' });
    expect(headers.find((h) => h.path === 'alt')).toMatchObject({ type: 'symlink', linkpath: '/usr/bin/mawk' });
    expect(headers.find((h) => h.path === 'suid')?.xattrs).toBeUndefined(); // xattrs only when asked
  });

  it('carries binary xattrs byte-exact and honours filter', async () => {
    await buildTree(src, false);
    const headers: TarHeader[] = [];
    for await (const { header } of readTar(packDirectory(src, { xattrs: true, filter: (p) => !p.startsWith('dir') }))) headers.push(header);
    expect(headers.find((h) => h.path === 'suid')?.xattrs?.['user.bin']).toEqual(XATTR_BIN);
    expect(headers.some((h) => h.path.startsWith('dir'))).toBe(false);
  });

  it('is deterministic and survives extract → pack unchanged', async () => {
    await buildTree(src, true);
    const first = await digestOf(packDirectory(src, { xattrs: true }));
    expect(await digestOf(packDirectory(src, { xattrs: true }))).toEqual(first);
    const copy = path.join(tmp, 'copy');
    await extractLayer(packDirectory(src, { xattrs: true }), copy);
    expect(await digestOf(packDirectory(copy, { xattrs: true }))).toEqual(first);
  });

  it('fails the stream when the root is missing', async () => {
    await expect(collect(packDirectory(path.join(tmp, 'missing')))).rejects.toThrow(/ENOENT/);
  });
});

describe('TarWriter output read by GNU tar', () => {
  rootOnly('long and unicode names, big ids, binary xattrs, links and devices round-trip', async () => {
    const w = new TarWriter();
    const bytes = collect(w.readable);
    const long = `${'d'.repeat(120)}/${'f'.repeat(150)}`;
    await w.add({ path: 'd/', type: 'dir', mode: 0o755, mtime: 1_700_000_000 });
    await w.add({ path: long, type: 'file', size: 4, mtime: 1_700_000_001 }, Buffer.from('long'));
    await w.add({ path: 'ünï/ファイル', type: 'file', uid: 3_000_000_000, gid: 5, size: 1, mtime: 1_700_000_002 }, Buffer.from('u'));
    await w.add({ path: 'cap', type: 'file', mode: 0o4755, size: 1, mtime: 1_700_000_003, xattrs: { 'trusted.bin': XATTR_BIN } }, Buffer.from('c'));
    await w.add({ path: 'hard', type: 'hardlink', linkpath: 'cap', mtime: 1_700_000_003 });
    await w.add({ path: 'awk', type: 'symlink', linkpath: '/usr/bin/mawk', mtime: 1_700_000_004 });
    await w.add({ path: 'null', type: 'char', mode: 0o666, devmajor: 1, devminor: 3, mtime: 1_700_000_005 });
    await w.add({ path: 'fifo', type: 'fifo', mode: 0o600, mtime: 1_700_000_006 });
    await w.finish();
    const archive = path.join(tmp, 'w.tar');
    await writeFile(archive, await bytes);
    sh('tar', ['-C', src, '-xpf', archive, '--numeric-owner', '--same-owner', '--xattrs', '--xattrs-include=*']);
    const ours = path.join(tmp, 'ours');
    await extractLayer(Readable.from([await readFile(archive)]), ours);
    expect(await describeTree(ours)).toEqual(await describeTree(src));
    expect(describeXattrs(ours)).toBe(describeXattrs(src));
    expect(describeXattrs(src)).toContain(`trusted.bin=0s${XATTR_BIN.toString('base64')}`);
    expect((await lstat(path.join(src, long))).size).toBe(4);
    expect((await lstat(path.join(src, 'ünï/ファイル'))).uid).toBe(3_000_000_000);
  });
});
