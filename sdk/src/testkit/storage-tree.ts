/**
 * Helpers and fixture layers of the storage conformance suite: building layer tars, and observing
 * what a driver produced — tree listings, mount points, tar entries, extended attributes. Plain
 * Node (no vitest); `layerTar` is re-exported by the testkit.
 * @packageDocumentation
 */
import { execFile } from 'node:child_process';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { readTar, TarWriter, type TarHeader } from '../tar/index.js';

/** One entry of {@link layerTar}: a tar header (missing fields default) and text content for files. */
export type LayerTarEntry = Partial<TarHeader> & { path: string; type: TarHeader['type']; content?: string | Buffer };

/** A layer tar from entries: mode 0644 files and 0755 dirs owned by root, mtime 2023-11-14, unless given. */
export function layerTar(entries: readonly LayerTarEntry[]): Readable {
  const w = new TarWriter();
  void (async () => {
    for (const { content, ...h } of entries) {
      const body = content === undefined ? undefined : Buffer.from(content);
      await w.add({ mode: h.type === 'dir' ? 0o755 : 0o644, uid: 0, gid: 0, mtime: 1_700_000_000, size: body?.length ?? 0, ...h }, body);
    }
    await w.finish();
  })().catch((err: Error) => w.readable.destroy(err));
  return w.readable;
}

const run = promisify(execFile);

/** A comparable listing of a tree: per path its type, mode, owner, content or target, and hardlink group. */
export async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const firstLink = new Map<bigint, string>();
  const visit = async (rel: string): Promise<void> => {
    for (const name of (await readdir(path.join(root, rel))).sort()) {
      const p = `${rel}/${name}`;
      const full = path.join(root, p);
      const s = await lstat(full, { bigint: true });
      const meta = `${(s.mode & 0o7777n).toString(8)} ${s.uid}:${s.gid}`;
      if (s.isDirectory()) { out[p] = `dir ${meta}`; await visit(p); continue; }
      if (s.nlink > 1n && !firstLink.has(s.ino)) firstLink.set(s.ino, p);
      const link = s.nlink > 1n ? ` =${firstLink.get(s.ino)}` : '';
      const mtime = ` @${s.mtimeMs / 1000n}`;
      if (s.isSymbolicLink()) out[p] = `symlink -> ${await readlink(full)}`;
      else if (s.isFile()) out[p] = `file ${meta} ${JSON.stringify(await readFile(full, 'utf8'))}${mtime}${link}`;
      else out[p] = `${s.isCharacterDevice() ? 'char' : s.isBlockDevice() ? 'block' : 'fifo'} ${meta} ${s.rdev}${mtime}`;
    }
  };
  await visit('');
  return out;
}

/** Mount points of this process at or below `dir`. */
export async function mountsAt(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const points = text.split('\n').map((l) => (l.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
  return points.filter((p) => p === dir || p.startsWith(`${dir}/`));
}

/** Entry names of a tar stream, with their types. */
export async function tarEntries(tar: Readable): Promise<Map<string, TarHeader>> {
  const out = new Map<string, TarHeader>();
  for await (const { header, body } of readTar(tar)) {
    for await (const _ of body) void _;
    out.set(header.path.replace(/\/+$/, ''), header);
  }
  return out;
}

/** A file's extended attributes, as base64 values (getfattr: Node has no xattr API). */
export async function xattrsOf(file: string): Promise<Record<string, string>> {
  const { stdout } = await run('getfattr', ['-h', '-d', '-m', '-', '-e', 'base64', '--absolute-names', file]);
  const lines = stdout.split('\n').filter((l) => l && !l.startsWith('#'));
  return Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** The parent layer of the conformance cases. */
export const BASE: LayerTarEntry[] = [
  { path: 'etc/', type: 'dir' }, { path: 'etc/hosts', type: 'file', content: '127.0.0.1 localhost\n' },
  { path: 'opt/', type: 'dir' }, { path: 'opt/d/', type: 'dir' }, { path: 'opt/d/old', type: 'file', content: 'old' },
  { path: 'keep', type: 'file', content: 'to be deleted' },
  { path: 'gone/', type: 'dir' }, { path: 'gone/x', type: 'file', content: 'x' },
];
/** A child layer with every kind of change a layer tar can carry. */
export const CHILD: LayerTarEntry[] = [
  { path: 'etc/', type: 'dir' }, { path: 'etc/hosts', type: 'file', content: '10.0.0.1 changed\n' },
  { path: 'new.txt', type: 'file', content: 'new', mode: 0o600 },
  { path: 'bin/', type: 'dir', mode: 0o750 }, { path: 'bin/env', type: 'symlink', linkpath: '/usr/bin/env' },
  { path: 'hard', type: 'hardlink', linkpath: 'new.txt' },
  { path: '.wh.keep', type: 'file' }, { path: '.wh.gone', type: 'file' },
  { path: 'opt/d/', type: 'dir' }, { path: 'opt/d/.wh..wh..opq', type: 'file' }, { path: 'opt/d/y', type: 'file', content: 'y' },
];
/** Bytes of file content in {@link CHILD}. */
export const CHILD_BYTES = CHILD.reduce((n, e) => n + Buffer.byteLength(e.content ?? ''), 0);
