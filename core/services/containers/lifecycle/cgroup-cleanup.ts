/**
 * Removes a container's cgroup directories when the runtime could not (a create that failed
 * half-way leaves the cgroup it made but no runtime state to delete it by).
 */
import { readdir, rmdir } from 'node:fs/promises';
import path from 'node:path';

const ROOT = '/sys/fs/cgroup';

/** rmdir of `cgroupsPath` under every hierarchy (v1 controllers, the v2 root); absent ones are fine. */
export async function removeCgroup(cgroupsPath: string, root = ROOT): Promise<void> {
  const rel = cgroupsPath.replace(/^\/+/, '');
  if (!rel || rel.split('/').includes('..')) return;
  const dirs = [root, ...(await readdir(root).catch(() => [] as string[])).map((c) => path.join(root, c))];
  await Promise.all(dirs.map((d) => rmdir(path.join(d, rel)).catch(() => undefined)));
}
