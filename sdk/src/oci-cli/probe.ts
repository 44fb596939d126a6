/**
 * Host checks runtime plugins share: where a binary is, its version, and the cgroup layout.
 * @packageDocumentation
 */
import { execFile } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The cgroup layout of this host. */
export type CgroupLayout = 'v2' | 'v1' | 'hybrid';

/** Reads the layout from mountinfo: cgroup2 at /sys/fs/cgroup is v2; v1 with a cgroup2 beside it is hybrid. */
export async function cgroupLayout(mountinfo?: string): Promise<CgroupLayout> {
  const text = mountinfo ?? (await readFile('/proc/self/mountinfo', 'utf8'));
  const mounts = text.split('\n').map((l) => {
    const [pre, post] = l.split(' - ');
    return { point: pre?.split(' ')[4] ?? '', fs: post?.split(' ')[0] ?? '' };
  });
  if (mounts.some((m) => m.point === '/sys/fs/cgroup' && m.fs === 'cgroup2')) return 'v2';
  return mounts.some((m) => m.fs === 'cgroup2') ? 'hybrid' : 'v1';
}

/** The first of `candidates` that exists and is executable, else undefined. */
export async function findBinary(candidates: readonly string[]): Promise<string | undefined> {
  for (const c of candidates) if (await access(c, 1).then(() => true, () => false)) return c;
  return undefined;
}

/** The first line of `<binary> --version`. */
export async function binaryVersion(binary: string): Promise<string> {
  const { stdout } = await run(binary, ['--version']);
  return stdout.split('\n')[0]!.trim();
}
