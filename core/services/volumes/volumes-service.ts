/**
 * The volume service: records over the volume drivers, Docker's rules for create, remove and
 * prune, the users of each volume, and volume events. It is also the {@link VolumeBackend} the
 * containers service uses. Calls on one volume run one at a time (a per-name queue); calls on
 * different volumes run in parallel.
 */
import { randomBytes } from 'node:crypto';
import {
  ConflictError, EngineError, NotFoundError, toEngineError, type DriverSet, type EventBus, type Logger, type VolumeDriver,
} from '@keel/sdk';
import {
  ANONYMOUS_LABEL, type EnsureVolumeOptions, type EnsuredVolume, type VolumeBackend, type VolumeMountDetails, type VolumeSummary,
} from './volume-backend.js';
import { filterBool, volumeFilter } from './volume-filters.js';
import { isAnonymous, usersOf, type VolumeRecord, type VolumeStore } from './volume-store.js';
import { createdAt, volumeJson, type VolumeJson } from './volume-views.js';

/** What the service needs. */
export interface VolumesServiceDeps {
  readonly drivers: DriverSet<VolumeDriver>;
  readonly store: VolumeStore;
  readonly events: EventBus;
  readonly log: Logger;
}

/** Docker's `<op> <name>: <cause>` wording, keeping the cause's kind (and so its HTTP status). */
function opError(op: string, name: string, err: unknown): EngineError {
  const e = toEngineError(err);
  return new EngineError(e.kind, `${op} ${name}: ${e.message}`, { code: e.code, cause: err });
}

const noSuchVolume = (name: string) => new NotFoundError(`get ${name}: no such volume`);

/** The volume service. */
export class VolumesService implements VolumeBackend {
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(private readonly d: VolumesServiceDeps) {}

  /** Adopts volumes the drivers hold without a record (a crash after the driver's create, or an external plugin's). */
  async adoptDriverVolumes(signal?: AbortSignal): Promise<void> {
    for (const driverName of this.d.drivers.names()) {
      const driver = this.d.drivers.get(driverName)!;
      const held = await driver.list({ signal }).catch((err: unknown) => {
        this.d.log.warn({ driver: driverName, err: String(err) }, 'volumes: driver did not list its volumes');
        return [];
      });
      for (const v of held) {
        if (this.d.store.get(v.name)) continue;
        await this.d.store.put(this.record(v.name, driverName, driver, { options: v.options }, v.createdAt, v.mountpoint));
        this.d.log.info({ volume: v.name, driver: driverName }, 'volumes: adopted a volume without a record');
      }
    }
  }

  /** `POST /volumes/create` and {@link ensure}: creates, or returns the existing volume of that name. */
  async create(name: string | undefined, o: EnsureVolumeOptions = {}): Promise<EnsuredVolume> {
    const anonymous = !name || !!o.anonymous;
    const volumeName = name || randomBytes(32).toString('hex');
    return this.queue(volumeName, async () => {
      const existing = this.d.store.get(volumeName);
      if (existing) {
        if (o.driver && o.driver !== existing.driver) {
          throw new ConflictError(`create ${volumeName}: driver '${existing.driver}' already has volume '${volumeName}': volume name must be unique`);
        }
        return { ...this.summary(existing), created: false };
      }
      const driverName = o.driver || 'local';
      const driver = this.d.drivers.get(driverName);
      if (!driver) throw new NotFoundError(`create ${volumeName}: error looking up volume plugin ${driverName}: plugin "${driverName}" not found`);
      const made = await driver.create(volumeName, { options: o.options }).catch((err: unknown) => { throw opError('create', volumeName, err); });
      const labels = { ...o.labels, ...(anonymous ? { [ANONYMOUS_LABEL]: '' } : {}) };
      const rec = this.record(volumeName, driverName, driver, { labels, options: o.options, anonymous }, made.createdAt, made.mountpoint);
      await this.d.store.put(rec);
      this.publish('create', volumeName, { driver: driverName });
      return { ...this.summary(rec), created: true };
    });
  }

  ensure(name: string | undefined, options?: EnsureVolumeOptions): Promise<EnsuredVolume> {
    return this.create(name, options);
  }

  get(name: string): VolumeSummary | undefined {
    const rec = this.d.store.get(name);
    return rec && this.summary(rec);
  }

  users(name: string): string[] {
    const rec = this.d.store.get(name);
    return rec ? usersOf(rec) : [];
  }

  /** `GET /volumes/{name}`: the record with the driver's current mountpoint and status. */
  async inspect(name: string, signal?: AbortSignal): Promise<VolumeJson> {
    const rec = this.d.store.get(name);
    if (!rec) throw noSuchVolume(name);
    return volumeJson(rec, await this.live(rec, signal));
  }

  /** `GET /volumes`: filtered, by name. */
  async list(filters: Record<string, string[]>, signal?: AbortSignal): Promise<VolumeJson[]> {
    const accept = volumeFilter(filters);
    const rows = this.d.store.list().filter((r) => accept({ ...r, inUse: usersOf(r).length > 0 }));
    return Promise.all(rows.map(async (r) => volumeJson(r, await this.live(r, signal))));
  }

  /** Rows of `/system/df`: every volume with its size (-1 where the driver cannot say) and user count. */
  async diskUsage(signal?: AbortSignal): Promise<VolumeJson[]> {
    return Promise.all(this.d.store.list().map(async (r) => ({
      ...volumeJson(r, await this.live(r, signal)),
      UsageData: { Size: await this.size(r, signal), RefCount: usersOf(r).length },
    })));
  }

  async remove(name: string, options: { readonly force?: boolean } = {}): Promise<void> {
    await this.queue(name, async () => {
      const rec = this.d.store.get(name);
      if (!rec) {
        if (options.force) return;
        throw noSuchVolume(name);
      }
      const users = usersOf(rec);
      if (users.length) throw new ConflictError(`remove ${name}: volume is in use - [${users.join(', ')}]`);
      const driver = this.d.drivers.get(rec.driver);
      try {
        if (!driver) throw new NotFoundError(`error looking up volume plugin ${rec.driver}: plugin "${rec.driver}" not found`);
        await driver.remove(name);
      } catch (err) {
        // A volume its driver no longer has is gone; with force, a failing driver does not keep the record.
        if (!(EngineError.is(err) && err.kind === 'NotFound' && driver) && !options.force) throw opError('remove', name, err);
        this.d.log.warn({ volume: name, err: String(err) }, 'volumes: driver remove failed; record purged');
      }
      await this.d.store.delete(name);
      this.publish('destroy', name, { driver: rec.driver });
    });
  }

  /** `POST /volumes/prune`: unused local volumes, only anonymous ones unless `all` (API ≥ 1.42). */
  async prune(filters: Record<string, string[]>, apiVersion: string): Promise<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }> {
    const all = filterBool(filters, 'all') ?? !atLeast(apiVersion, '1.42');
    const accept = volumeFilter({ label: filters.label ?? [], 'label!': filters['label!'] ?? [] });
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const rec of this.d.store.list()) {
      if (rec.scope !== 'local' || usersOf(rec).length || (!all && !isAnonymous(rec)) || !accept({ ...rec, inUse: false })) continue;
      const size = await this.size(rec);
      try {
        await this.remove(rec.name);
      } catch (err) {
        this.d.log.warn({ volume: rec.name, err: String(err) }, 'volumes: prune skipped a volume');
        continue;
      }
      deleted.push(rec.name);
      reclaimed += Math.max(size, 0);
    }
    this.d.events.publish({ type: 'volume', action: 'prune', actor: { ID: '', Attributes: { reclaimed: String(reclaimed) } } });
    return { VolumesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
  }

  async reference(name: string, containerId: string): Promise<void> {
    await this.queue(name, async () => {
      const rec = this.d.store.get(name);
      if (!rec) throw noSuchVolume(name);
      if (!rec.references.includes(containerId)) await this.d.store.put({ ...rec, references: [...rec.references, containerId] });
    });
  }

  async dereference(name: string, containerId: string): Promise<void> {
    await this.unmount(name, containerId);
    await this.queue(name, async () => {
      const rec = this.d.store.get(name);
      if (rec?.references.includes(containerId)) await this.d.store.put({ ...rec, references: rec.references.filter((c) => c !== containerId) });
    });
  }

  async mount(name: string, containerId: string, details: VolumeMountDetails = {}): Promise<string> {
    return this.queue(name, async () => {
      const rec = this.d.store.get(name);
      if (!rec) throw noSuchVolume(name);
      const driver = this.d.drivers.get(rec.driver);
      if (!driver) throw new NotFoundError(`mount ${name}: error looking up volume plugin ${rec.driver}: plugin "${rec.driver}" not found`);
      // Recorded first: a crash after the driver's mount still knows who holds it.
      const mounted = rec.mounts.includes(containerId) ? rec : { ...rec, mounts: [...rec.mounts, containerId] };
      await this.d.store.put(mounted);
      let hostPath: string;
      try {
        hostPath = await driver.mount(name, containerId);
      } catch (err) {
        await this.d.store.put(rec);
        throw opError('mount', name, err);
      }
      this.publish('mount', name, {
        container: containerId, destination: details.destination ?? '', driver: rec.driver,
        propagation: details.propagation ?? '', 'read/write': String(details.readWrite ?? true),
      });
      return hostPath;
    });
  }

  async unmount(name: string, containerId: string): Promise<void> {
    await this.queue(name, async () => {
      const rec = this.d.store.get(name);
      if (!rec?.mounts.includes(containerId)) return;
      // The driver's unmount is idempotent per ref; the record follows only once it succeeded.
      await this.d.drivers.get(rec.driver)?.unmount(name, containerId).catch((err: unknown) => { throw opError('unmount', name, err); });
      await this.d.store.put({ ...rec, mounts: rec.mounts.filter((c) => c !== containerId) });
      this.publish('unmount', name, { container: containerId, driver: rec.driver });
    });
  }

  async retainUsers(containerIds: Iterable<string>): Promise<void> {
    const keep = new Set(containerIds);
    for (const rec of this.d.store.list()) {
      for (const gone of usersOf(rec).filter((c) => !keep.has(c))) {
        this.d.log.info({ volume: rec.name, container: gone }, 'volumes: dropping the use of a container that no longer exists');
        await this.dereference(rec.name, gone);
      }
    }
  }

  private record(name: string, driverName: string, driver: VolumeDriver, o: EnsureVolumeOptions, time?: string, mountpoint?: string): VolumeRecord {
    return {
      name, driver: driverName, labels: { ...o.labels }, options: { ...o.options }, createdAt: createdAt(time), scope: driver.capabilities.scope,
      anonymous: !!o.anonymous, mountpoint, references: [], mounts: [],
    };
  }

  private summary(rec: VolumeRecord): VolumeSummary {
    return { name: rec.name, driver: rec.driver, anonymous: isAnonymous(rec), labels: rec.labels, mountpoint: rec.mountpoint };
  }

  /** The driver's current view; undefined when the driver is missing or fails (the record still shows). */
  private async live(rec: VolumeRecord, signal?: AbortSignal) {
    return this.d.drivers.get(rec.driver)?.get(rec.name, { signal }).catch(() => undefined);
  }

  private async size(rec: VolumeRecord, signal?: AbortSignal): Promise<number> {
    const driver = this.d.drivers.get(rec.driver);
    if (!driver?.capabilities.usage || !driver.usage) return -1;
    return driver.usage(rec.name, { signal }).catch(() => -1);
  }

  private publish(action: string, name: string, attributes: Record<string, string>): void {
    this.d.events.publish({ type: 'volume', action, actor: { ID: name, Attributes: attributes } });
  }

  private queue<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(name) ?? Promise.resolve();
    const result = previous.then(fn);
    const settled = result.then(() => undefined, () => undefined);
    this.tails.set(name, settled);
    void settled.then(() => { if (this.tails.get(name) === settled) this.tails.delete(name); });
    return result;
  }
}

/** True when API version `v` is at least `min` (`1.41` < `1.42`). */
function atLeast(v: string, min: string): boolean {
  const [a = 0, b = 0] = v.split('.').map(Number);
  const [c = 0, d = 0] = min.split('.').map(Number);
  return a !== c ? a > c : b >= d;
}
