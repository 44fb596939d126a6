/**
 * The vfs storage driver: every layer is a full copy of its parent. Slow and large, but it works
 * on any filesystem, which makes it the fallback where overlayfs is missing.
 */
import { execFile } from 'node:child_process';
import { access, lstat, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { AlreadyExistsError, NotFoundError, type CallOptions, type CreateLayerOptions, type LayerChange, type LayerUsage, type StorageCapabilities, type StorageDriver } from '@keel/sdk';
import { assertLayerId, compareTrees, exportChanges, treeUsage } from '@keel/sdk/layers';
import { extractLayer } from '@keel/sdk/tar';

const run = promisify(execFile);
const exists = (p: string) => access(p).then(() => true, () => false);

/** Options of the vfs driver. */
export interface VfsDriverOptions {
  /** Directory holding `dir/<id>` per layer. */
  readonly root: string;
}

/** A storage driver that copies. */
export class VfsDriver implements StorageDriver {
  readonly capabilities: StorageCapabilities = { copyOnWrite: false };
  private readonly mounts = new Map<string, number>();

  constructor(private readonly opts: VfsDriverOptions) {}

  private dir(id: string): string {
    assertLayerId(id);
    return path.join(this.opts.root, 'dir', id);
  }

  private parentFile(id: string): string {
    return path.join(this.opts.root, 'parents', id);
  }

  async create(id: string, options: CreateLayerOptions = {}): Promise<void> {
    const dir = this.dir(id);
    if (await exists(dir)) throw new AlreadyExistsError(`layer ${id} already exists`);
    await mkdir(path.dirname(dir), { recursive: true, mode: 0o700 });
    await mkdir(path.join(this.opts.root, 'parents'), { recursive: true, mode: 0o700 });
    if (options.parent) {
      const parent = this.dir(options.parent);
      if (!(await exists(parent))) throw new NotFoundError(`parent layer ${options.parent} does not exist`);
      // cp -a keeps owners, modes, times, hardlinks, devices and xattrs; reflinks where the fs can.
      await run('cp', ['-a', '--reflink=auto', parent, dir], { signal: options.signal });
      await writeFile(this.parentFile(id), options.parent);
    } else {
      await mkdir(dir, { mode: 0o755 });
    }
  }

  createReadWrite(id: string, options?: CreateLayerOptions): Promise<void> {
    return this.create(id, options);
  }

  async remove(id: string): Promise<void> {
    const dir = this.dir(id);
    this.mounts.delete(id);
    await rm(dir, { recursive: true, force: true });
    await rm(this.parentFile(id), { force: true });
  }

  async mount(id: string): Promise<string> {
    const dir = this.dir(id);
    if (!(await exists(dir))) throw new NotFoundError(`layer ${id} does not exist`);
    this.mounts.set(id, (this.mounts.get(id) ?? 0) + 1);
    return dir;
  }

  async unmount(id: string): Promise<void> {
    const n = this.mounts.get(id) ?? 0;
    if (n <= 1) this.mounts.delete(id);
    else this.mounts.set(id, n - 1);
  }

  exists(id: string): Promise<boolean> {
    return exists(this.dir(id));
  }

  async list(): Promise<string[]> {
    return (await readdir(path.join(this.opts.root, 'dir')).catch(() => [] as string[])).sort();
  }

  async applyDiff(id: string, diff: Readable): Promise<number> {
    const dir = this.dir(id);
    if (!(await exists(dir))) throw new NotFoundError(`layer ${id} does not exist`);
    return (await extractLayer(diff, dir, { whiteouts: 'apply' })).bytes;
  }

  async changes(id: string): Promise<LayerChange[]> {
    const parent = await this.parentOf(id);
    return compareTrees(this.dir(id), parent ? this.dir(parent) : undefined);
  }

  async diff(id: string): Promise<Readable> {
    return exportChanges(this.dir(id), await this.changes(id));
  }

  /** The layer's own bytes: what it adds or changes over its parent (the rest is the parent's copy). */
  async usage(id: string): Promise<LayerUsage> {
    const parent = await this.parentOf(id);
    if (!parent) return treeUsage(this.dir(id));
    let size = 0;
    let inodes = 0;
    for (const c of await this.changes(id)) {
      if (c.kind === 2) continue;
      const s = await lstat(path.join(this.dir(id), c.path));
      inodes++;
      if (!s.isDirectory()) size += s.size;
    }
    return { size, inodes };
  }

  async status(_options?: CallOptions): Promise<Array<[string, string]>> {
    return [['Root Dir', this.opts.root]];
  }

  private async parentOf(id: string): Promise<string | undefined> {
    return readFile(this.parentFile(id), 'utf8').catch(() => undefined);
  }
}
