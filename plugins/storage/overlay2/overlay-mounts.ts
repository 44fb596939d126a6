/**
 * Mounting for overlay2. Node cannot call mount(2), so util-linux's mount/umount run as child
 * processes: once per first mount and last unmount of a layer, never per file or per reference.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

function stderrOf(err: unknown): string {
  const e = err as { stderr?: string; message: string };
  return (e.stderr || e.message).trim();
}

/**
 * Mounts an overlay with `options` on `target`. The process runs in `cwd`, so lower, upper and
 * work dirs in `options` may be relative to it (the kernel resolves them against the caller's
 * cwd), which keeps deep chains within the one-page limit of mount options.
 */
export async function mountOverlay(cwd: string, options: string, target: string): Promise<void> {
  try {
    await run('mount', ['-t', 'overlay', 'overlay', '-o', options, target], { cwd });
  } catch (err) {
    throw new Error(`mounting overlay on ${target} failed: ${stderrOf(err)}`);
  }
}

/**
 * Unmounts `target`. When it is busy (a shell or process still inside), falls back to a lazy
 * unmount so that removal still succeeds: the tree is detached now and freed when released.
 */
export async function unmountPath(target: string): Promise<void> {
  try {
    await run('umount', [target]);
  } catch (err) {
    try {
      await run('umount', ['-l', target]);
    } catch {
      throw new Error(`unmounting ${target} failed: ${stderrOf(err)}`);
    }
  }
}

/** Undoes mountinfo's octal escapes (`\040` for a space, `\134` for a backslash …). */
function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Every mount point of this process's namespace (field 5 of /proc/self/mountinfo). */
export async function mountPoints(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text.split('\n').flatMap((line) => {
    const field = line.split(' ')[4];
    return field ? [unescapeMountPath(field)] : [];
  });
}

/**
 * Mount points strictly below `root`, deepest first (nested mounts go before their parents). A
 * point mounted several times over appears once per mount, so unmounting the list clears it.
 */
export async function mountsUnder(root: string): Promise<string[]> {
  const prefix = root.endsWith('/') ? root : `${root}/`;
  return (await mountPoints()).filter((p) => p.startsWith(prefix)).sort((a, b) => b.length - a.length);
}
