/**
 * Container records: persisted one JSON document each (`containers/<id>`), served from memory.
 * Lookups follow Docker: full ID, then exact name, then a unique ID prefix. Reads never wait for
 * writes: a record in the map is replaced by a new object only after its document is written
 * (`docker ps` works from a consistent snapshot while a slow start is under way).
 */
import { randomBytes } from 'node:crypto';
import { ConflictError, InvalidArgumentError, KeyedQueue, NotFoundError, type StateStore } from '@keel/sdk';
import type { ContainerRecord } from './container-types.js';

const NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** The error Docker gives for an unknown container. */
export function noSuchContainer(ref: string): NotFoundError {
  return new NotFoundError(`No such container: ${ref}`);
}

/** Docker's name check; returns the name with its leading slash. */
export function validName(name: string): string {
  if (!NAME.test(name)) throw new InvalidArgumentError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  return name.startsWith('/') ? name : `/${name}`;
}

/** The container records. */
export class ContainerStore {
  private readonly byId = new Map<string, ContainerRecord>();
  private readonly byName = new Map<string, string>();
  /** Names reserved by creates still in progress. */
  private readonly reserved = new Set<string>();
  /** Updates of one record, in order. */
  private readonly updates = new KeyedQueue();

  constructor(private readonly state: StateStore) {}

  /** Loads every record; returns those that could not be read. */
  async open(): Promise<string[]> {
    const broken: string[] = [];
    for (const key of await this.state.list()) {
      const rec = await this.state.get<ContainerRecord>(key).catch(() => undefined);
      if (!rec?.Id || !rec.Name) {
        broken.push(key);
        continue;
      }
      this.byId.set(rec.Id, rec);
      this.byName.set(rec.Name, rec.Id);
    }
    return broken;
  }

  /** A new random 64-hex ID that does not collide by prefix with a name. */
  newId(): string {
    for (;;) {
      const id = randomBytes(32).toString('hex');
      if (!/^\d+$/.test(id.slice(0, 12)) && !this.byId.has(id)) return id;
    }
  }

  /** Reserves `name` for a create under way; 409 when taken. Release with {@link releaseName}. */
  reserveName(name: string): void {
    const taken = this.byName.get(name);
    if (taken || this.reserved.has(name)) {
      throw new ConflictError(`Conflict. The container name "${name}" is already in use by container "${taken ?? 'being created'}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    this.reserved.add(name);
  }

  /** Whether `name` (with its slash) is used or reserved. */
  isTaken(name: string): boolean {
    return this.byName.has(name) || this.reserved.has(name);
  }

  releaseName(name: string): void {
    this.reserved.delete(name);
  }

  /** Resolves an ID, name or unique ID prefix. */
  find(ref: string): ContainerRecord | undefined {
    if (!ref) return undefined;
    const exact = this.byId.get(ref);
    if (exact) return exact;
    const named = this.byName.get(ref.startsWith('/') ? ref : `/${ref}`);
    if (named) return this.byId.get(named);
    if (!/^[0-9a-f]+$/.test(ref)) return undefined;
    let hit: ContainerRecord | undefined;
    for (const [id, rec] of this.byId) {
      if (!id.startsWith(ref)) continue;
      if (hit) throw new InvalidArgumentError(`multiple containers found with provided prefix: ${ref}`);
      hit = rec;
    }
    return hit;
  }

  /** Like {@link find}; 404 `No such container` when absent. */
  get(ref: string): ContainerRecord {
    const rec = this.find(ref);
    if (!rec) throw noSuchContainer(ref);
    return rec;
  }

  list(): ContainerRecord[] {
    return [...this.byId.values()];
  }

  /** Writes a record (new or changed). */
  async put(rec: ContainerRecord): Promise<ContainerRecord> {
    await this.state.put(rec.Id, rec);
    const old = this.byId.get(rec.Id);
    if (old && old.Name !== rec.Name) this.byName.delete(old.Name);
    this.byId.set(rec.Id, rec);
    this.byName.set(rec.Name, rec.Id);
    this.reserved.delete(rec.Name);
    return rec;
  }

  /** Applies `change` to a copy of the record and writes it; updates of one record run in order. */
  update(id: string, change: (c: ContainerRecord) => void): Promise<ContainerRecord> {
    return this.updates.run(id, () => {
      const current = this.byId.get(id);
      if (!current) throw noSuchContainer(id);
      const copy = structuredClone(current);
      change(copy);
      return this.put(copy);
    });
  }

  /** Forgets a record. */
  async delete(id: string): Promise<void> {
    const rec = this.byId.get(id);
    await this.state.delete(id);
    if (!rec) return;
    this.byId.delete(id);
    if (this.byName.get(rec.Name) === id) this.byName.delete(rec.Name);
  }
}
