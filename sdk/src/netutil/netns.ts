/**
 * Named network namespaces at any path, made the way `ip netns add` makes them: a new namespace
 * bind-mounted on a file so it lives without a process. `unshare --net=<file>` does the unshare and
 * the bind mount in one step (Node cannot call unshare(2) itself).
 */
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CallOptions } from '../drivers/common.js';
import { runTool, ToolError } from './exec.js';

/**
 * Creates a network namespace bound at `file` (its directory is created) with `lo` up. Some hosts
 * mount the directory with shared propagation, where the bind mount fails: the directory is then
 * made a private mount of its own, as `ip netns` does for /run/netns, and the call retried.
 */
export async function createNetns(file: string, options: CallOptions = {}): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, '', { mode: 0o444 });
  try {
    await runTool('unshare', [`--net=${file}`, 'ip', 'link', 'set', 'lo', 'up'], options);
  } catch (err) {
    if (!(err instanceof ToolError)) throw err;
    const dir = path.dirname(file);
    await runTool('mount', ['--bind', dir, dir], options);
    await runTool('mount', ['--make-private', dir], options);
    await runTool('unshare', [`--net=${file}`, 'ip', 'link', 'set', 'lo', 'up'], options).catch(async (e: unknown) => {
      await rm(file, { force: true });
      throw e;
    });
  }
}

/** Unmounts and removes the namespace file; the namespace dies with its last user. Missing files are fine. */
export async function removeNetns(file: string, options: CallOptions = {}): Promise<void> {
  if (!(await access(file).then(() => true, () => false))) return;
  // Only a bound namespace needs umount: checking mountinfo is far cheaper than a process per removal.
  if (await isMountPoint(file)) await runTool('umount', ['--lazy', file], options).catch(() => undefined);
  await rm(file, { force: true });
}

async function isMountPoint(file: string): Promise<boolean> {
  const info = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const escaped = file.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
  return info.split('\n').some((line) => line.split(' ')[4] === escaped);
}
