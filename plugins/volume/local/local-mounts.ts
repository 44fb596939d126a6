/**
 * The real mounts of `local` volumes with options (tmpfs, nfs, ext4, bind). Node cannot call
 * mount(2), so util-linux's `mount`/`umount` run as child processes — once per first mount and
 * last unmount of a volume, never per container — and they bring the filesystem helpers
 * (`mount.nfs`, `mount.cifs`) that resolve hosts and negotiate versions the way users expect.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { LocalOptions } from './local-options.js';

const exec = promisify(execFile);

/** What the command printed on failure, or its message. */
function why(err: unknown): string {
  const { stderr, message } = err as { stderr?: string; message: string };
  return (stderr?.trim() || message).replace(/\s+/g, ' ');
}

/** `mount -t <type> [-o <o>] <device> <target>`; the error names the volume path, as Docker's does. */
export async function mountVolume(opts: LocalOptions, target: string, signal?: AbortSignal): Promise<void> {
  const args = ['-t', opts.type ?? 'none', ...(opts.o ? ['-o', opts.o] : []), opts.device ?? 'none', target];
  try {
    await exec('mount', args, { signal });
  } catch (err) {
    throw new Error(`error while mounting volume '${target}': failed to mount local volume: ${why(err)}`, { cause: err });
  }
}

/** Unmounts `target`; a busy mount stays mounted and the error says so (the caller keeps its reference). */
export async function unmountVolume(target: string): Promise<void> {
  try {
    await exec('umount', [target]);
  } catch (err) {
    throw new Error(`error while unmounting volume path '${target}': ${why(err)}`, { cause: err });
  }
}

/**
 * Mount points at or below `dir`, deepest first, read from this process's mountinfo (field 5,
 * with the kernel's octal escapes such as `\040` decoded).
 */
export async function mountedAt(dir: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const found = new Set<string>();
  for (const line of info.split('\n')) {
    const raw = line.split(' ', 5)[4];
    const point = raw?.replace(/\\(\d{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
    if (point && (point === dir || point.startsWith(`${dir}/`))) found.add(point);
  }
  return [...found].sort((a, b) => b.length - a.length);
}
