/**
 * Watches the monitors' shared exit directory (one inotify watch for every container): conmon
 * writes `<exit-dir>/<id>` (temp file + rename) with the exit code when a container's process is
 * gone and its output drained.
 */
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';

const ID = /^[0-9a-f]{64}$/;

/** Reads an exit file: the code, or undefined while it is not (fully) there. */
export async function readExitFile(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : undefined;
}

/** Calls `onExit(id, code)` for every exit file that appears (and for those already there). */
export class ExitWatcher {
  private watcher?: FSWatcher;

  constructor(private readonly dir: string, private readonly onExit: (id: string, code: number) => void) {}

  async start(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    this.watcher = watch(this.dir, (_event, name) => {
      if (name && ID.test(name)) void this.check(name);
    });
    this.watcher.unref();
    for (const name of await readdir(this.dir)) if (ID.test(name)) await this.check(name);
  }

  private async check(id: string): Promise<void> {
    const code = await readExitFile(path.join(this.dir, id));
    if (code !== undefined) this.onExit(id, code);
  }

  stop(): void {
    this.watcher?.close();
  }
}
