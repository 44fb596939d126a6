/**
 * Helpers for the tar library's own tests (not exported from the package): building archives,
 * crafting raw blocks, temporary areas with a canary directory, and comparable tree listings.
 * @packageDocumentation
 * @internal
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { readTar, type TarReaderOptions } from './reader.js';
import { TarWriter, type TarWriterEntry } from './writer.js';

/** True when the tests run as root (owners, devices, trusted xattrs, mounts). */
export const isRoot = process.getuid?.() === 0;

/** An archive from `[header, body?]` pairs (mtime 1.7e9 unless given; size from the body). */
export async function tarOf(entries: ReadonlyArray<readonly [TarWriterEntry, (Buffer | string)?]>): Promise<Buffer> {
  const w = new TarWriter();
  const chunks: Buffer[] = [];
  w.readable.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((resolve) => w.readable.on('end', resolve));
  for (const [h, body] of entries) {
    const data = body === undefined ? undefined : Buffer.from(body);
    await w.add({ mtime: 1_700_000_000, ...h, ...(data ? { size: data.length } : {}) }, data);
  }
  await w.finish();
  await done;
  return Buffer.concat(chunks);
}

/** Every entry of `buf`, bodies read. */
export async function readAll(buf: Buffer | AsyncIterable<Buffer>, options?: TarReaderOptions) {
  const out = [];
  for await (const e of readTar(Buffer.isBuffer(buf) ? Readable.from([buf]) : buf, options)) {
    const parts: Buffer[] = [];
    for await (const c of e.body) parts.push(c);
    out.push({ ...e.header, data: Buffer.concat(parts) });
  }
  return out;
}

/** Fixes the checksum of a hand-made block. */
export function fixChecksum(b: Buffer): Buffer {
  b.fill(0x20, 148, 156);
  let s = 0;
  for (let i = 0; i < 512; i++) s += b[i]!;
  b.write(`${s.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}

/** A ustar header block with raw field values (strings written as latin1). */
export function rawBlock(f: { name: string; type?: string; size?: string | Buffer; mode?: string; linkname?: string }): Buffer {
  const b = Buffer.alloc(512);
  b.write(f.name, 0, 100, 'latin1');
  b.write(f.mode ?? '0000644\0', 100, 'latin1');
  b.write('0000000\0', 108, 'latin1');
  b.write('0000000\0', 116, 'latin1');
  if (Buffer.isBuffer(f.size)) f.size.copy(b, 124);
  else b.write(f.size ?? '00000000000\0', 124, 'latin1');
  b.write('14563374400\0', 136, 'latin1');
  b.write(f.type ?? '0', 156, 'latin1');
  b.write(f.linkname ?? '', 157, 100, 'latin1');
  b.write('ustar\x0000', 257, 'latin1');
  return fixChecksum(b);
}

/** `data` padded to whole blocks. */
export function blocks(data: Buffer | string): Buffer {
  const d = Buffer.from(data);
  return Buffer.concat([d, Buffer.alloc((512 - (d.length % 512)) % 512)]);
}

/** A PAX header block (`x`, or `g` for global) followed by its records, lengths computed. */
export function paxBlocks(records: Array<[string, Buffer | string]>, type: 'x' | 'g' = 'x'): Buffer {
  const data = Buffer.concat(records.map(([k, v]) => {
    const body = Buffer.concat([Buffer.from(` ${k}=`), Buffer.from(v), Buffer.from('\n')]);
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len = String(len).length + body.length;
    return Buffer.concat([Buffer.from(String(len)), body]);
  }));
  return Buffer.concat([rawBlock({ name: 'PaxHeaders/x', type, size: `${data.length.toString(8).padStart(11, '0')}\0` }), blocks(data)]);
}

/** The end-of-archive marker. */
export const END = Buffer.alloc(1024);

/**
 * A temporary area: `root` (the extraction root) and `canary` (a directory next to it, in the
 * same parent, that no extraction may change).
 */
export class TempArea {
  /** The temporary parent directory. */
  dir = '';
  get root(): string {
    return path.join(this.dir, 'root');
  }
  get canary(): string {
    return path.join(this.dir, 'canary');
  }

  /** Creates the area: an empty root and a canary holding `secret`. */
  async create(): Promise<void> {
    this.dir = await mkdtemp(path.join(tmpdir(), 'keel-tar-'));
    await mkdir(this.root);
    await mkdir(this.canary);
    await writeFile(path.join(this.canary, 'secret'), 'untouched');
  }

  /** Removes everything (read-only directories first made writable: without root they block rm). */
  async cleanup(): Promise<void> {
    if (!this.dir) return;
    if (!isRoot) execFileSync('chmod', ['-R', 'u+rwX', this.dir]);
    await rm(this.dir, { recursive: true, force: true });
  }

  /** A listing of the canary with contents, modes, times and xattrs: compare before/after. */
  canaryState(): string[] {
    return [...listTree(this.canary, { times: true }), `parent: ${readdirSync(this.dir).sort().join(',')}`];
  }
}

function xattrDump(file: string): string {
  try {
    const out = execFileSync('getfattr', ['-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', file], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    return out.split('\n').filter((l) => l && !l.startsWith('#')).sort().join(' ');
  } catch {
    return '';
  }
}

/**
 * A comparable listing of `dir` (itself included as `.`): type, mode, owner, size and content
 * digest, link target, device number, hardlink group, xattrs, and with `times` the mtime.
 */
export function listTree(dir: string, o: { times?: boolean; xattrs?: boolean } = {}): string[] {
  const out: string[] = [];
  const groups = new Map<number, string>();
  const visit = (rel: string): void => {
    const full = path.join(dir, rel);
    const s = lstatSync(full);
    const kind = s.isDirectory() ? 'd' : s.isFile() ? 'f' : s.isSymbolicLink() ? 'l' : s.isCharacterDevice() ? 'c' : s.isBlockDevice() ? 'b' : 'p';
    let line = `${rel} ${kind} ${(s.mode & 0o7777).toString(8)} ${s.uid}:${s.gid}`;
    if (s.isFile()) line += ` ${s.size} ${createHash('sha256').update(readFileSync(full)).digest('hex').slice(0, 16)}`;
    if (s.isSymbolicLink()) line += ` -> ${readlinkSync(full)}`;
    if (s.isCharacterDevice() || s.isBlockDevice()) line += ` rdev=${s.rdev}`;
    if (!s.isDirectory() && s.nlink > 1) line += ` link=${groups.get(s.ino) ?? (groups.set(s.ino, rel), rel)}`;
    if (o.times && !s.isSymbolicLink()) line += ` @${Math.floor(s.mtimeMs / 1000)}`;
    if (o.xattrs !== false) line += ` ${xattrDump(full)}`;
    out.push(line.trimEnd());
    if (s.isDirectory()) for (const n of readdirSync(full).sort()) visit(rel === '.' ? n : `${rel}/${n}`);
  };
  visit('.');
  return out;
}
