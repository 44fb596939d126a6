/**
 * Safe layer extraction, as Docker applies layers: nothing lands outside the root (paths and
 * symlinks resolved inside it; relative symlinks and hardlinks that climb out are refused),
 * symlink targets are written verbatim, owners/modes/times/xattrs/devices are restored (as root),
 * and Docker's `.wh.` whiteouts are applied, converted to overlayfs form, or kept.
 * @packageDocumentation
 */
import { execFile } from 'node:child_process';
import { chmod, lchown, link, lstat, lutimes, mkdir, open, readdir, rm, symlink, utimes } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { TarError } from './errors.js';
import type { TarHeader } from './header.js';
import { readTar, type TarLimits } from './reader.js';
import { cleanEntryPath, resolveInRoot } from './secure-path.js';

const run = promisify(execFile);

/** Options of {@link extractLayer}. */
export interface ExtractOptions {
  /** `apply` (default) deletes what whiteouts name; `overlay` writes overlayfs whiteouts; `keep` writes them as files. */
  readonly whiteouts?: 'apply' | 'overlay' | 'keep';
  readonly limits?: TarLimits;
  /** Restore owners (default: when running as root). */
  readonly sameOwner?: boolean;
  /** Fail instead of warning when xattrs cannot be set. */
  readonly requireXattrs?: boolean;
}

/** What an extraction did. */
export interface ExtractResult {
  /** Bytes of file contents written. */
  readonly bytes: number;
  readonly entries: number;
  readonly warnings: string[];
}

type Source = Parameters<typeof readTar>[0];
const WH = '.wh.';
const OPAQUE = '.wh..wh..opq';

function escapeAttrPath(p: string): string {
  return p.replace(/[^\x21-\x7e]|\\/g, (c) => [...Buffer.from(c)].map((b) => `\\${b.toString(8).padStart(3, '0')}`).join(''));
}

async function mknod(target: string, h: TarHeader): Promise<void> {
  const kind = h.type === 'char' ? 'c' : h.type === 'block' ? 'b' : 'p';
  const args = kind === 'p' ? [target, 'p'] : [target, kind, String(h.devmajor ?? 0), String(h.devminor ?? 0)];
  await run('mknod', ['-m', (h.mode & 0o777).toString(8), ...args]);
}

/** Extracts a layer tar into `root`. Throws {@link TarError} for archives it refuses. */
export async function extractLayer(source: Source, root: string, options: ExtractOptions = {}): Promise<ExtractResult> {
  const mode = options.whiteouts ?? 'apply';
  const isRoot = process.getuid?.() === 0;
  const sameOwner = options.sameOwner ?? isRoot;
  const written = new Set<string>();
  const dirTimes: Array<[string, number]> = [];
  const xattrs: Array<[string, string, Buffer]> = [];
  const warnings: string[] = [];
  let bytes = 0;
  let entries = 0;
  await mkdir(root, { recursive: true });
  for await (const { header: h, body } of readTar(source, options.limits)) {
    entries++;
    const rel = cleanEntryPath(h.path);
    if (!rel) continue; // the root itself
    const base = path.posix.basename(rel);
    const dirRel = path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel);
    const parent = await resolveInRoot(root, dirRel, true);
    if (parent !== path.join(root, dirRel) && !(await lstat(parent).then((st) => st.isDirectory(), () => false))) {
      // Like Docker: writing below a symlink is fine only where its target exists in the layer.
      throw new TarError('ERR_TAR_PATH_ESCAPE', 'archive entry is below a symlink that points outside the layer', h.path);
    }
    await mkdir(parent, { recursive: true, mode: 0o755 });
    if (mode !== 'keep' && base.startsWith(WH)) {
      if (base === OPAQUE) {
        if (mode === 'overlay') xattrs.push([parent, 'trusted.overlay.opaque', Buffer.from('y')]);
        else await clearOpaque(parent, written);
      } else {
        const victim = path.join(parent, base.slice(WH.length));
        await rm(victim, { recursive: true, force: true });
        if (mode === 'overlay') await mknod(victim, { ...h, type: 'char', mode: 0o600, devmajor: 0, devminor: 0 });
      }
      continue;
    }
    const target = path.join(parent, base);
    const existing = await lstat(target).catch(() => undefined);
    if (existing && !(existing.isDirectory() && h.type === 'dir')) await rm(target, { recursive: true, force: true });
    switch (h.type) {
      case 'dir':
        if (!existing?.isDirectory()) await mkdir(target, { mode: 0o700 });
        break;
      case 'file': {
        const fh = await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
        try {
          for await (const chunk of body) {
            await fh.write(chunk);
            bytes += chunk.length;
          }
        } finally {
          await fh.close();
        }
        break;
      }
      case 'symlink': {
        const link_ = h.linkpath ?? '';
        if (!link_.startsWith('/')) cleanEntryPath(path.posix.join(path.posix.dirname(rel), link_) || '.');
        await symlink(link_, target);
        break;
      }
      case 'hardlink': {
        const linkRel = cleanEntryPath(h.linkpath ?? '');
        if (!linkRel) throw new TarError('ERR_TAR_PATH_ESCAPE', 'hardlink to the archive root', h.path);
        const srcDir = await resolveInRoot(root, path.posix.dirname(linkRel) === '.' ? '' : path.posix.dirname(linkRel), true);
        const src = path.join(srcDir, path.posix.basename(linkRel));
        const st = await lstat(src).catch(() => undefined);
        if (!st || st.isDirectory()) throw new TarError('ERR_TAR_MALFORMED', `hardlink target ${JSON.stringify(h.linkpath)} does not exist in the layer`, h.path);
        await link(src, target);
        written.add(target);
        continue; // a hardlink shares its target's metadata
      }
      default:
        if (!isRoot) {
          warnings.push(`skipped ${h.type} device ${h.path}: not root`);
          continue;
        }
        await mknod(target, h);
    }
    written.add(target);
    if (sameOwner) await lchown(target, h.uid, h.gid);
    if (h.type !== 'symlink') await chmod(target, h.mode & 0o7777);
    for (const [k, v] of Object.entries(h.xattrs ?? {})) xattrs.push([target, k, v]);
    if (h.type === 'dir') dirTimes.push([target, h.mtime]);
    else await lutimes(target, h.mtime, h.mtime).catch(() => undefined);
  }
  if (xattrs.length) await restoreXattrs(xattrs, !!options.requireXattrs, warnings);
  // Directory times last: writing their children changed them.
  for (const [dir, t] of dirTimes.reverse()) await utimes(dir, t, t).catch(() => undefined);
  return { bytes, entries, warnings };
}

/** Opaque directory (apply mode): remove what lower layers put there, keep this layer's entries. */
async function clearOpaque(dir: string, written: ReadonlySet<string>): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const p = path.join(dir, name);
    if (!written.has(p)) await rm(p, { recursive: true, force: true });
    else if ((await lstat(p)).isDirectory()) await clearOpaque(p, written);
  }
}

/** Sets every xattr with one `setfattr --restore`; binary values as base64 (`0s…`). */
async function restoreXattrs(list: Array<[string, string, Buffer]>, required: boolean, warnings: string[]): Promise<void> {
  const dump = list.map(([p, k, v]) => `# file: ${escapeAttrPath(p)}\n${k}=0s${v.toString('base64')}\n`).join('\n');
  try {
    await new Promise<void>((resolve, reject) => {
      const child = execFile('setfattr', ['-h', '--restore=-'], (err, _o, stderr) => (err ? reject(new Error(String(stderr || err.message).trim())) : resolve()));
      child.stdin!.end(dump);
    });
  } catch (err) {
    if (required) throw new TarError('ERR_TAR_UNSUPPORTED', `cannot set extended attributes: ${(err as Error).message}`);
    warnings.push(`extended attributes not restored: ${(err as Error).message}`);
  }
}
