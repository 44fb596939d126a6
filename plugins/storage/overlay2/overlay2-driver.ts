/**
 * The overlay2 storage driver, on Docker's on-disk idea: `<root>/<id>/diff` holds a layer's own
 * files; `<root>/l/<short>` links to it so a chain of lower dirs, written relative to `<root>`,
 * fits the one-page limit of mount options; `<id>/lower` lists the ancestors nearest first;
 * `<id>/work` and `<id>/merged` serve the overlay mount. Whiteouts are overlayfs's own (char
 * 0/0 devices, `trusted.overlay.opaque`), converted to Docker's `.wh.` form in diffs.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, lstat, mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { AlreadyExistsError, NotFoundError, type CreateLayerOptions, type LayerChange, type LayerUsage, type StorageCapabilities, type StorageDriver } from '@keel/sdk';
import { assertLayerId, exportChanges, overlayChanges, treeUsage } from '@keel/sdk/layers';
import { extractLayer } from '@keel/sdk/tar';
import { isMounted, mountOverlay, mountsUnder, unmount } from './overlay-mounts.js';
import type { OverlayProbe } from './overlay-probe.js';

const run = promisify(execFile);
const exists = (p: string) => access(p).then(() => true, () => false);
const LINK_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Options of the overlay2 driver. */
export interface Overlay2DriverOptions {
  readonly root: string;
  readonly probe: OverlayProbe;
}

/** Docker-style 26-character link name. */
function newLinkName(): string {
  return [...randomBytes(26)].map((b) => LINK_CHARS[b % 32]).join('');
}

/** A storage driver on overlayfs. */
export class Overlay2Driver implements StorageDriver {
  readonly capabilities: StorageCapabilities = { copyOnWrite: true };
  private readonly mounts = new Map<string, number>();

  constructor(private readonly opts: Overlay2DriverOptions) {}

  /** Unmounts what a crash left mounted under the root. */
  async recover(): Promise<void> {
    for (const m of await mountsUnder(this.opts.root)) await unmount(m, true).catch(() => undefined);
  }

  private dir(id: string, ...rest: string[]): string {
    assertLayerId(id);
    return path.join(this.opts.root, id, ...rest);
  }

  async create(id: string, options: CreateLayerOptions = {}): Promise<void> {
    if (await exists(this.dir(id))) throw new AlreadyExistsError(`layer ${id} already exists`);
    let lower = '';
    if (options.parent) {
      if (!(await exists(this.dir(options.parent)))) throw new NotFoundError(`parent layer ${options.parent} does not exist`);
      const parentLink = (await readFile(this.dir(options.parent, 'link'), 'utf8')).trim();
      const parentLower = await readFile(this.dir(options.parent, 'lower'), 'utf8').catch(() => '');
      lower = parentLower ? `l/${parentLink}:${parentLower}` : `l/${parentLink}`;
    }
    const link = newLinkName();
    await mkdir(path.join(this.opts.root, 'l'), { recursive: true, mode: 0o700 });
    await mkdir(this.dir(id, 'diff'), { recursive: true, mode: 0o755 });
    await writeFile(this.dir(id, 'link'), link);
    await symlink(path.join('..', id, 'diff'), path.join(this.opts.root, 'l', link));
    if (lower) {
      await writeFile(this.dir(id, 'lower'), lower);
      await mkdir(this.dir(id, 'work'), { mode: 0o700 });
      await mkdir(this.dir(id, 'merged'), { mode: 0o700 });
    }
  }

  createReadWrite(id: string, options?: CreateLayerOptions): Promise<void> {
    return this.create(id, options);
  }

  async remove(id: string): Promise<void> {
    const merged = this.dir(id, 'merged');
    if (await isMounted(merged)) await unmount(merged, true);
    this.mounts.delete(id);
    const link = await readFile(this.dir(id, 'link'), 'utf8').catch(() => '');
    if (/^[A-Z2-7]{26}$/.test(link.trim())) await rm(path.join(this.opts.root, 'l', link.trim()), { force: true });
    await rm(this.dir(id), { recursive: true, force: true });
  }

  async mount(id: string): Promise<string> {
    if (!(await exists(this.dir(id)))) throw new NotFoundError(`layer ${id} does not exist`);
    const lower = await readFile(this.dir(id, 'lower'), 'utf8').catch(() => '');
    const n = this.mounts.get(id) ?? 0;
    this.mounts.set(id, n + 1);
    if (!lower) return this.dir(id, 'diff'); // a base layer is its own root: nothing to overlay
    const merged = this.dir(id, 'merged');
    if (n === 0 && !(await isMounted(merged))) {
      try {
        // Relative paths (cwd = root) keep deep chains under the mount-option page limit.
        await mountOverlay(this.opts.root, `index=off,lowerdir=${lower},upperdir=${id}/diff,workdir=${id}/work`, merged);
      } catch (err) {
        this.mounts.delete(id);
        throw err;
      }
    }
    return merged;
  }

  async unmount(id: string): Promise<void> {
    const n = this.mounts.get(id) ?? 0;
    if (n > 1) return void this.mounts.set(id, n - 1);
    this.mounts.delete(id);
    const merged = this.dir(id, 'merged');
    if (await isMounted(merged)) await unmount(merged);
  }

  exists(id: string): Promise<boolean> {
    return exists(this.dir(id));
  }

  async list(): Promise<string[]> {
    const names = await readdir(this.opts.root).catch(() => [] as string[]);
    return names.filter((n) => n !== 'l' && !n.startsWith('probe-')).sort();
  }

  async applyDiff(id: string, diff: Readable): Promise<number> {
    if (!(await exists(this.dir(id)))) throw new NotFoundError(`layer ${id} does not exist`);
    return (await extractLayer(diff, this.dir(id, 'diff'), { whiteouts: 'overlay' })).bytes;
  }

  async changes(id: string): Promise<LayerChange[]> {
    const lowers = await this.lowerDirs(id);
    return overlayChanges(this.dir(id, 'diff'), async (p) => {
      for (const l of lowers) if (await lstat(path.join(l, p)).then(() => true, () => false)) return true;
      return false;
    });
  }

  async diff(id: string): Promise<Readable> {
    const changes = await this.changes(id);
    return exportChanges(this.dir(id, 'diff'), changes, { opaqueDirs: await this.opaqueDirs(id) });
  }

  async usage(id: string): Promise<LayerUsage> {
    return treeUsage(this.dir(id, 'diff'));
  }

  async status(): Promise<Array<[string, string]>> {
    return [['Backing Filesystem', this.opts.probe.backingFilesystem], ['Supports d_type', 'true'], ['Using metacopy', 'false'], ['Native Overlay Diff', 'true'], ['userxattr', 'false']];
  }

  private async lowerDirs(id: string): Promise<string[]> {
    const lower = await readFile(this.dir(id, 'lower'), 'utf8').catch(() => '');
    return lower ? lower.split(':').map((l) => path.join(this.opts.root, l)) : [];
  }

  /** Directories of the layer marked opaque (`trusted.overlay.opaque=y`), as layer paths. */
  private async opaqueDirs(id: string): Promise<Set<string>> {
    const diff = this.dir(id, 'diff');
    // One getfattr for the whole tree; entries without the attribute only complain on stderr.
    const out = await run('getfattr', ['-R', '-P', '--absolute-names', '-n', 'trusted.overlay.opaque', diff], { maxBuffer: 64 << 20 })
      .then((r) => r.stdout, (e: { stdout?: string }) => e.stdout ?? '');
    const dirs = new Set<string>();
    let file: string | undefined;
    for (const line of out.split('\n')) {
      if (line.startsWith('# file: ')) file = line.slice(8);
      else if (file && line.startsWith('trusted.overlay.opaque="y"')) dirs.add(file.slice(diff.length) || '/');
    }
    return dirs;
  }
}
