/**
 * JSON documents under `<data-root>/state/`, written atomically: write a temp file in the same
 * directory, fsync it, rename over the target, fsync the directory. A crash leaves the old or
 * the new document, never a torn one; stray temp files are ignored and removed on list.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { InternalError, InvalidArgumentError, type StateStore } from '@keel/sdk';

const KEY = /^[A-Za-z0-9_.@:-]+(\/[A-Za-z0-9_.@:-]+)*$/;
const TMP = '.tmp-';

function checkKey(key: string): void {
  if (!KEY.test(key) || key.split('/').some((s) => s === '.' || s === '..')) {
    throw new InvalidArgumentError(`invalid state key "${key}"`);
  }
}

/** A file-backed {@link StateStore} rooted at `dir`, optionally under a key prefix. */
export class FileStateStore implements StateStore {
  constructor(private readonly dir: string, private readonly prefix = '') {}

  private file(key: string): string {
    checkKey(key);
    return path.join(this.dir, ...`${this.prefix}${key}`.split('/')) + '.json';
  }

  async get<T>(key: string): Promise<T | undefined> {
    const file = this.file(key);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new InternalError(`state document ${file} is corrupt`, { cause: err });
    }
  }

  async put<T>(key: string, value: T): Promise<void> {
    const file = this.file(key);
    const dir = path.dirname(file);
    if (!knownDirs.has(dir)) await mkdir(dir, { recursive: true });
    knownDirs.add(dir);
    const tmp = path.join(dir, `${TMP}${randomBytes(6).toString('hex')}`);
    const fh = await open(tmp, 'wx', 0o600).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      await mkdir(dir, { recursive: true }); // removed behind our back
      return open(tmp, 'wx', 0o600);
    });
    try {
      await fh.writeFile(JSON.stringify(value));
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    await syncDirShared(dir);
  }

  async delete(key: string): Promise<boolean> {
    try {
      await unlink(this.file(key));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  async list(prefix = ''): Promise<string[]> {
    const keys: string[] = [];
    await this.walk(path.join(this.dir, ...this.prefix.split('/').filter(Boolean)), '', keys);
    return keys.filter((k) => k.startsWith(prefix)).sort();
  }

  namespace(name: string): StateStore {
    checkKey(name);
    return new FileStateStore(this.dir, `${this.prefix}${name}/`);
  }

  private async walk(dir: string, rel: string, out: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const relName = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await this.walk(path.join(dir, e.name), relName, out);
      else if (e.name.startsWith(TMP)) await rm(path.join(dir, e.name), { force: true }); // left by a crash mid-write
      else if (e.name.endsWith('.json')) out.push(relName.slice(0, -'.json'.length));
    }
  }
}

/** Directories this process made or saw (a put skips their mkdir). */
const knownDirs = new Set<string>();

/** Per directory: the fsync under way and the one queued behind it. */
const dirSyncs = new Map<string, { running?: Promise<void>; queued?: Promise<void> }>();

/**
 * A rename is durable once an fsync of its directory that started after it has finished. Puts
 * that land while one fsync runs share the next one instead of each running their own.
 */
function syncDirShared(dir: string): Promise<void> {
  const s = dirSyncs.get(dir) ?? {};
  dirSyncs.set(dir, s);
  if (!s.running) {
    s.running = syncDir(dir).finally(() => {
      s.running = undefined;
      if (!s.queued) dirSyncs.delete(dir);
    });
    return s.running;
  }
  s.queued ??= s.running.catch(() => undefined).then(() => {
    s.queued = undefined;
    return syncDirShared(dir);
  });
  return s.queued;
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
