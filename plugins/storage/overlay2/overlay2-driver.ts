/**
 * The overlay2 storage driver, on Docker's on-disk layout (see overlay-layout.ts). A layer's
 * `diff` dir is its own files; mounting stacks it over its ancestors' diffs with overlayfs.
 * Whiteouts on disk are overlayfs's own (char 0/0 devices, `trusted.overlay.opaque=y`) and become
 * Docker's `.wh.` entries in diffs.
 *
 * Mounts: a layer without ancestors is returned as its diff dir (nothing to overlay; Docker does
 * the same), a read-write layer mounts its diff as the upper dir, and a read-only layer mounts
 * read-only with its own diff as the top lower dir, so image layers cannot be changed through a
 * mount. Mounts are reference counted and outlive the daemon on purpose (live restore):
 * {@link Overlay2Driver.recover} reconciles them on the next start.
 */
import { access, lstat, mkdir, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { addAbortSignal, type Readable } from 'node:stream';
import {
  AlreadyExistsError, InternalError, InvalidArgumentError, NotFoundError,
  type CallOptions, type CreateLayerOptions, type DriverStatusTable, type LayerChange, type LayerUsage, type Logger, type StorageCapabilities, type StorageDriver,
} from '@keel/sdk';
import { assertLayerId, isOverlayWhiteout, overlayChanges, treeUsage } from '@keel/sdk/layers';
import { extractLayer } from '@keel/sdk/tar';
import { MountRefs } from './mount-refs.js';
import { overlayDiffTar } from './overlay-diff.js';
import { mountOverlay, mountPoints, mountsUnder, unmountPath } from './overlay-mounts.js';
import { LINK_DIR, MAX_DEPTH, MAX_MOUNT_OPTIONS, newLinkName, OverlayLayout } from './overlay-layout.js';
import { PREFERRED_OPTIONS, probeOverlay, systemOverlayHost, type OverlayHost, type OverlayProbe } from './overlay-probe.js';

const exists = (p: string) => access(p).then(() => true, () => false);

/** Options of the overlay2 driver. */
export interface Overlay2DriverOptions {
  /** The driver's directory (the plugin root). */
  readonly root: string;
  readonly log?: Logger;
  /** Host checks behind {@link Overlay2Driver.probe}; tests replace them. */
  readonly host?: OverlayHost;
}

/** What {@link Overlay2Driver.recover} did. */
export interface RecoverResult {
  readonly unmounted: string[];
  /** Read-write layers still mounted (a live-restored container may run on them), now counted. */
  readonly adopted: string[];
}

/** A storage driver on overlayfs. */
export class Overlay2Driver implements StorageDriver {
  private readonly chains = new Map<string, string[]>();
  private linkDirMade = false;
  readonly capabilities: StorageCapabilities = { copyOnWrite: true };
  private readonly layout: OverlayLayout;
  private readonly refs = new MountRefs();
  private probed: OverlayProbe | undefined;

  constructor(private readonly opts: Overlay2DriverOptions) {
    this.layout = new OverlayLayout(opts.root);
  }

  /** Checks that overlay2 can run here; throws NotSupportedError with the reason otherwise. */
  async probe(): Promise<OverlayProbe> {
    this.probed = await probeOverlay(this.opts.root, this.layout.scratch('probe'), this.opts.host ?? systemOverlayHost);
    return this.probed;
  }

  /**
   * Reconciles the root after a crash or restart: unmounts every mount below it except the
   * merged dirs of read-write layers, which are adopted (the next mount counts them instead of
   * stacking a second overlay on the same upper dir, and an unmount releases them), and deletes
   * scratch dirs and dangling short links a crash left.
   */
  async recover(): Promise<RecoverResult> {
    const unmounted: string[] = [];
    const adopted: string[] = [];
    for (const m of await mountsUnder(this.opts.root)) {
      const id = await this.readWriteLayerMountedAt(m);
      if (id && !adopted.includes(id)) { this.refs.adopt(id); adopted.push(id); continue; } // a second stacked mount goes
      await unmountPath(m).then(() => unmounted.push(m), (err: Error) => this.opts.log?.warn({ err: err.message }, `overlay2: cannot unmount stale ${m}`));
    }
    for (const name of await readdir(this.opts.root).catch(() => [] as string[])) {
      if (name.startsWith('.')) await rm(path.join(this.opts.root, name), { recursive: true, force: true });
    }
    for (const short of await readdir(path.join(this.opts.root, LINK_DIR)).catch(() => [] as string[])) {
      const link = this.layout.linkPath(short);
      if (!(await exists(link))) await rm(link, { force: true }); // access() follows the link: dangling
    }
    if (unmounted.length || adopted.length) this.opts.log?.info({ unmounted, adopted }, 'overlay2: recovered mounts');
    return { unmounted, adopted };
  }

  private async readWriteLayerMountedAt(mountPoint: string): Promise<string | undefined> {
    const rel = path.relative(this.opts.root, mountPoint).split(path.sep);
    if (rel.length !== 2 || rel[1] !== 'merged' || !this.isLayerId(rel[0]!)) return undefined;
    return (await exists(this.layout.dir(rel[0]!, 'work'))) ? rel[0] : undefined;
  }

  private isLayerId(name: string): boolean {
    try {
      this.layout.assertId(name);
      return true;
    } catch {
      return false;
    }
  }

  create(id: string, options: CreateLayerOptions = {}): Promise<void> {
    return this.createLayer(id, options, false);
  }

  createReadWrite(id: string, options: CreateLayerOptions = {}): Promise<void> {
    return this.createLayer(id, options, true);
  }

  /** Builds the layer in a scratch dir and renames it into place: a crash never leaves half a layer. */
  private async createLayer(id: string, options: CreateLayerOptions, readWrite: boolean): Promise<void> {
    options.signal?.throwIfAborted();
    const dir = this.layout.dir(id);
    if (options.parent !== undefined) assertLayerId(options.parent);
    if (Object.keys(options.storageOpts ?? {}).length) throw new InvalidArgumentError('overlay2 takes no --storage-opt (size quotas need xfs project quotas, which keel does not set up)');
    if (await exists(dir)) throw new AlreadyExistsError(`layer ${id} already exists`);
    const lowers = options.parent === undefined ? [] : await this.chainOf(options.parent);
    if (lowers.length > MAX_DEPTH) throw new InvalidArgumentError(`layer ${id} would have ${lowers.length} ancestors; overlay2 allows ${MAX_DEPTH}`);
    const tmp = this.layout.scratch('tmp');
    const short = newLinkName();
    if (!this.linkDirMade) await mkdir(path.join(this.opts.root, LINK_DIR), { recursive: true, mode: 0o700 });
    this.linkDirMade = true;
    let linked = false;
    try {
      await mkdir(tmp, { mode: 0o711 });
      await mkdir(path.join(tmp, 'diff'), { mode: 0o755 });
      if (readWrite) await mkdir(path.join(tmp, 'work'), { mode: 0o700 });
      if (lowers.length) await mkdir(path.join(tmp, 'merged'), { mode: 0o700 });
      await writeFile(path.join(tmp, 'link'), short);
      if (lowers.length) await writeFile(path.join(tmp, 'lower'), lowers.join(':'));
      // Dangling until the rename; recover() deletes it if a crash comes in between.
      await symlink(path.join('..', id, 'diff'), this.layout.linkPath(short));
      linked = true;
      await rename(tmp, dir);
    } catch (err) {
      if (linked) await rm(this.layout.linkPath(short), { force: true });
      await rm(tmp, { recursive: true, force: true });
      const code = (err as NodeJS.ErrnoException).code;
      // Only the rename can meet an existing layer (one created since the check above).
      if (linked && (code === 'ENOTEMPTY' || code === 'EEXIST')) throw new AlreadyExistsError(`layer ${id} already exists`);
      throw err;
    }
  }

  /** `l/<short>` of `parent` and all its ancestors, nearest first. */
  /** A layer's lower chain never changes while it exists: kept in memory (every container create reads its image's). */
  private async chainOf(parent: string): Promise<string[]> {
    const known = this.chains.get(parent);
    if (known) return known;
    const short = await this.layout.readLink(parent);
    if (!short) throw new NotFoundError(`parent layer ${parent} does not exist`);
    const chain = [`${LINK_DIR}/${short}`, ...(await this.layout.readLowers(parent))];
    this.chains.set(parent, chain);
    return chain;
  }

  async remove(id: string, options: CallOptions = {}): Promise<void> {
    options.signal?.throwIfAborted();
    this.chains.delete(id);
    const dir = this.layout.dir(id);
    await this.refs.drop(id, async () => {
      const merged = path.join(dir, 'merged');
      // mountinfo, not our counts, is the truth: it also shows mounts from before a restart.
      for (let i = 0; i < 8 && (await mountPoints()).includes(merged); i++) await unmountPath(merged);
      const short = await this.layout.readLink(id);
      const trash = this.layout.scratch('rm');
      try {
        await rename(dir, trash); // the layer disappears at once; the slow delete follows
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // removing twice is not an error
        throw err;
      }
      if (short) await rm(this.layout.linkPath(short), { force: true });
      await rm(trash, { recursive: true, force: true });
    });
  }

  async mount(id: string, options: CallOptions & { readonly mountLabel?: string } = {}): Promise<string> {
    options.signal?.throwIfAborted(); // not later: a mount(8) killed half-way could leave a mount uncounted
    const dir = this.layout.dir(id);
    if (!(await exists(dir))) throw new NotFoundError(`layer ${id} does not exist`);
    const lowers = await this.layout.readLowers(id);
    if (!lowers.length) return path.join(dir, 'diff');
    await this.refs.acquire(id, () => this.mountLayer(id, lowers));
    return path.join(dir, 'merged');
  }

  private async mountLayer(id: string, lowers: string[]): Promise<void> {
    const merged = this.layout.dir(id, 'merged');
    // Checked under the layer's turn: a remove queued before us must win.
    if (!(await exists(merged))) throw new NotFoundError(`layer ${id} does not exist`);
    const options = await this.mountOptions(id, lowers);
    if (options.length > MAX_MOUNT_OPTIONS) throw new InvalidArgumentError(`layer ${id}: overlay mount options of ${options.length} bytes exceed one page`);
    await mountOverlay(this.opts.root, options, merged);
  }

  /**
   * Mount options of a layer with ancestors, every dir relative to the root (the mount runs
   * there), so that 125 lowers fit in the one page the kernel takes.
   */
  async mountOptions(id: string, lowers?: string[]): Promise<string> {
    const below = lowers ?? (await this.layout.readLowers(id));
    const own = await this.layout.readLink(id);
    if (!own || !below.length) throw new InternalError(`layer ${id} has no valid link or no ancestors to mount over`);
    const dirs = (await exists(this.layout.dir(id, 'work')))
      ? `lowerdir=${below.join(':')},upperdir=${id}/diff,workdir=${id}/work`
      : `lowerdir=${LINK_DIR}/${own}:${below.join(':')}`;
    const extra = this.probed?.mountOptions ?? PREFERRED_OPTIONS;
    return extra ? `${extra},${dirs}` : dirs;
  }

  async unmount(id: string): Promise<void> {
    const merged = this.layout.dir(id, 'merged');
    await this.refs.release(id, () => unmountPath(merged));
  }

  async exists(id: string): Promise<boolean> {
    return exists(this.layout.dir(id));
  }

  async list(): Promise<string[]> {
    const names = await readdir(this.opts.root, { withFileTypes: true }).catch(() => []);
    return names.filter((e) => e.isDirectory() && this.isLayerId(e.name)).map((e) => e.name).sort();
  }

  async applyDiff(id: string, diff: Readable, options: CallOptions = {}): Promise<number> {
    const upper = this.layout.dir(id, 'diff');
    if (!(await exists(upper))) throw new NotFoundError(`layer ${id} does not exist`);
    if (options.signal) addAbortSignal(options.signal, diff);
    return (await extractLayer(diff, upper, { whiteouts: 'overlay' })).bytes;
  }

  /** Every entry of the upper dir: whiteouts are deletions, entries found below are modifications. */
  async changes(id: string): Promise<LayerChange[]> {
    const upper = this.layout.dir(id, 'diff');
    if (!(await exists(upper))) throw new NotFoundError(`layer ${id} does not exist`);
    const lowers = (await this.layout.readLowers(id)).map((l) => path.join(this.opts.root, l));
    return overlayChanges(upper, (p) => existsBelow(lowers, p));
  }

  /** The diff dir as a layer tar: whiteouts as `.wh.<name>`, opaque dirs with `.wh..wh..opq`. */
  async diff(id: string, options: CallOptions = {}): Promise<Readable> {
    options.signal?.throwIfAborted();
    const upper = this.layout.dir(id, 'diff');
    if (!(await exists(upper))) throw new NotFoundError(`layer ${id} does not exist`);
    const tar = overlayDiffTar(upper);
    return options.signal ? addAbortSignal(options.signal, tar) : tar;
  }

  async usage(id: string): Promise<LayerUsage> {
    const upper = this.layout.dir(id, 'diff');
    if (!(await exists(upper))) throw new NotFoundError(`layer ${id} does not exist`);
    return treeUsage(upper);
  }

  async status(): Promise<DriverStatusTable> {
    const p = this.probed ?? (await this.probe());
    return [
      ['Backing Filesystem', p.backingFilesystem], ['Supports d_type', String(p.supportsDType)],
      ['Using metacopy', String(p.metacopy)], ['Native Overlay Diff', String(p.nativeDiff)], ['userxattr', 'false'],
    ];
  }
}

/**
 * True when `p` exists in the nearest lower dir that has it. A whiteout there means deleted; a
 * non-directory on the way (ENOTDIR) hides everything deeper. Opaque dirs in lowers are not
 * consulted (that would need an xattr read per lower): an entry re-added under one may be
 * reported as modified rather than added.
 */
async function existsBelow(lowers: readonly string[], p: string): Promise<boolean> {
  for (const l of lowers) {
    try {
      return !isOverlayWhiteout(await lstat(path.join(l, p), { bigint: true }));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return false;
}
