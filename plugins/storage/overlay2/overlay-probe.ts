/**
 * Can overlay2 run here? Root, overlayfs in the kernel, and a backing filesystem that can hold
 * upper and work directories: checked with a real test mount, because only that is certain.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { NotSupportedError } from '@keel/sdk';
import { mountOverlay, unmount } from './overlay-mounts.js';

const run = promisify(execFile);

/** What the probe found, for `docker info`. */
export interface OverlayProbe {
  readonly backingFilesystem: string;
}

const FS_NAMES: Record<string, string> = { 'ext2/ext3': 'extfs', xfs: 'xfs', btrfs: 'btrfs', tmpfs: 'tmpfs', zfs: 'zfs' };

async function kernelHasOverlay(): Promise<boolean> {
  const has = async () => /\toverlay$/m.test(await readFile('/proc/filesystems', 'utf8').catch(() => ''));
  if (await has()) return true;
  await run('modprobe', ['overlay']).catch(() => undefined);
  return has();
}

/** Throws NotSupportedError (plugin `skipped`) with the reason when overlay2 cannot work under `root`. */
export async function probeOverlay(root: string, isRoot = process.getuid?.() === 0): Promise<OverlayProbe> {
  if (!isRoot) throw new NotSupportedError('overlay2 needs root (mount(2))');
  if (!(await kernelHasOverlay())) throw new NotSupportedError('the kernel has no overlay filesystem (not in /proc/filesystems, modprobe overlay failed)');
  await mkdir(root, { recursive: true, mode: 0o700 });
  const { stdout } = await run('stat', ['-f', '-c', '%T', root]);
  const fsType = stdout.trim();
  if (fsType === 'overlayfs') throw new NotSupportedError(`${root} is itself on overlayfs, which cannot host overlay upper directories`);
  const dir = await mkdtemp(path.join(root, 'probe-'));
  try {
    for (const d of ['lower', 'upper', 'work', 'merged']) await mkdir(path.join(dir, d));
    try {
      await mountOverlay(dir, 'lowerdir=lower,upperdir=upper,workdir=work', path.join(dir, 'merged'));
    } catch (err) {
      throw new NotSupportedError(`a test overlay mount on ${fsType} failed: ${(err as Error).message}`);
    }
    await unmount(path.join(dir, 'merged'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { backingFilesystem: FS_NAMES[fsType] ?? fsType };
}
