import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile, link } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeBlock, parseHeader } from './header.js';
import { parsePax } from './pax.js';
import { maybeGunzip, readTar, TarError, TarReader, TarWriter } from './index.js';
import { END, TempArea, blocks, isRoot, paxBlocks, rawBlock, readAll, tarOf } from './test-support.js';

const area = new TempArea();
beforeEach(() => area.create());
afterEach(() => area.cleanup());

if (!isRoot) console.log('tar.test.ts: root-only cases skipped (owners, devices, trusted/security xattrs, overlay mounts need root)');
const cap = Buffer.from([0x01, 0x00, 0x00, 0x02, 0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28]);

describe('TarWriter → TarReader round trips', () => {
  it('keeps long, prefix-split and unicode names, big ids, binary xattrs, links and devices', async () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(150)}`;
    const split = `${'p'.repeat(140)}/${'n'.repeat(90)}`;
    const buf = await tarOf([
      [{ path: long, type: 'file' }, 'long'],
      [{ path: split, type: 'file' }, 'split'],
      [{ path: 'ünïcödé/ファイル', type: 'file', uid: 3_000_000_000, gid: 4_000_000 }, 'u'],
      [{ path: 'bin/ping', type: 'file', xattrs: { 'security.capability': cap, 'user.empty': Buffer.alloc(0) } }, 'x'],
      [{ path: 'abs', type: 'symlink', linkpath: '/usr/bin/mawk' }],
      [{ path: 'longlink', type: 'symlink', linkpath: `/${'t'.repeat(300)}` }],
      [{ path: 'hl', type: 'hardlink', linkpath: 'bin/ping' }],
      [{ path: 'dev/null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 }],
      [{ path: 'dev/sda', type: 'block', devmajor: 8, devminor: 0 }],
      [{ path: 'fifo', type: 'fifo' }],
      [{ path: 'dir', type: 'dir', mode: 0o1777, uname: 'u'.repeat(40), gname: 'gröup' }],
      [{ path: 'frac', type: 'file', mtime: 1_700_000_000.25 }, ''],
      [{ path: 'suid', type: 'file', mode: 0o4755 }, ''],
    ]);
    const got = await readAll(buf);
    expect(got.map((e) => e.path)).toEqual([long, split, 'ünïcödé/ファイル', 'bin/ping', 'abs', 'longlink', 'hl', 'dev/null', 'dev/sda', 'fifo', 'dir/', 'frac', 'suid']);
    expect(got[0]!.data.toString()).toBe('long');
    expect(got[1]!.pax).toBeUndefined(); // fits ustar prefix + name: no PAX header
    expect([got[2]!.uid, got[2]!.gid]).toEqual([3_000_000_000, 4_000_000]);
    expect(got[3]!.xattrs!['security.capability']!.equals(cap)).toBe(true);
    expect(got[3]!.xattrs!['user.empty']!.length).toBe(0);
    expect(got[4]).toMatchObject({ type: 'symlink', linkpath: '/usr/bin/mawk' });
    expect(got[5]!.linkpath).toBe(`/${'t'.repeat(300)}`);
    expect(got[6]).toMatchObject({ type: 'hardlink', linkpath: 'bin/ping', size: 0 });
    expect(got[7]).toMatchObject({ type: 'char', devmajor: 1, devminor: 3, mode: 0o666 });
    expect(got[8]).toMatchObject({ type: 'block', devmajor: 8, devminor: 0 });
    expect(got[9]!.type).toBe('fifo');
    expect(got[10]).toMatchObject({ type: 'dir', mode: 0o1777, uname: 'u'.repeat(40), gname: 'gröup' });
    expect(got[11]!.mtime).toBe(1_700_000_000.25);
    expect(got[12]!.mode).toBe(0o4755);
  });

  it('uses PAX only when needed and carries sizes beyond 8 GiB', () => {
    expect(encodeBlock({ path: 'short', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 5, mtime: 1 }).pax).toEqual([]);
    const big = encodeBlock({ path: 'huge', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 2 ** 40, mtime: -5 });
    expect(Object.fromEntries(big.pax.map(([k, v]) => [k, v.toString()]))).toEqual({ size: String(2 ** 40), mtime: '-5' });
    expect(parseHeader(big.block).size).toBe(2 ** 40); // base-256 in the field as well
  });

  it('reads PAX global headers, lets per-entry records override or unset them', async () => {
    const buf = Buffer.concat([
      paxBlocks([['uname', 'globaluser'], ['comment', 'x']], 'g'),
      rawBlock({ name: 'a', size: '00000000000\0' }),
      paxBlocks([['uname', ''], ['path', 'renamed/ü']]),
      rawBlock({ name: 'b', size: '00000000000\0' }),
      END,
    ]);
    const got = await readAll(buf);
    expect(got.map((e) => [e.path, e.uname])).toEqual([['a', 'globaluser'], ['renamed/ü', '']]);
  });

  it('skips unread bodies, reads lazily, and refuses a body read after moving on', async () => {
    const buf = await tarOf([[{ path: 'a', type: 'file' }, 'x'.repeat(5000)], [{ path: 'b', type: 'file' }, 'bee']]);
    let pulled = 0;
    async function* source() {
      for (let i = 0; i < buf.length; i += 100) {
        pulled++;
        yield buf.subarray(i, i + 100);
      }
    }
    const it = new TarReader(source())[Symbol.asyncIterator]();
    const a = (await it.next()).value!;
    expect(pulled).toBeLessThan(10); // the 5000-byte body was not read ahead
    const b = (await it.next()).value!;
    await expect(a.body[Symbol.asyncIterator]().next()).rejects.toThrow(/after the next entry/);
    const parts: Buffer[] = [];
    for await (const c of b.body) parts.push(c);
    expect(Buffer.concat(parts).toString()).toBe('bee');
    expect((await it.next()).done).toBe(true);
  });

  it('a reader is iterated once', async () => {
    const r = new TarReader(Readable.from([await tarOf([])]));
    for await (const _ of r) void _;
    expect(() => r[Symbol.asyncIterator]()).toThrow(/once/);
  });

  it('TarWriter applies back-pressure and checks body sizes', async () => {
    const w = new TarWriter();
    let resolved = false;
    const add = w.add({ path: 'big', type: 'file', size: 4 << 20 }, Buffer.alloc(4 << 20)).then(() => (resolved = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(resolved).toBe(false); // nobody reads: the add waits
    w.readable.resume();
    await add;
    await expect(w.add({ path: 'bad', type: 'file', size: 10 }, Buffer.from('short'))).rejects.toMatchObject({ code: 'ERR_TAR_MALFORMED' });
    const w2 = new TarWriter();
    await expect(w2.add({ path: 'a\0b', type: 'file' })).rejects.toBeInstanceOf(TarError);
  });
});

describe('reading archives GNU tar wrote', () => {
  it.each(['ustar', 'gnu', 'pax'])('--format=%s', async (format) => {
    const src = path.join(area.dir, 'src');
    await mkdir(path.join(src, 'a/b'), { recursive: true });
    await writeFile(path.join(src, 'a/b/file.txt'), 'hello');
    await symlink('/etc/hostname', path.join(src, 'a/abs'));
    await link(path.join(src, 'a/b/file.txt'), path.join(src, 'a/hard'));
    const name = 'n'.repeat(format === 'ustar' ? 90 : 180);
    await writeFile(path.join(src, name), 'long name');
    if (format !== 'ustar') await symlink(`/${'t'.repeat(150)}`, path.join(src, 'longtarget'));
    const extra = format === 'gnu' ? ['--owner=big:3000000000'] : [];
    const buf = execFileSync('tar', [`--format=${format}`, ...extra, '-C', src, '-cf', '-', '.']);
    const got = new Map((await readAll(buf)).map((e) => [e.path.replace(/^\.\//, ''), e]));
    expect(got.get('a/b/file.txt')?.data.toString()).toBe('hello');
    expect(got.get('a/abs')?.linkpath).toBe('/etc/hostname');
    expect(got.get('a/hard')).toMatchObject({ type: 'hardlink', linkpath: './a/b/file.txt' });
    expect(got.get(name)?.data.toString()).toBe('long name');
    expect(got.get('a/b/')?.type).toBe('dir');
    if (format !== 'ustar') expect(got.get('longtarget')?.linkpath).toBe(`/${'t'.repeat(150)}`);
    if (format === 'gnu') expect(got.get('a/b/file.txt')?.uid).toBe(3_000_000_000);
  });

  it.skipIf(!isRoot)('--xattrs: binary values byte-exact, devices (root)', async () => {
    const src = path.join(area.dir, 'src');
    await mkdir(src);
    await writeFile(path.join(src, 'ping'), 'elf');
    execFileSync('setfattr', ['-n', 'user.bin', '-v', '0xfffe0080c328', path.join(src, 'ping')]);
    execFileSync('setfattr', ['-n', 'security.capability', '-v', '0x0100000200200000000000000000000000000000', path.join(src, 'ping')]);
    execFileSync('mknod', [path.join(src, 'null'), 'c', '1', '3']);
    const buf = execFileSync('tar', ['--xattrs', '--format=pax', '-C', src, '-cf', '-', 'ping', 'null']);
    const [ping, nul] = await readAll(buf);
    expect(ping!.xattrs!['user.bin']!.toString('hex')).toBe('fffe0080c328');
    expect(ping!.xattrs!['security.capability']!.toString('hex')).toBe('0100000200200000000000000000000000000000');
    expect(nul).toMatchObject({ type: 'char', devmajor: 1, devminor: 3 });
  });
});

describe('maybeGunzip', () => {
  it('inflates gzip even when it arrives one byte at a time, and passes plain tars through', async () => {
    const buf = await tarOf([[{ path: 'f', type: 'file' }, 'zipped']]);
    const gz = gzipSync(buf);
    const bytewise = Readable.from([...gz].map((b) => Buffer.from([b])));
    expect((await readAll(maybeGunzip(bytewise))).map((e) => e.data.toString())).toEqual(['zipped']);
    expect((await readAll(maybeGunzip(Readable.from([buf])))).map((e) => e.path)).toEqual(['f']);
  });

  it.each([
    ['zstd', Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0, 0, 0]), 'ERR_TAR_UNSUPPORTED'],
    ['corrupt gzip', Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(40, 0x55)]), 'ERR_TAR_MALFORMED'],
    ['truncated gzip', gzipSync(Buffer.alloc(100_000, 1)).subarray(0, 60), 'ERR_TAR_MALFORMED'],
  ])('refuses %s', async (_what, data, code) => {
    await expect(readAll(maybeGunzip(Readable.from([data])))).rejects.toMatchObject({ code });
  });

  it('caps the decompressed size (gzip bombs)', async () => {
    const bomb = gzipSync(Buffer.alloc(50 << 20));
    const it = maybeGunzip(Readable.from([bomb]), { maxBytes: 1 << 20 });
    await expect((async () => { for await (const _ of it) void _; })()).rejects.toMatchObject({ code: 'ERR_TAR_LIMIT' });
  });
});

describe('malformed and hostile archives are refused by the reader', () => {
  const file = (name: string, data: string) => Buffer.concat([rawBlock({ name, size: `${data.length.toString(8).padStart(11, '0')}\0` }), blocks(data)]);
  const cases: Array<[string, () => Promise<Buffer> | Buffer, string, object?]> = [
    ['an empty input', () => Buffer.alloc(0), 'ERR_TAR_MALFORMED'],
    ['a bad checksum', () => { const b = file('f', 'x'); b[0] = 0x41; return Buffer.concat([b, END]); }, 'ERR_TAR_MALFORMED'],
    ['a truncated header', () => file('f', 'x').subarray(0, 300), 'ERR_TAR_MALFORMED'],
    ['a truncated body', () => file('f', 'x'.repeat(2000)).subarray(0, 1024), 'ERR_TAR_MALFORMED'],
    ['no end-of-archive marker', () => file('f', 'x'), 'ERR_TAR_MALFORMED'],
    ['garbage after the end marker', () => Buffer.concat([file('f', 'x'), END, Buffer.from('garbage')]), 'ERR_TAR_MALFORMED'],
    ['a zero block followed by an entry', () => Buffer.concat([Buffer.alloc(512), file('f', 'x'), END]), 'ERR_TAR_MALFORMED'],
    ['a size field beyond the input', () => Buffer.concat([rawBlock({ name: 'f', size: '77777777777\0' }), END]), 'ERR_TAR_MALFORMED'],
    ['a base-256 size beyond 2^53', () => Buffer.concat([rawBlock({ name: 'f', size: Buffer.from([0x80, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) }), END]), 'ERR_TAR_LIMIT'],
    ['a negative base-256 size', () => Buffer.concat([rawBlock({ name: 'f', size: Buffer.alloc(12, 0xff) }), END]), 'ERR_TAR_MALFORMED'],
    ['a non-octal size field', () => Buffer.concat([rawBlock({ name: 'f', size: '12x45678901\0' }), END]), 'ERR_TAR_MALFORMED'],
    ['a size over maxTotalBytes', () => Buffer.concat([rawBlock({ name: 'f', size: '77777777777\0' }), END]), 'ERR_TAR_LIMIT', { maxTotalBytes: 1 << 20 }],
    ['a PAX header over maxHeaderBytes', () => Buffer.concat([rawBlock({ name: 'p', type: 'x', size: '00077777777\0' }), END]), 'ERR_TAR_LIMIT'],
    ['a PAX record whose length is too long', () => Buffer.concat([rawBlock({ name: 'p', type: 'x', size: '00000000012\0' }), blocks('99 path=x\n'), file('f', ''), END]), 'ERR_TAR_MALFORMED'],
    ['a PAX record whose length is too short', () => Buffer.concat([rawBlock({ name: 'p', type: 'x', size: '00000000016\0' }), blocks('5 path=abcdef\n'), file('f', ''), END]), 'ERR_TAR_MALFORMED'],
    ['a PAX record without a length', () => Buffer.concat([rawBlock({ name: 'p', type: 'x', size: '00000000011\0' }), blocks('path=abc\n'), file('f', ''), END]), 'ERR_TAR_MALFORMED'],
    ['a PAX path with a NUL byte', () => Buffer.concat([paxBlocks([['path', 'a\0b']]), file('f', ''), END]), 'ERR_TAR_MALFORMED'],
    ['a PAX path that is not UTF-8', () => Buffer.concat([paxBlocks([['path', Buffer.from([0x61, 0xff])]]), file('f', ''), END]), 'ERR_TAR_MALFORMED'],
    ['a PAX header not followed by an entry', () => Buffer.concat([paxBlocks([['path', 'a']]), END]), 'ERR_TAR_MALFORMED'],
    ['a path over maxPathLength', () => Buffer.concat([paxBlocks([['path', 'p'.repeat(5000)]]), file('f', ''), END]), 'ERR_TAR_LIMIT'],
    ['a link target over maxPathLength', () => Buffer.concat([paxBlocks([['linkpath', 'p'.repeat(5000)]]), rawBlock({ name: 'l', type: '2' }), END]), 'ERR_TAR_LIMIT'],
    ['more entries than maxEntries', () => Buffer.concat([file('a', ''), file('b', ''), file('c', ''), END]), 'ERR_TAR_LIMIT', { maxEntries: 2 }],
    ['a GNU sparse file', () => Buffer.concat([rawBlock({ name: 's', type: 'S' }), END]), 'ERR_TAR_UNSUPPORTED'],
    ['a PAX sparse file', () => Buffer.concat([paxBlocks([['GNU.sparse.major', '1']]), file('s', ''), END]), 'ERR_TAR_UNSUPPORTED'],
    ['an unknown entry type', () => Buffer.concat([rawBlock({ name: 'q', type: 'Q' }), END]), 'ERR_TAR_UNSUPPORTED'],
    ['a name that is not UTF-8', () => Buffer.concat([rawBlock({ name: 'caf\xe9' }), END]), 'ERR_TAR_MALFORMED'],
  ];
  it.each(cases)('%s', async (_what, make, code, limits) => {
    const err = await readAll(await make(), limits).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TarError);
    expect(err).toMatchObject({ code, kind: 'InvalidArgument' });
  });

  it('accepts a missing end marker when told to, and trailing zero padding', async () => {
    const one = Buffer.concat([rawBlock({ name: 'f', size: '00000000001\0' }), blocks('x')]);
    expect((await readAll(one, { requireEndMarker: false })).map((e) => e.path)).toEqual(['f']);
    expect((await readAll(Buffer.concat([one, END, Buffer.alloc(8192)]))).length).toBe(1);
    expect(parsePax(Buffer.from('8 a=bcd\n\0\0\0'))).toEqual({ a: Buffer.from('bcd') });
  });

  it('reads through readTar (the generator form) too', async () => {
    const names = [];
    for await (const e of readTar(Readable.from([await tarOf([[{ path: 'x', type: 'dir' }]])]))) names.push(e.header.path);
    expect(names).toEqual(['x/']);
  });
});
