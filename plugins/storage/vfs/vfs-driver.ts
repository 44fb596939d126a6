/**
 * The vfs storage driver: every layer is a full copy of its parent, in `<root>/dir/<id>` as in
 * Docker; `<root>/parents/<id>` names the parent (diffs and changes compare against it). Slow and
 * large, but it works on any filesystem and without mounts, which makes it the fallback where
 * overlayfs cannot run.
 *
 * Copies use `cp -a --reflink=auto`, one child process per layer created: GNU cp keeps owners,
 * modes, times, hardlinks, device nodes, fifos, sparse files and every xattr namespace (as root),
 * and shares blocks on btrfs/xfs — all of which a Node copy would have to reimplement, with
 * xattrs needing child processes anyway.
 */
import { execFile } from 'node:child_process';
import { access, lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { addAbortSignal, type Readable } from 'node:stream';
import { promisify } from 'node:util';
import {
  AlreadyExistsError, InvalidArgumentError, KeyedQueue, NotFoundError,
  type CallOptions, type CreateLayerOptions, type LayerChange, type LayerUsage, type Logger, type StorageCapabilities, type StorageDriver,
} from '@keel/sdk';
import { assertLayerId, compareTrees, treeUsage } from '@keel/sdk/layers';
import { extractLayer } from '@keel/sdk/tar';
import { vfsDiffTar } from './vfs-diff.js';

const run = promisify(execFile);
const exists = (p: string) => access(p).then(() => true, () => false);

/** Options of the vfs driver. */
export interface VfsDriverOptions {
  /** The driver's directory (the plugin root). */
  readonly root: string;
  readonly log?: Logger;
}

/** A storage driver that copies. */
export class VfsDriver implements StorageDriver {
  readonly capabilities: StorageCapabilities = { copyOnWrite: false };
  /** Mount references: there is nothing to mount, but callers pair mount/unmount all the same. */
  private readonly mounts = new Map<string, number>();
  /** Per-layer queue, so two creates of one id cannot interleave their parent record and rename. */
  private readonly turns = new KeyedQueue();

  constructor(private readonly opts: VfsDriverOptions) {}

  private dir(id: string): string {
    assertLayerId(id);
    return path.join(this.opts.root, 'dir', id);
  }

  private parentFile(id: string): string {
    assertLayerId(id);
    return path.join(this.opts.root, 'parents', id);
  }

  /** A scratch path beside the layers (same filesystem, so renames are atomic; never a valid id). */
  private scratch(kind: string): string {
    return path.join(this.opts.root, 'dir', `.${kind}-${randomBytes(6).toString('hex')}`);
  }


  /** Deletes what a crash left: half-made copies, half-deleted layers, parent records without a layer. */
  async recover(): Promise<void> {
    const names = await readdir(path.join(this.opts.root, 'dir')).catch(() => [] as string[]);
    for (const n of names.filter((x) => x.startsWith('.'))) await rm(path.join(this.opts.root, 'dir', n), { recursive: true, force: true });
    for (const id of await readdir(path.join(this.opts.root, 'parents')).catch(() => [] as string[])) {
      if (!names.includes(id)) await rm(path.join(this.opts.root, 'parents', id), { force: true });
    }
  }

  create(id: string, options: CreateLayerOptions = {}): Promise<void> {
    return this.createLayer(id, options);
  }

  /** vfs layers are all writable; a read-write layer is made the same way. */
  createReadWrite(id: string, options: CreateLayerOptions = {}): Promise<void> {
    return this.createLayer(id, options);
  }

  /** Copies into a scratch dir, then renames it into place: a crash never leaves half a layer. */
  private async createLayer(id: string, options: CreateLayerOptions): Promise<void> {
    options.signal?.throwIfAborted();
    const dir = this.dir(id);
    const parent = options.parent === undefined ? undefined : this.dir(options.parent);
    if (Object.keys(options.storageOpts ?? {}).length) throw new InvalidArgumentError('vfs takes no --storage-opt');
    if (await exists(dir)) throw new AlreadyExistsError(`layer ${id} already exists`);
    if (parent && !(await exists(parent))) throw new NotFoundError(`parent layer ${options.parent} does not exist`);
    await mkdir(path.join(this.opts.root, 'parents'), { recursive: true, mode: 0o700 });
    await mkdir(path.dirname(dir), { recursive: true, mode: 0o700 });
    const tmp = this.scratch('tmp');
    try {
      if (parent) await run('cp', ['-a', '--reflink=auto', '--', parent, tmp], { signal: options.signal });
      else await mkdir(tmp, { mode: 0o755 });
      await this.turns.run(id, async () => {
        if (await exists(dir)) throw new AlreadyExistsError(`layer ${id} already exists`);
        if (options.parent === undefined) await rm(this.parentFile(id), { force: true });
        else await writeFile(this.parentFile(id), options.parent);
        await rename(tmp, dir);
      });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  async remove(id: string, options: CallOptions = {}): Promise<void> {
    options.signal?.throwIfAborted();
    const dir = this.dir(id);
    await this.turns.run(id, async () => {
      this.mounts.delete(id);
      const trash = this.scratch('rm');
      try {
        await rename(dir, trash); // the layer disappears at once; the slow delete follows
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      await rm(this.parentFile(id), { force: true });
      await rm(trash, { recursive: true, force: true });
    });
  }

  async mount(id: string): Promise<string> {
    const dir = this.dir(id);
    if (!(await exists(dir))) throw new NotFoundError(`layer ${id} does not exist`);
    this.mounts.set(id, (this.mounts.get(id) ?? 0) + 1);
    return dir;
  }

  async unmount(id: string): Promise<void> {
    assertLayerId(id);
    const n = this.mounts.get(id) ?? 0;
    if (n <= 1) this.mounts.delete(id);
    else this.mounts.set(id, n - 1);
  }

  async exists(id: string): Promise<boolean> {
    return exists(this.dir(id));
  }

  async list(): Promise<string[]> {
    const names = await readdir(path.join(this.opts.root, 'dir')).catch(() => [] as string[]);
    return names.filter((n) => !n.startsWith('.')).sort();
  }

  async applyDiff(id: string, diff: Readable, options: CallOptions = {}): Promise<number> {
    const dir = await this.existing(id);
    if (options.signal) addAbortSignal(options.signal, diff);
    return (await extractLayer(diff, dir, { whiteouts: 'apply' })).bytes;
  }

  /** The two trees compared: owners, modes, sizes, times, link targets and device numbers. */
  async changes(id: string): Promise<LayerChange[]> {
    const dir = await this.existing(id);
    const parent = await this.parentOf(id);
    return compareTrees(dir, parent === undefined ? undefined : this.dir(parent));
  }

  /** Added and modified entries with their xattrs, deletions as `.wh.` entries. */
  async diff(id: string, options: CallOptions = {}): Promise<Readable> {
    const dir = await this.existing(id);
    const tar = vfsDiffTar(dir, await this.changes(id));
    return options.signal ? addAbortSignal(options.signal, tar) : tar;
  }

  /**
   * The layer's own share: what it adds or changes over its parent (the rest is a copy that the
   * parent accounts for), so image sizes do not count every ancestor again. Hardlinks once.
   */
  async usage(id: string): Promise<LayerUsage> {
    const dir = await this.existing(id);
    if ((await this.parentOf(id)) === undefined) return treeUsage(dir);
    const seen = new Set<string>();
    let size = 0;
    for (const c of await this.changes(id)) {
      if (c.kind === 2) continue;
      const s = await lstat(path.join(dir, c.path), { bigint: true });
      const key = `${s.dev}:${s.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (!s.isDirectory()) size += Number(s.size);
    }
    return { size, inodes: seen.size };
  }

  private async existing(id: string): Promise<string> {
    const dir = this.dir(id);
    if (!(await exists(dir))) throw new NotFoundError(`layer ${id} does not exist`);
    return dir;
  }

  private async parentOf(id: string): Promise<string | undefined> {
    const parent = (await readFile(this.parentFile(id), 'utf8').catch(() => '')).trim();
    return parent || undefined;
  }
}
