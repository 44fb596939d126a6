/**
 * dockerd's pid file rule: refuse to start while the pid in the file is a live process; replace
 * a stale file; remove it on exit.
 */
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Writes this process's pid to `file`; throws when another live process holds it. */
export async function claimPidFile(file: string): Promise<() => Promise<void>> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const pid = Number.parseInt(text.trim(), 10);
  if (pid > 0 && pid !== process.pid && alive(pid)) {
    throw new Error(`pid file found, ensure keeld is not running or delete ${file} (process ${pid} is still running)`);
  }
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${process.pid}`);
  return async () => {
    const now = await readFile(file, 'utf8').catch(() => '');
    if (now.trim() === String(process.pid)) await unlink(file).catch(() => undefined);
  };
}
