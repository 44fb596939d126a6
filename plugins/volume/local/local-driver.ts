/**
 * Docker's `local` volume driver: each volume is `<root>/<name>/_data` (like Docker's
 * `/var/lib/docker/volumes/<name>/_data`). With options (`type`, `device`, `o`) the filesystem
 * they describe is mounted on `_data` at the first reference and unmounted at the last. Records
 * (options, creation time, the refs holding a mount) are state documents `volumes/<name>`; the
 * refs are written before the mount is made, so a restart keeps the counts of running containers.
 */
import { lstat, mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  ConflictError, NotFoundError, type CallOptions, type DriverVolume, type Logger, type StateStore,
  type VolumeCreateOptions, type VolumeDriver,
} from '@keel/sdk';
import { mountedAt, mountVolume, unmountVolume } from './local-mounts.js';
import { checkVolumeName, needsMount, parseLocalOptions } from './local-options.js';

/** What the driver keeps of a volume. */
interface LocalRecord {
  readonly name: string;
  readonly createdAt: string;
  readonly options: Readonly<Record<string, string>>;
  /** The refs (container IDs) holding a mount, in the order they came. */
  readonly refs: readonly string[];
}

/** Where the driver keeps its volumes and records. */
export interface LocalVolumeDriverOptions {
  /** The plugin root; volumes are directories below it. */
  readonly root: string;
  /** The plugin's state store. */
  readonly state: StateStore;
  readonly log?: Logger;
}

/** The `local` volume driver. Call {@link open} once before use. */
export class LocalVolumeDriver implements VolumeDriver {
  readonly capabilities = { scope: 'local', usage: true } as const;
  private readonly records = new Map<string, LocalRecord>();
  /** Per-volume queue: a volume's calls run one at a time, different volumes in parallel. */
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(private readonly o: LocalVolumeDriverOptions) {}

  /** Loads the records and reconciles them with the disk and the mount table (after a crash or reboot). */
  async open(): Promise<void> {
    await mkdir(this.o.root, { recursive: true, mode: 0o701 });
    for (const key of await this.o.state.list('volumes/')) {
      const rec = await this.o.state.get<LocalRecord>(key);
      if (rec) this.records.set(rec.name, rec);
    }
    for (const entry of await readdir(this.o.root)) {
      if (!this.records.has(entry)) await this.sweep(entry);
    }
    for (const rec of this.records.values()) await this.reconcile(rec);
  }

  async create(name: string, options: VolumeCreateOptions = {}): Promise<DriverVolume> {
    checkVolumeName(name);
    parseLocalOptions(options.options);
    return this.queue(name, options, async () => {
      const existing = this.records.get(name);
      if (existing) return this.view(existing);
      // The directory first, then the record: a crash in between leaves a directory that open() sweeps.
      await mkdir(this.dataPath(name), { recursive: true, mode: 0o755 });
      const rec: LocalRecord = { name, createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), options: { ...options.options }, refs: [] };
      await this.save(rec);
      return this.view(rec);
    });
  }

  async remove(name: string, call: CallOptions = {}): Promise<void> {
    checkVolumeName(name);
    await this.queue(name, call, async () => {
      const rec = this.require(name);
      if (rec.refs.length) throw new ConflictError(`volume ${name} has active mounts`);
      // Never delete across a mount: a bind volume's _data is the user's own directory.
      const dir = path.join(this.o.root, name);
      for (const point of await mountedAt(dir)) await unmountVolume(point);
      if ((await mountedAt(dir)).length) throw new ConflictError(`volume ${name} is still mounted`);
      this.records.delete(name);
      await this.o.state.delete(`volumes/${name}`);
      await rm(dir, { recursive: true, force: true });
    });
  }

  async get(name: string, call: CallOptions = {}): Promise<DriverVolume | undefined> {
    call.signal?.throwIfAborted();
    checkVolumeName(name);
    const rec = this.records.get(name);
    return rec && this.view(rec);
  }

  async list(call: CallOptions = {}): Promise<DriverVolume[]> {
    call.signal?.throwIfAborted();
    return [...this.records.values()].map((r) => this.view(r));
  }

  async mount(name: string, ref: string, call: CallOptions = {}): Promise<string> {
    checkVolumeName(name);
    return this.queue(name, call, async () => {
      const rec = this.require(name);
      const data = this.dataPath(name);
      const opts = parseLocalOptions(rec.options);
      if (rec.refs.includes(ref) && !needsMount(opts)) return data;
      const next = rec.refs.includes(ref) ? rec : { ...rec, refs: [...rec.refs, ref] };
      await this.save(next); // recorded before it is made (a crash leaves a ref open() can check)
      if (needsMount(opts) && !(await this.isMounted(data))) {
        try {
          await mountVolume(opts, data, call.signal);
        } catch (err) {
          await this.save(rec);
          throw err;
        }
      }
      return data;
    });
  }

  async unmount(name: string, ref: string, call: CallOptions = {}): Promise<void> {
    checkVolumeName(name);
    await this.queue(name, call, async () => {
      const rec = this.require(name);
      if (!rec.refs.includes(ref)) return;
      const refs = rec.refs.filter((r) => r !== ref);
      const data = this.dataPath(name);
      // On failure (busy) the ref stays: the mount is still there and someone still uses it.
      if (!refs.length && needsMount(parseLocalOptions(rec.options)) && (await this.isMounted(data))) await unmountVolume(data);
      await this.save({ ...rec, refs });
    });
  }

  async usage(name: string, call: CallOptions = {}): Promise<number> {
    checkVolumeName(name);
    this.require(name);
    return directorySize(this.dataPath(name), call.signal);
  }

  private dataPath(name: string): string {
    return path.join(this.o.root, name, '_data');
  }

  private view(rec: LocalRecord): DriverVolume {
    return { name: rec.name, mountpoint: this.dataPath(rec.name), createdAt: rec.createdAt, options: rec.options };
  }

  private require(name: string): LocalRecord {
    const rec = this.records.get(name);
    if (!rec) throw new NotFoundError(`volume ${name} does not exist`);
    return rec;
  }

  private async save(rec: LocalRecord): Promise<void> {
    await this.o.state.put(`volumes/${rec.name}`, rec);
    this.records.set(rec.name, rec);
  }

  private async isMounted(dir: string): Promise<boolean> {
    return (await mountedAt(dir)).includes(dir);
  }

  /** A directory without a record is what a crashed create left: removed unless something is mounted in it. */
  private async sweep(entry: string): Promise<void> {
    const dir = path.join(this.o.root, entry);
    if ((await mountedAt(dir)).length) {
      this.o.log?.warn({ dir }, 'local volumes: leaving an unrecorded directory that has mounts');
      return;
    }
    await rm(dir, { recursive: true, force: true });
    this.o.log?.info({ dir }, 'local volumes: removed a directory an interrupted create left');
  }

  /**
   * Refs without their mount mean the host rebooted (or someone unmounted it): whoever held them
   * is gone, so they are dropped. A mount without refs is what an interrupted unmount left.
   */
  private async reconcile(rec: LocalRecord): Promise<void> {
    const data = this.dataPath(rec.name);
    await mkdir(data, { recursive: true, mode: 0o755 });
    if (!needsMount(parseLocalOptions(rec.options))) return;
    const mounted = await this.isMounted(data);
    if (rec.refs.length && !mounted) {
      this.o.log?.warn({ volume: rec.name, refs: rec.refs }, 'local volumes: dropping refs of a volume that is no longer mounted');
      await this.save({ ...rec, refs: [] });
    } else if (!rec.refs.length && mounted) {
      await unmountVolume(data);
    }
  }

  private queue<T>(name: string, call: CallOptions, fn: () => Promise<T>): Promise<T> {
    const run = (this.tails.get(name) ?? Promise.resolve()).then(() => {
      call.signal?.throwIfAborted();
      return fn();
    });
    const tail = run.then(() => undefined, () => undefined);
    this.tails.set(name, tail);
    void tail.then(() => this.tails.get(name) === tail && this.tails.delete(name));
    return run;
  }
}

/** Bytes of the files below `dir`, each inode counted once (hard links), as Docker's df does. */
async function directorySize(dir: string, signal?: AbortSignal): Promise<number> {
  const seen = new Set<number>();
  let total = 0;
  for (const entry of await readdir(dir, { recursive: true })) {
    signal?.throwIfAborted();
    const st = await lstat(path.join(dir, entry)).catch(() => undefined);
    if (!st || st.isDirectory() || seen.has(st.ino)) continue;
    seen.add(st.ino);
    total += st.size;
  }
  return total;
}
