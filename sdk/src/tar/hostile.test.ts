/**
 * The hostile-input catalogue (ecosystem-notes §D 1-10) against extractLayer, black-box through the
 * public index. Archives are hand-crafted block by block so no writer policy can hide a case. Every
 * case must throw a TarError or land inside the root, and a canary directory next to the root
 * (same temp parent) must be byte-identical afterwards, xattrs and times included.
 */
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractLayer, maybeGunzip, TarError, type TarErrorCode } from './index.js';

const isRoot = process.getuid?.() === 0;
const rootOnly = isRoot ? it : it.skip; // reason: lchown, mknod, trusted.* xattrs need root
let tmp: string;
let root: string;
let canary: string;
let canaryBefore: string;

// ---- raw archive crafting (independent of the library's writer) ----

interface Raw {
  name: string;
  type?: string;
  size?: number;
  /** Overrides the size field text (e.g. huge values) while the data stays `data`. */
  sizeField?: string;
  linkname?: string;
  mode?: number;
  data?: Buffer | string;
  badChecksum?: boolean;
}

function block(r: Raw): Buffer {
  const b = Buffer.alloc(512);
  const data = Buffer.from(r.data ?? '');
  b.write(r.name, 0, 100, 'utf8');
  b.write(`${(r.mode ?? 0o644).toString(8).padStart(7, '0')}\0`, 100, 'ascii');
  b.write('0000000\0', 108, 'ascii');
  b.write('0000000\0', 116, 'ascii');
  b.write(r.sizeField ?? `${(r.size ?? data.length).toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  b.write('14500000000\0', 136, 'ascii');
  b.write(r.type ?? '0', 156, 'ascii');
  b.write(r.linkname ?? '', 157, 100, 'utf8');
  b.write('ustar\u000000', 257, 'latin1');
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(`${(r.badChecksum ? sum + 1 : sum).toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return b;
}

function entry(r: Raw): Buffer {
  const data = Buffer.from(r.data ?? '');
  return Buffer.concat([block(r), data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

function paxRecord(key: string, value: Buffer | string, lenDelta = 0): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), Buffer.from(value), Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len + lenDelta)), body]);
}

function pax(records: Buffer[]): Buffer {
  return entry({ name: 'PaxHeaders/x', type: 'x', data: Buffer.concat(records) });
}

const END = Buffer.alloc(1024);
const tarOf = (...parts: Buffer[]) => Buffer.concat([...parts, END]);
// Through maybeGunzip, as the image service feeds layers: the gzip cases are part of the catalogue.
const extract = (buf: Buffer, opts: Parameters<typeof extractLayer>[2] = {}) => extractLayer(maybeGunzip(Readable.from([buf])), root, opts);

// ---- canary: everything about it, so any host change shows ----

async function snapshot(dir: string): Promise<string> {
  const out: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const p = path.join(dir, name);
    const s = await lstat(p);
    const body = s.isFile() ? (await readFile(p)).toString('hex') : s.isSymbolicLink() ? await readlink(p) : '';
    out.push(`${name} ${s.mode} ${s.uid} ${s.gid} ${s.mtimeMs} ${s.nlink} ${body}`);
  }
  const xattrs = execFileSync('getfattr', ['-R', '-P', '-h', '-d', '-m', '-', '--absolute-names', dir]).toString();
  return `${out.join('\n')}\n${xattrs}`;
}

async function expectHostUntouched(): Promise<void> {
  expect(await snapshot(canary)).toBe(canaryBefore);
  expect((await readdir(tmp)).sort()).toEqual(['canary', 'root']);
  expect((await stat(root)).isDirectory()).toBe(true);
}

async function expectTarError(p: Promise<unknown>, codes: TarErrorCode[]): Promise<TarError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err, 'extraction should have been refused').toBeInstanceOf(TarError);
  expect(codes).toContain((err as TarError).code);
  expect((err as TarError).kind).toBe('InvalidArgument');
  return err as TarError;
}

/** Either refused with a TarError or completed; the host check after it is what matters. */
async function refusedOrContained(p: Promise<unknown>): Promise<'refused' | 'extracted'> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (err !== undefined) expect(err).toBeInstanceOf(TarError);
  return err === undefined ? 'extracted' : 'refused';
}

beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'keel-tar-hostile-'));
  root = path.join(tmp, 'root');
  canary = path.join(tmp, 'canary');
  await mkdir(root);
  await mkdir(canary);
  await writeFile(path.join(canary, 'secret'), 'untouched');
  await mkdir(path.join(canary, 'sub'));
  canaryBefore = await snapshot(canary);
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('extractLayer: names that climb or are absolute', () => {
  for (const name of ['../canary/secret', 'a/../../canary/secret', './../canary/x', '..']) {
    it(`never writes outside the root for ${JSON.stringify(name)}`, async () => {
      const r = await refusedOrContained(extract(tarOf(entry({ name, data: 'pwned' }))));
      if (r === 'refused') await expectTarError(extract(tarOf(entry({ name, data: 'pwned' }))), ['ERR_TAR_PATH_ESCAPE']);
      await expectHostUntouched();
    });
  }

  it('roots absolute names inside the root', async () => {
    await extract(tarOf(entry({ name: `${canary}/secret`, data: 'inside' }), entry({ name: '/etc/cron.d/x', data: 'c' })));
    expect(await readFile(path.join(root, canary, 'secret'), 'utf8')).toBe('inside');
    expect(await readFile(path.join(root, 'etc/cron.d/x'), 'utf8')).toBe('c');
    await expectHostUntouched();
  });

  it('refuses NUL bytes in PAX names', async () => {
    await expectTarError(extract(tarOf(pax([paxRecord('path', 'ok\0/../../canary/secret')]), entry({ name: 'x', data: 'a' }))), ['ERR_TAR_MALFORMED']);
    await expectHostUntouched();
  });
});

describe('extractLayer: symlinks then writes through them', () => {
  it('absolute symlink to a host dir, then a file below it', async () => {
    await refusedOrContained(extract(tarOf(entry({ name: 'a', type: '2', linkname: canary }), entry({ name: 'a/secret', data: 'pwned' }), entry({ name: 'a/new', data: 'pwned' }))));
    expect(await readlink(path.join(root, 'a'))).toBe(canary); // kept verbatim
    await expectHostUntouched();
  });

  it('relative symlink climbing out, then a file below it', async () => {
    await refusedOrContained(extract(tarOf(entry({ name: 'a', type: '2', linkname: '../../..' }), entry({ name: `a${canary}/secret`, data: 'pwned' }))));
    await refusedOrContained(extract(tarOf(entry({ name: 'b', type: '2', linkname: '../canary' }), entry({ name: 'b/secret', data: 'pwned' }), entry({ name: 'b/sub/x', data: 'p' }))));
    await expectHostUntouched();
  });

  it('a chain of symlinks (dir link to a link to the host)', async () => {
    const t = tarOf(entry({ name: 'l1', type: '2', linkname: '../canary' }), entry({ name: 'd', type: '5', mode: 0o755 }), entry({ name: 'd/l2', type: '2', linkname: '../l1' }), entry({ name: 'd/l2/secret', data: 'pwned' }));
    await refusedOrContained(extract(t));
    await expectHostUntouched();
  });

  it('symlink loops are refused, not followed forever', async () => {
    await expectTarError(extract(tarOf(entry({ name: 'a', type: '2', linkname: 'b' }), entry({ name: 'b', type: '2', linkname: 'a' }), entry({ name: 'a/x', data: 'x' }))), ['ERR_TAR_PATH_ESCAPE', 'ERR_TAR_MALFORMED']);
    await expectHostUntouched();
  });

  it('a lower layer symlink (already in the root) is not written through', async () => {
    await symlink(canary, path.join(root, 'd'));
    await symlink(path.join(canary, 'secret'), path.join(root, 'f'));
    await refusedOrContained(extract(tarOf(entry({ name: 'd/secret', data: 'pwned' }))));
    await extract(tarOf(entry({ name: 'f', data: 'replaced' })));
    expect((await lstat(path.join(root, 'f'))).isFile()).toBe(true);
    await expectHostUntouched();
  });

  it('dir, then symlink at the same path, then a file under it: last writer wins, no following', async () => {
    await refusedOrContained(extract(tarOf(entry({ name: 'a/', type: '5', mode: 0o755 }), entry({ name: 'a', type: '2', linkname: canary }), entry({ name: 'a/secret', data: 'pwned' }))));
    await expectHostUntouched();
  });

  it('deferred metadata (xattrs, dir times) is not applied through a later symlink', async () => {
    const xattr = pax([paxRecord('SCHILY.xattr.user.evil', 'x'), paxRecord('mtime', '1')]);
    const t = tarOf(entry({ name: 'd/', type: '5', mode: 0o755 }), entry({ name: 'd/sub/', type: '5', mode: 0o755 }), xattr, entry({ name: 'd/secret', data: 'in' }), entry({ name: 'd', type: '2', linkname: canary }));
    await refusedOrContained(extract(t));
    await expectHostUntouched();
  });
});

describe('extractLayer: hardlinks', () => {
  it('to a host file by absolute name or by climbing is refused', async () => {
    await expectTarError(extract(tarOf(entry({ name: 'h', type: '1', linkname: '/etc/passwd' }))), ['ERR_TAR_MALFORMED', 'ERR_TAR_PATH_ESCAPE']);
    await expectTarError(extract(tarOf(entry({ name: 'h', type: '1', linkname: '../canary/secret' }))), ['ERR_TAR_PATH_ESCAPE', 'ERR_TAR_MALFORMED']);
    await expectHostUntouched();
  });

  it('through an in-layer symlink to the host is refused or stays inside', async () => {
    await refusedOrContained(extract(tarOf(entry({ name: 's', type: '2', linkname: canary }), entry({ name: 'h', type: '1', linkname: 's/secret' }))));
    const h = await lstat(path.join(root, 'h')).catch(() => undefined);
    if (h) expect(h.ino).not.toBe((await lstat(path.join(canary, 'secret'))).ino);
    expect((await lstat(path.join(canary, 'secret'))).nlink).toBe(1);
    await expectHostUntouched();
  });

  it('to a symlink that points at a host file links the symlink, never the host file', async () => {
    const secret = path.join(canary, 'secret');
    await refusedOrContained(extract(tarOf(entry({ name: 's', type: '2', linkname: secret }), entry({ name: 'h', type: '1', linkname: 's' }), entry({ name: 'h', type: '1', linkname: 's' }))));
    const h = await lstat(path.join(root, 'h')).catch(() => undefined);
    if (h) expect(h.isSymbolicLink()).toBe(true);
    expect((await lstat(secret)).nlink).toBe(1);
    await expectHostUntouched();
  });

  it('to a file of the layer works', async () => {
    await extract(tarOf(entry({ name: 'f', data: 'x' }), entry({ name: 'g', type: '1', linkname: '/f' })));
    expect((await lstat(path.join(root, 'g'))).ino).toBe((await lstat(path.join(root, 'f'))).ino);
  });
});

describe('extractLayer: malformed archives', () => {
  const file = entry({ name: 'f', data: 'x'.repeat(1000) });
  const cases: Array<[string, Buffer, TarErrorCode[]]> = [
    ['truncated in a body', file.subarray(0, 700), ['ERR_TAR_MALFORMED']],
    ['truncated in a header', tarOf(file).subarray(0, 1024 + 100), ['ERR_TAR_MALFORMED']],
    ['bad checksum', tarOf(entry({ name: 'f', data: 'x', badChecksum: true })), ['ERR_TAR_MALFORMED']],
    ['garbage', Buffer.alloc(2048, 0x41), ['ERR_TAR_MALFORMED']],
    ['huge octal size field', tarOf(entry({ name: 'f', sizeField: '77777777777\0', data: 'x' })), ['ERR_TAR_MALFORMED', 'ERR_TAR_LIMIT']],
    ['size > remaining bytes', Buffer.concat([block({ name: 'f', size: 4096 }), Buffer.alloc(512, 1), END]), ['ERR_TAR_MALFORMED']],
    ['PAX record with a wrong length', tarOf(pax([paxRecord('path', 'abc', 3)]), entry({ name: 'f' })), ['ERR_TAR_MALFORMED']],
    ['PAX record with a non-numeric length', tarOf(entry({ name: 'P', type: 'x', data: '0x1f path=a\n' }), entry({ name: 'f' })), ['ERR_TAR_MALFORMED']],
    ['too-long path', tarOf(pax([paxRecord('path', 'a/'.repeat(3000))]), entry({ name: 'f' })), ['ERR_TAR_LIMIT']],
    ['bad gzip', Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(100, 7)]), ['ERR_TAR_MALFORMED']],
  ];
  for (const [name, buf, codes] of cases) {
    it(`refuses: ${name}`, async () => {
      await expectTarError(extract(buf), codes);
      await expectHostUntouched();
    });
  }

  it('refuses a base-256 size larger than any safe integer', async () => {
    const b = block({ name: 'f' });
    b.fill(0xff, 124, 136);
    b[124] = 0x80;
    b.fill(0x20, 148, 156);
    let sum = 0;
    for (const x of b) sum += x;
    b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    await expectTarError(extract(Buffer.concat([b, END])), ['ERR_TAR_LIMIT', 'ERR_TAR_MALFORMED']);
  });

  it('enforces entry-count and total-size limits', async () => {
    const many = tarOf(...Array.from({ length: 20 }, (_, i) => entry({ name: `f${i}`, data: 'x' })));
    await expectTarError(extract(many, { limits: { maxEntries: 10 } }), ['ERR_TAR_LIMIT']);
    await expectTarError(extract(tarOf(entry({ name: 'big', data: Buffer.alloc(4096) })), { limits: { maxTotalBytes: 1000 } }), ['ERR_TAR_LIMIT']);
    await expectTarError(extract(tarOf(pax([paxRecord('comment', 'x'.repeat(5000))]), entry({ name: 'f' })), { limits: { maxHeaderBytes: 1024 } }), ['ERR_TAR_LIMIT']);
  });

  it('reads a gzip-compressed layer', async () => {
    await extract(gzipSync(tarOf(entry({ name: 'z', data: 'gz' }))));
    expect(await readFile(path.join(root, 'z'), 'utf8')).toBe('gz');
  });
});

describe('extractLayer: whiteout names that would target the root or beyond', () => {
  for (const name of ['.wh.', '.wh..', '.wh...', 'sub/.wh...', 'sub/.wh.']) {
    it(`does not delete the root or its parent for ${JSON.stringify(name)}`, async () => {
      await writeFile(path.join(root, 'lower'), 'l');
      await mkdir(path.join(root, 'sub'));
      await refusedOrContained(extract(tarOf(entry({ name }))));
      expect(await readFile(path.join(root, 'lower'), 'utf8')).toBe('l');
      await expectHostUntouched();
    });
  }

  it('a whiteout below a symlink to the host deletes nothing outside', async () => {
    await refusedOrContained(extract(tarOf(entry({ name: 'a', type: '2', linkname: canary }), entry({ name: 'a/.wh.secret' }), entry({ name: 'a/.wh..wh..opq' }))));
    await expectHostUntouched();
  });

  rootOnly('overlay whiteouts below a symlink to the host create nothing outside', async () => {
    await refusedOrContained(extract(tarOf(entry({ name: 'a', type: '2', linkname: canary }), entry({ name: 'a/.wh.secret' }), entry({ name: 'a/.wh..wh..opq' })), { whiteouts: 'overlay' }));
    await expectHostUntouched();
  });

  rootOnly('drops trusted.overlay.* xattrs coming from the archive', async () => {
    await refusedOrContained(extract(tarOf(pax([paxRecord('SCHILY.xattr.trusted.overlay.opaque', 'y')]), entry({ name: 'd/', type: '5', mode: 0o755 }))));
    const dump = execFileSync('getfattr', ['-d', '-m', '-', '--absolute-names', path.join(root, 'd')]).toString();
    expect(dump).not.toContain('trusted.overlay');
  });
});
