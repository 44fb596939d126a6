import { execFileSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, writeFile, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractLayer, readTar, TarError, TarWriter, maybeGunzip, type TarWriterEntry } from './index.js';
import { gzipSync } from 'node:zlib';

const isRoot = process.getuid?.() === 0;
let tmp: string;
let root: string;
let canary: string;

beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'keel-tar-'));
  root = path.join(tmp, 'root');
  canary = path.join(tmp, 'canary');
  await mkdir(root);
  await mkdir(canary);
  await writeFile(path.join(canary, 'secret'), 'untouched');
});
afterEach(async () => { await rm(tmp, { recursive: true, force: true }); });

async function tarOf(entries: Array<[TarWriterEntry, (Buffer | string)?]>): Promise<Buffer> {
  const w = new TarWriter();
  const chunks: Buffer[] = [];
  w.readable.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((r) => w.readable.on('end', r));
  for (const [h, body] of entries) await w.add({ mtime: 1_700_000_000, ...h, ...(body !== undefined ? { size: Buffer.byteLength(body) } : {}) }, body === undefined ? undefined : Buffer.from(body));
  await w.finish();
  await done;
  return Buffer.concat(chunks);
}

async function entriesOf(buf: Buffer) {
  const out: Array<{ path: string; type: string; body: string; xattrs?: Record<string, Buffer>; linkpath?: string; uid: number }> = [];
  for await (const { header, body } of readTar(Readable.from([buf]))) {
    const parts: Buffer[] = [];
    for await (const c of body) parts.push(c);
    out.push({ path: header.path, type: header.type, body: Buffer.concat(parts).toString(), xattrs: header.xattrs, linkpath: header.linkpath, uid: header.uid });
  }
  return out;
}

async function canaryIntact(): Promise<void> {
  expect(await readdir(canary)).toEqual(['secret']);
  expect(await readFile(path.join(canary, 'secret'), 'utf8')).toBe('untouched');
  expect(await readdir(tmp)).toEqual(['canary', 'root']);
}

describe('tar reader and writer', () => {
  it('round-trips long and unicode names, big ids, binary xattrs, links', async () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(150)}`;
    const cap = Buffer.from([0x01, 0x00, 0x00, 0x02, 0xff, 0xfe, 0x00, 0x80]);
    const buf = await tarOf([
      [{ path: long, type: 'file' }, 'long'],
      [{ path: 'ünïcödé/ファイル', type: 'file', uid: 3_000_000_000 }, 'u'],
      [{ path: 'bin/ping', type: 'file', xattrs: { 'security.capability': cap } }, 'x'],
      [{ path: 'abs', type: 'symlink', linkpath: '/usr/bin/mawk' }],
      [{ path: 'hl', type: 'hardlink', linkpath: 'bin/ping' }],
    ]);
    const got = await entriesOf(buf);
    expect(got.map((e) => e.path)).toEqual([long, 'ünïcödé/ファイル', 'bin/ping', 'abs', 'hl']);
    expect(got[0]!.body).toBe('long');
    expect(got[1]!.uid).toBe(3_000_000_000);
    expect(got[2]!.xattrs!['security.capability']!.equals(cap)).toBe(true);
    expect(got[3]).toMatchObject({ type: 'symlink', linkpath: '/usr/bin/mawk' });
    expect(got[4]).toMatchObject({ type: 'hardlink', linkpath: 'bin/ping' });
  });

  it.each(['ustar', 'gnu', 'pax'])('reads what GNU tar writes (--format=%s)', async (format) => {
    const src = path.join(tmp, 'src');
    await mkdir(path.join(src, 'a/b'), { recursive: true });
    await writeFile(path.join(src, 'a/b/file.txt'), 'hello');
    await symlink('/etc/hostname', path.join(src, 'a/abs'));
    const name = 'n'.repeat(format === 'ustar' ? 90 : 180);
    await writeFile(path.join(src, name), 'long name');
    const buf = execFileSync('tar', [`--format=${format}`, '-C', src, '-cf', '-', 'a', name]);
    const got = await entriesOf(buf);
    expect(got.find((e) => e.path === 'a/b/file.txt')?.body).toBe('hello');
    expect(got.find((e) => e.path === 'a/abs')?.linkpath).toBe('/etc/hostname');
    expect(got.find((e) => e.path === name)?.body).toBe('long name');
  });

  it('gunzips transparently', async () => {
    const buf = await tarOf([[{ path: 'f', type: 'file' }, 'zipped']]);
    const got = [];
    for await (const e of readTar(maybeGunzip(Readable.from([gzipSync(buf)])))) got.push(e.header.path);
    expect(got).toEqual(['f']);
  });

  it.each([
    ['a truncated archive', async () => (await tarOf([[{ path: 'f', type: 'file' }, 'x'.repeat(2000)]])).subarray(0, 1024)],
    ['a bad checksum', async () => { const b = await tarOf([[{ path: 'f', type: 'file' }, 'x']]); b[0] = 0x41; return b; }],
    ['no end marker', async () => (await tarOf([[{ path: 'f', type: 'file' }, 'x']])).subarray(0, 1024)],
    ['a huge PAX block', async () => { const b = Buffer.alloc(1024); b.write('PaxHeaders/x', 0); b.write('0000644\0', 100); b.write('77777777777\0', 124); b.write('x', 156); b.write('ustar\x0000', 257, 'binary'); fixSum(b); return b; }],
    ['a malformed PAX record', async () => { const data = Buffer.from('99 path=x\n'); const h = Buffer.alloc(512); h.write('p', 0); h.write('0000644\0', 100); h.write(data.length.toString(8).padStart(11, '0'), 124); h.write('x', 156); h.write('ustar\x0000', 257, 'binary'); fixSum(h); return Buffer.concat([h, data, Buffer.alloc(512 - data.length), Buffer.alloc(1024)]); }],
  ])('refuses %s with a TarError', async (_what, make) => {
    await expect(extractLayer(Readable.from([await make()]), root)).rejects.toBeInstanceOf(TarError);
    await canaryIntact();
  });
});

function fixSum(b: Buffer): void {
  b.fill(0x20, 148, 156);
  let s = 0;
  for (let i = 0; i < 512; i++) s += b[i]!;
  b.write(`${s.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
}

describe('extractLayer: hostile archives', () => {
  const cases: Array<[string, Array<[TarWriterEntry, string?]>]> = [
    ['a ../ entry', [[{ path: '../canary/secret', type: 'file' }, 'pwned']]],
    ['a deep ../ entry', [[{ path: 'a/../../canary/x', type: 'file' }, 'pwned']]],
    ['a relative symlink climbing out', [[{ path: 'evil', type: 'symlink', linkpath: '../canary' }], [{ path: 'evil/x', type: 'file' }, 'pwned']]],
    ['a hardlink climbing out', [[{ path: 'h', type: 'hardlink', linkpath: '../canary/secret' }]]],
    ['a write below an absolute symlink to the host', [[{ path: 'evil', type: 'symlink', linkpath: '/tmp' }], [{ path: 'evil/pwned', type: 'file' }, 'pwned']]],
  ];
  it.each(cases)('refuses %s and leaves the host alone', async (_what, entries) => {
    const err = await extractLayer(Readable.from([await tarOf(entries)]), root).catch((e) => e);
    expect(err).toBeInstanceOf(TarError);
    expect(err.code).toBe('ERR_TAR_PATH_ESCAPE');
    expect(err.message).toMatch(/outside|climb|"/);
    await canaryIntact();
  });

  it('keeps absolute paths and resolves absolute symlinks inside the root', async () => {
    const buf = await tarOf([
      [{ path: '/etc/abs-file', type: 'file' }, 'inside'],
      [{ path: 'run/', type: 'dir' }],
      [{ path: 'var/', type: 'dir' }],
      [{ path: 'var/run', type: 'symlink', linkpath: '/run' }],
      [{ path: 'var/run/pid', type: 'file' }, 'contained'],
      [{ path: 'up', type: 'symlink', linkpath: '/../../../..' }],
      [{ path: 'up/tmp-escape', type: 'file' }, 'contained too'],
      [{ path: 'etcpw', type: 'hardlink', linkpath: '/etc/abs-file' }],
    ]);
    await extractLayer(Readable.from([buf]), root);
    expect(await readFile(path.join(root, 'etc/abs-file'), 'utf8')).toBe('inside');
    expect(await readlink(path.join(root, 'var/run'))).toBe('/run');
    expect(await readFile(path.join(root, 'run/pid'), 'utf8')).toBe('contained');
    expect(await readFile(path.join(root, 'tmp-escape'), 'utf8')).toBe('contained too');
    expect((await stat(path.join(root, 'etcpw'))).ino).toBe((await stat(path.join(root, 'etc/abs-file'))).ino);
    await canaryIntact();
  });

  it('replaces a symlinked directory with a real one instead of writing through it', async () => {
    await symlink(canary, path.join(root, 'd'));
    await extractLayer(Readable.from([await tarOf([[{ path: 'd', type: 'dir' }], [{ path: 'd/f', type: 'file' }, 'x']])]), root);
    expect((await lstat(path.join(root, 'd'))).isDirectory()).toBe(true);
    await canaryIntact();
  });

  it('enforces size limits', async () => {
    const buf = await tarOf([[{ path: 'big', type: 'file' }, 'x'.repeat(5000)]]);
    await expect(extractLayer(Readable.from([buf]), root, { limits: { maxTotalBytes: 1000 } })).rejects.toMatchObject({ code: 'ERR_TAR_LIMIT' });
    await expect(extractLayer(Readable.from([await tarOf([[{ path: 'p'.repeat(300), type: 'file' }, 'x']])]), root, { limits: { maxPathLength: 100 } })).rejects.toMatchObject({ code: 'ERR_TAR_LIMIT' });
  });
});

describe('extractLayer: metadata and whiteouts', () => {
  it.skipIf(!isRoot)('restores owners, setuid modes, mtimes, binary xattrs and devices (root)', async () => {
    const cap = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const buf = await tarOf([
      [{ path: 'bin/su', type: 'file', mode: 0o4755, uid: 1234, gid: 5678, mtime: 1_600_000_000 }, 'su'],
      [{ path: 'bin/ping', type: 'file', xattrs: { 'security.capability': cap, 'user.note': Buffer.from([0xff, 0xfe]) } }, 'ping'],
      [{ path: 'dev/null', type: 'char', mode: 0o666, devmajor: 1, devminor: 3 }],
      [{ path: 'abs', type: 'symlink', linkpath: '/usr/bin/mawk' }],
    ]);
    await extractLayer(Readable.from([buf]), root);
    const su = await stat(path.join(root, 'bin/su'));
    expect([su.mode & 0o7777, su.uid, su.gid, su.mtimeMs]).toEqual([0o4755, 1234, 5678, 1_600_000_000_000]);
    const dump = execFileSync('getfattr', ['-d', '-m', '-', '-e', 'hex', path.join(root, 'bin/ping')]).toString();
    expect(dump).toContain(`security.capability=0x${cap.toString('hex')}`);
    expect(dump).toContain('user.note=0xfffe');
    expect((await stat(path.join(root, 'dev/null'))).rdev).toBe(0x103);
    expect(await readlink(path.join(root, 'abs'))).toBe('/usr/bin/mawk');
  });

  const lower = async () => {
    await mkdir(path.join(root, 'd/sub'), { recursive: true });
    await writeFile(path.join(root, 'd/old'), 'old');
    await writeFile(path.join(root, 'd/sub/deep'), 'deep');
    await writeFile(path.join(root, 'gone'), 'gone');
  };
  const layer = () => tarOf([[{ path: '.wh.gone', type: 'file' }, ''], [{ path: 'd/', type: 'dir' }], [{ path: 'd/new', type: 'file' }, 'new'], [{ path: 'd/.wh..wh..opq', type: 'file' }, '']]);

  it('apply: deletes whiteout targets and empties opaque dirs of lower content only', async () => {
    await lower();
    await extractLayer(Readable.from([await layer()]), root, { whiteouts: 'apply' });
    expect((await readdir(root)).sort()).toEqual(['d']);
    expect(await readdir(path.join(root, 'd'))).toEqual(['new']);
  });

  it.skipIf(!isRoot)('overlay: writes 0/0 char devices and the opaque xattr (root)', async () => {
    await extractLayer(Readable.from([await layer()]), root, { whiteouts: 'overlay' });
    const wh = await stat(path.join(root, 'gone'));
    expect([wh.isCharacterDevice(), wh.rdev]).toEqual([true, 0]);
    expect(execFileSync('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', path.join(root, 'd')]).toString()).toBe('y');
    expect(await readdir(path.join(root, 'd'))).toEqual(['new']);
  });

  it('keep: writes whiteouts as plain files', async () => {
    await extractLayer(Readable.from([await layer()]), root, { whiteouts: 'keep' });
    expect((await readdir(root)).sort()).toEqual(['.wh.gone', 'd']);
    expect((await readdir(path.join(root, 'd'))).sort()).toEqual(['.wh..wh..opq', 'new']);
  });
});
