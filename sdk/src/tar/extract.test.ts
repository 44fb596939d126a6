import { execFileSync } from 'node:child_process';
import { chmod, chown, link, lstat, mkdir, readFile, readlink, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { lstatSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractLayer, TarError, type ExtractOptions, type TarWriterEntry } from './index.js';
import { END, TempArea, isRoot, listTree, rawBlock, tarOf } from './test-support.js';

const area = new TempArea();
beforeEach(() => area.create());
afterEach(() => area.cleanup());

type Entries = Array<readonly [TarWriterEntry, string?]>;
const extract = async (entries: Entries, o?: ExtractOptions) => extractLayer(Readable.from([await tarOf(entries)]), area.root, o);
const inRoot = (p: string) => path.join(area.root, p);
if (!isRoot) console.log('extract tests: owner, device, trusted/security xattr cases skipped (not root)');

/** A tree with every kind of entry; owners, devices and privileged xattrs only as root. */
async function buildFixture(src: string): Promise<void> {
  const f = (p: string) => path.join(src, p);
  await mkdir(f('etc/alternatives'), { recursive: true });
  await mkdir(f('tmp'));
  await mkdir(f('ro'));
  await writeFile(f('etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
  await writeFile(f('ro/inside'), 'written before the dir became read-only');
  await writeFile(f('suid'), '#!/bin/sh\n');
  await writeFile(f('big'), Buffer.alloc(300_000, 7));
  await writeFile(f(`${'ü'.repeat(40)}.txt`), 'unicode');
  await mkdir(f('d'.repeat(90)));
  await writeFile(f(`${'d'.repeat(90)}/${'l'.repeat(120)}`), 'long');
  await symlink('/usr/bin/mawk', f('etc/alternatives/awk'));
  await symlink('../etc/passwd', f('tmp/rel'));
  await link(f('etc/passwd'), f('etc/passwd-hard'));
  execFileSync('mknod', [f('fifo'), 'p']);
  execFileSync('setfattr', ['-n', 'user.bin', '-v', '0xfffe0080', f('suid')]);
  if (isRoot) {
    execFileSync('mknod', ['-m', '666', f('null'), 'c', '1', '3']);
    execFileSync('setfattr', ['-n', 'security.capability', '-v', '0x0100000200200000000000000000000000000000', f('big')]);
    execFileSync('setfattr', ['-n', 'trusted.keel', '-v', '0x00ff', f('etc/passwd')]);
    await chown(f('suid'), 1234, 5678);
    await chown(f('tmp'), 33, 33);
  }
  await chmod(f('suid'), 0o4755);
  await chmod(f('tmp'), 0o1777);
  await chmod(f('ro'), 0o555);
  for (const p of ['etc/passwd', 'suid', 'big', 'fifo', 'ro/inside', 'etc', 'etc/alternatives', 'tmp', 'ro', '.']) await utimes(f(p), 1_600_000_000, 1_600_000_000 + p.length);
}

describe('extractLayer gives the tree GNU tar gives', () => {
  it.each(['pax', 'gnu'])('--format=%s', async (format) => {
    const src = path.join(area.dir, 'src');
    const gnu = path.join(area.dir, 'gnu');
    await mkdir(src);
    await mkdir(gnu);
    await buildFixture(src);
    const tar = execFileSync('tar', [...(format === 'pax' ? ['--xattrs'] : []), `--format=${format}`, '--numeric-owner', '-C', src, '-cf', '-', '.']);
    execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '-xpf', '-', '-C', gnu], { input: tar });
    const r = await extractLayer(Readable.from([tar]), area.root);
    const ours = listTree(area.root, { times: true });
    expect(ours).toEqual(listTree(gnu, { times: true }));
    // GNU format has no xattrs: compare with the source only for PAX.
    if (format === 'pax') expect(ours).toEqual(listTree(src, { times: true }));
    expect(r.bytes).toBeGreaterThan(300_000);
    expect(r.warnings).toEqual([]);
  });
});

describe('extractLayer restores metadata', () => {
  it.skipIf(!isRoot)('owners, setuid after chown, binary xattrs, devices; read-only dirs still get their children (root)', async () => {
    const cap = Buffer.from('0100000200200000000000000000000000000000', 'hex');
    const r = await extract([
      [{ path: './', type: 'dir', mode: 0o711, mtime: 1_500_000_000 }],
      [{ path: 'ro/', type: 'dir', mode: 0o500, uid: 7, gid: 8 }],
      [{ path: 'ro/su', type: 'file', mode: 0o6755, uid: 1234, gid: 5678, mtime: 1_600_000_000.5 }, 'su'],
      [{ path: 'ping', type: 'file', xattrs: { 'security.capability': cap, 'user.raw': Buffer.from([0xff, 0xfe, 0]) } }, 'p'],
      [{ path: 'dev/null', type: 'char', mode: 0o666, devmajor: 1, devminor: 3 }],
      [{ path: 'link', type: 'symlink', linkpath: '/nowhere', uid: 9, gid: 9, mtime: 1_000_000_000 }],
      [{ path: 'forged', type: 'file', xattrs: { 'trusted.overlay.opaque': Buffer.from('y'), 'user.x\n# file: /etc/passwd\nuser.y': Buffer.from('x'), 'nons.x': Buffer.from('x') } }, ''],
    ]);
    const su = await stat(inRoot('ro/su'));
    expect([su.mode & 0o7777, su.uid, su.gid, su.mtimeMs]).toEqual([0o6755, 1234, 5678, 1_600_000_000_500]);
    const ro = await stat(inRoot('ro'));
    expect([ro.mode & 0o7777, ro.uid, ro.gid]).toEqual([0o500, 7, 8]);
    expect([(await stat(area.root)).mode & 0o7777, (await stat(area.root)).mtimeMs]).toEqual([0o711, 1_500_000_000_000]);
    const dump = execFileSync('getfattr', ['-d', '-m', '-', '-e', 'hex', inRoot('ping')]).toString();
    expect(dump).toContain(`security.capability=0x${cap.toString('hex')}`);
    expect(dump).toContain('user.raw=0xfffe00');
    expect((await stat(inRoot('dev/null'))).rdev).toBe(0x103);
    const l = await lstat(inRoot('link'));
    expect([l.uid, l.mtimeMs, await readlink(inRoot('link'))]).toEqual([9, 1_000_000_000_000, '/nowhere']);
    expect(execFileSync('getfattr', ['-d', '-m', '-', inRoot('forged')]).toString()).toBe('');
    expect(r.warnings.join('\n')).toMatch(/dropped xattr trusted\.overlay\.opaque[\s\S]*invalid name "user\.x\\n# file[\s\S]*invalid name "nons\.x"/);
  });

  it.skipIf(!isRoot)('ids and times the host refuses are archive errors, not crashes (root)', async () => {
    await expect(extract([[{ path: 'f', type: 'file', uid: 5_000_000_000 }, 'x']])).rejects.toMatchObject({ code: 'ERR_TAR_MALFORMED', entry: 'f' });
    await expect(extract([[{ path: 'd', type: 'dir', gid: 5_000_000_000 }]])).rejects.toMatchObject({ code: 'ERR_TAR_MALFORMED', entry: 'd/' });
  });

  it('xattrs that cannot be set are warnings, or errors with requireXattrs', async () => {
    const entries: Entries = [[{ path: 'l', type: 'symlink', linkpath: 'x', xattrs: { 'user.onlink': Buffer.from('v') } }]];
    const r = await extract(entries);
    expect(r.warnings.join()).toMatch(/xattr: .*l/);
    await expect(extract(entries, { requireXattrs: true })).rejects.toMatchObject({ code: 'ERR_TAR_UNSUPPORTED' });
  });

  it('an entry replaces what is there, unless both are directories', async () => {
    await mkdir(inRoot('dir/sub'), { recursive: true });
    await writeFile(inRoot('dir/keep'), 'lower');
    await mkdir(inRoot('becomes-file/x'), { recursive: true });
    await writeFile(inRoot('becomes-dir'), 'file');
    await symlink('/etc', inRoot('becomes-link'));
    await extract([
      [{ path: 'dir/', type: 'dir', mode: 0o700 }],
      [{ path: 'becomes-file', type: 'file' }, 'now a file'],
      [{ path: 'becomes-dir/', type: 'dir' }],
      [{ path: 'becomes-link', type: 'symlink', linkpath: 'dir' }],
      [{ path: 'becomes-link', type: 'file' }, 'then a file'],
    ]);
    expect(await readFile(inRoot('dir/keep'), 'utf8')).toBe('lower');
    expect((await stat(inRoot('dir'))).mode & 0o777).toBe(0o700);
    expect(await readFile(inRoot('becomes-file'), 'utf8')).toBe('now a file');
    expect((await lstat(inRoot('becomes-dir'))).isDirectory()).toBe(true);
    expect(await readFile(inRoot('becomes-link'), 'utf8')).toBe('then a file');
  });
});

const passwd = () => {
  const s = lstatSync('/etc/passwd');
  return `${s.ino} ${s.nlink} ${s.size} ${s.mtimeMs} ${s.mode}`;
};

describe('extractLayer: hostile archives throw a TarError or stay inside the root', () => {
  const canary = () => area.canary;
  /** [name, lower tree setup, entries, expected error code or files that must exist inside the root] */
  const cases: Array<[string, (() => Promise<void>) | null, () => Entries, { code: string } | { inside: Record<string, string> }, ExtractOptions?]> = [
    ['"../" entry', null, () => [[{ path: '../canary/secret', type: 'file' }, 'pwned']], { code: 'ERR_TAR_PATH_ESCAPE' }],
    ['"a/../../" entry', null, () => [[{ path: 'a/../../canary/secret', type: 'file' }, 'pwned']], { code: 'ERR_TAR_PATH_ESCAPE' }],
    ['"../" entry, clamped', null, () => [[{ path: '../../../../canary/secret', type: 'file' }, 'clamped']], { inside: { 'canary/secret': 'clamped' } }, { dotDot: 'clamp' }],
    ['absolute entry name', null, () => [[{ path: '/etc/cron.d/x', type: 'file' }, 'rooted']], { inside: { 'etc/cron.d/x': 'rooted' } }],
    ['symlink to the host dir, then a file through it', null, () => [[{ path: 'a', type: 'symlink', linkpath: canary() }], [{ path: 'a/secret', type: 'file' }, 'pwned']], { code: 'ERR_TAR_PATH_ESCAPE' }],
    ['symlink to /tmp/outside, then a/x', null, () => [[{ path: 'a', type: 'symlink', linkpath: '/tmp/outside' }], [{ path: 'a/x', type: 'file' }, 'pwned']], { code: 'ERR_TAR_PATH_ESCAPE' }],
    ['symlink ../canary, then a/secret', null, () => [[{ path: 'a', type: 'symlink', linkpath: '../canary' }], [{ path: 'a/secret', type: 'file' }, 'pwned']], { code: 'ERR_TAR_PATH_ESCAPE' }],
    ['symlink ../../.., then a/etc/x', null, () => [[{ path: 'a', type: 'symlink', linkpath: '../../..' }], [{ path: 'a/etc/x', type: 'file' }, 'in root']], { inside: { 'etc/x': 'in root', a: '-> ../../..' } }],
    ['nested d/l -> ../../.., then d/l/canary/secret', null, () => [[{ path: 'd/l', type: 'symlink', linkpath: '../../..' }], [{ path: 'd/l/canary/secret', type: 'file' }, 'in root']], { inside: { 'canary/secret': 'in root' } }],
    ['symlink /etc to an in-layer etc/', null, () => [[{ path: 'etc/', type: 'dir' }], [{ path: 'a', type: 'symlink', linkpath: '/etc' }], [{ path: 'a/passwd', type: 'file' }, 'layer passwd']], { inside: { 'etc/passwd': 'layer passwd' } }],
    ['symlink chain clamped at the root', null, () => [[{ path: 'b/', type: 'dir' }], [{ path: 'a', type: 'symlink', linkpath: 'b/../../../..' }], [{ path: 'a/x', type: 'file' }, 'root x']], { inside: { x: 'root x' } }],
    ['symlink loop', null, () => [[{ path: 'a', type: 'symlink', linkpath: 'a' }], [{ path: 'a/x', type: 'file' }, 'x']], { code: 'ERR_TAR_PATH_ESCAPE' }],
    ['hardlink to /etc/passwd', null, () => [[{ path: 'pw', type: 'hardlink', linkpath: '/etc/passwd' }]], { code: 'ERR_TAR_MALFORMED' }],
    ['hardlink to ../../canary/secret', null, () => [[{ path: 'h', type: 'hardlink', linkpath: '../../canary/secret' }]], { code: 'ERR_TAR_PATH_ESCAPE' }],
    ['hardlink through a symlink to the host', null, () => [[{ path: 'l', type: 'symlink', linkpath: canary() }], [{ path: 'h', type: 'hardlink', linkpath: 'l/secret' }]], { code: 'ERR_TAR_PATH_ESCAPE' }],
    ['hardlink to an in-layer /etc/passwd', null, () => [[{ path: 'etc/passwd', type: 'file' }, 'mine'], [{ path: 'pw', type: 'hardlink', linkpath: '/etc/passwd' }]], { inside: { pw: 'mine' } }],
    ['lower symlink dir replaced by a dir entry', async () => symlink(canary(), inRoot('d')), () => [[{ path: 'd/', type: 'dir' }], [{ path: 'd/secret', type: 'file' }, 'in root']], { inside: { 'd/secret': 'in root' } }],
    ['lower symlink dir, file below it', async () => symlink(canary(), inRoot('d')), () => [[{ path: 'd/secret', type: 'file' }, 'pwned']], { code: 'ERR_TAR_PATH_ESCAPE' }],
    ['lower symlink file replaced by a file', async () => symlink(`${canary()}/secret`, inRoot('f')), () => [[{ path: 'f', type: 'file' }, 'new']], { inside: { f: 'new' } }],
    ['dir, then symlink at its path, then a file below', null, () => [[{ path: 'x/', type: 'dir' }], [{ path: 'x', type: 'symlink', linkpath: canary() }], [{ path: 'x/secret', type: 'file' }, 'pwned']], { code: 'ERR_TAR_PATH_ESCAPE' }],
    ['deferred dir metadata and xattrs, then the dir swapped for a host symlink', null, () => [
      [{ path: 'd/', type: 'dir', mode: 0o777, mtime: 1 }], [{ path: 'd/secret', type: 'file', xattrs: { 'user.pwn': Buffer.from('1') } }, 'mine'],
      [{ path: 'd', type: 'symlink', linkpath: canary() }],
    ], { inside: { d: `-> ${'CANARY'}` } }],
    ['whiteout through a symlink to the host', null, () => [[{ path: 'l', type: 'symlink', linkpath: canary() }], [{ path: 'l/.wh.secret', type: 'file' }, '']], { code: 'ERR_TAR_PATH_ESCAPE' }],
    ['whiteout named ".wh..."', null, () => [[{ path: '.wh...', type: 'file' }, '']], { code: 'ERR_TAR_MALFORMED' }],
    ['whiteout climbing out', null, () => [[{ path: '../.wh.canary', type: 'file' }, '']], { code: 'ERR_TAR_PATH_ESCAPE' }],
    ['file entry naming the root', null, () => [[{ path: './', type: 'file' }, 'x']], { code: 'ERR_TAR_MALFORMED' }],
    ['over maxTotalBytes', null, () => [[{ path: 'big', type: 'file' }, 'x'.repeat(5000)]], { code: 'ERR_TAR_LIMIT' }, { limits: { maxTotalBytes: 1000 } }],
  ];

  it.each(cases)('%s', async (_name, setup, entries, want, options) => {
    await setup?.();
    const before = [area.canaryState(), passwd()];
    const result = await extract(entries(), options).catch((e: unknown) => e);
    if ('code' in want) {
      expect(result).toBeInstanceOf(TarError);
      expect(result).toMatchObject({ code: want.code });
      expect((result as TarError).message).toMatch(/"/); // names the entry
    } else {
      expect(result).not.toBeInstanceOf(Error);
      for (const [p, content] of Object.entries(want.inside)) {
        if (content.startsWith('-> ')) expect(await readlink(inRoot(p))).toBe(content === '-> CANARY' ? canary() : content.slice(3));
        else expect(await readFile(inRoot(p), 'utf8')).toBe(content);
      }
    }
    expect([area.canaryState(), passwd()]).toEqual(before);
  });

  it.each([
    ['a truncated archive', async () => (await tarOf([[{ path: 'f', type: 'file' }, 'x'.repeat(4000)]])).subarray(0, 2048)],
    ['a bad checksum', async () => { const b = await tarOf([[{ path: 'f', type: 'file' }, 'x']]); b[3] ^= 1; return b; }],
    ['a size larger than the rest', async () => Buffer.concat([rawBlock({ name: 'f', size: '00000777777\0' }), Buffer.alloc(512, 1), END])],
    ['a too long path', async () => tarOf([[{ path: 'p/'.repeat(2100), type: 'file' }, 'x']])],
  ])('%s: TarError, nothing outside the root', async (_what, make) => {
    const before = area.canaryState();
    await expect(extractLayer(Readable.from([await make()]), area.root)).rejects.toBeInstanceOf(TarError);
    expect(area.canaryState()).toEqual(before);
  });
});
