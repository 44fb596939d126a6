/**
 * Mounting for overlay2. Node cannot call mount(2), so util-linux's mount/umount run as child
 * processes: once per first mount and last unmount of a layer, never per file.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Mounts an overlay with `options` on `target`; paths in options are relative to `cwd`. */
export async function mountOverlay(cwd: string, options: string, target: string): Promise<void> {
  try {
    await run('mount', ['-t', 'overlay', 'overlay', '-o', options, target], { cwd });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`mounting overlay on ${target} failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

/** Unmounts `target`; `lazy` detaches even when busy (used on removal and crash recovery). */
export async function unmount(target: string, lazy = false): Promise<void> {
  await run('umount', lazy ? ['-l', target] : [target]);
}

/** Mount points at or below `root`, deepest first (from /proc/self/mountinfo). */
export async function mountsUnder(root: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const decode = (s: string) => s.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  const points = text
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => !!p)
    .map(decode)
    .filter((p) => p === root || p.startsWith(`${root}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** True when `target` is a mount point. */
export async function isMounted(target: string): Promise<boolean> {
  return (await mountsUnder(target)).includes(target);
}
