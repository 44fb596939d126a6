/**
 * Can overlay2 run here? Root, overlayfs in the kernel, and a backing filesystem that can hold
 * upper and work directories — the last checked with a real test mount, because only that is
 * certain. Every check goes through an {@link OverlayHost}, so tests can make each one fail.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { NotSupportedError } from '@keel/sdk';
import { mountOverlay, unmountPath } from './overlay-mounts.js';

const run = promisify(execFile);

/** The host facts the probe relies on. */
export interface OverlayHost {
  /** True when the process may mount (root). */
  isRoot(): boolean;
  /** True when the kernel has overlayfs, loading the module if needed. */
  kernelHasOverlay(): Promise<boolean>;
  /** Docker's name for the filesystem holding `dir` (`extfs`, `xfs`, `overlayfs` …). */
  filesystemOf(dir: string): Promise<string>;
  /** Mounts an overlay in `dir` (holding lower1, lower2, upper, work, merged) and unmounts it. */
  testMount(dir: string, options: string): Promise<void>;
  /** The overlay module's default for a parameter (`metacopy`, `redirect_dir`): true when `Y`. */
  moduleDefault(name: string): Promise<boolean>;
}

/** What the probe found: the mount options to use and the rows of `docker info`. */
export interface OverlayProbe {
  readonly backingFilesystem: string;
  readonly supportsDType: boolean;
  /** Options put before lowerdir= on every mount (`index=off,…`). */
  readonly mountOptions: string;
  readonly metacopy: boolean;
  /** True when an upper dir alone describes the layer's changes (no redirects, no metacopy). */
  readonly nativeDiff: boolean;
}

/**
 * Preferred options: no inode index (a layer may be mounted on different lowers over time), no
 * directory redirects and no metadata-only copy-up, so every upper dir is self-contained and its
 * tar is the layer's diff — whatever the module defaults are.
 */
export const PREFERRED_OPTIONS = 'index=off,redirect_dir=off,metacopy=off';

const FS_MAGIC: Record<number, string> = {
  0xef53: 'extfs', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x01021994: 'tmpfs', 0x794c7630: 'overlayfs',
  0x2fc12fc1: 'zfs', 0xf2f52010: 'f2fs', 0x6969: 'nfs', 0xf15f: 'ecryptfs', 0x61756673: 'aufs',
};
/** Filesystems overlayfs cannot use as upper (as Docker refuses them): fail with a clear reason. */
const INCOMPATIBLE = new Set(['overlayfs', 'aufs', 'ecryptfs', 'nfs']);
/** Filesystems that fill in d_type, which overlayfs needs to see whiteouts (xfs: ftype=1, the default since 2015). */
const DTYPE = new Set(['extfs', 'xfs', 'btrfs', 'tmpfs', 'zfs', 'f2fs']);

/** The real host. */
export const systemOverlayHost: OverlayHost = {
  isRoot: () => process.getuid?.() === 0,
  async kernelHasOverlay() {
    const listed = async () => /\toverlay$/m.test(await readFile('/proc/filesystems', 'utf8').catch(() => ''));
    if (await listed()) return true;
    await run('modprobe', ['overlay']).catch(() => undefined);
    return listed();
  },
  async filesystemOf(dir) {
    const { type } = await statfs(dir);
    return FS_MAGIC[type] ?? `0x${type.toString(16)}`;
  },
  async testMount(dir, options) {
    const merged = path.join(dir, 'merged');
    await mountOverlay(dir, options, merged);
    try {
      await writeFile(path.join(merged, 'probe'), 'x'); // the upper dir must take writes too
    } finally {
      await unmountPath(merged);
    }
  },
  async moduleDefault(name) {
    return (await readFile(`/sys/module/overlay/parameters/${name}`, 'utf8').catch(() => 'N')).trim() === 'Y';
  },
};

/** Test-mounts in a scratch dir; returns the options that worked, or throws the first failure. */
async function findMountOptions(dir: string, host: OverlayHost): Promise<string> {
  for (const d of ['lower1', 'lower2', 'upper', 'work', 'merged']) await mkdir(path.join(dir, d), { recursive: true });
  const dirs = 'lowerdir=lower2:lower1,upperdir=upper,workdir=work';
  let first: Error | undefined;
  for (const options of [PREFERRED_OPTIONS, '']) {
    try {
      await host.testMount(dir, options ? `${options},${dirs}` : dirs);
      return options;
    } catch (err) {
      first ??= err as Error;
    }
  }
  throw first!;
}

/**
 * Throws NotSupportedError (the plugin is then `skipped`, with this reason) when overlay2 cannot
 * work under `root`; `scratch` is a fresh directory name under `root` for the test mount.
 */
export async function probeOverlay(root: string, scratch: string, host: OverlayHost = systemOverlayHost): Promise<OverlayProbe> {
  if (!host.isRoot()) throw new NotSupportedError('overlay2 needs root: mounting overlayfs requires CAP_SYS_ADMIN');
  if (!(await host.kernelHasOverlay())) throw new NotSupportedError('the kernel has no overlay filesystem (not in /proc/filesystems, and modprobe overlay failed)');
  await mkdir(root, { recursive: true, mode: 0o710 });
  const fs = await host.filesystemOf(root);
  if (INCOMPATIBLE.has(fs)) throw new NotSupportedError(`${root} is on ${fs}, which overlayfs cannot use for upper directories; use vfs or a data root on ext4/xfs/btrfs`);
  let mountOptions: string;
  try {
    mountOptions = await findMountOptions(scratch, host);
  } catch (err) {
    throw new NotSupportedError(`a test overlay mount on ${fs} (${root}) failed: ${(err as Error).message}`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  // Our own options turn these off; otherwise the module defaults apply.
  const metacopy = mountOptions ? false : await host.moduleDefault('metacopy');
  const redirects = mountOptions ? false : await host.moduleDefault('redirect_dir');
  return { backingFilesystem: fs, supportsDType: DTYPE.has(fs), mountOptions, metacopy, nativeDiff: !metacopy && !redirects };
}
