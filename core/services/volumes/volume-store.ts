/**
 * Volume records: one state document per volume, all kept in memory (volumes are few, and list,
 * filters and `/system/df` read them often). The service owns the locking; this is storage only.
 */
import { compareText, type StateStore } from '@keel/sdk';
import { ANONYMOUS_LABEL } from './volume-backend.js';

/** What the service keeps of a volume. */
export interface VolumeRecord {
  readonly name: string;
  readonly driver: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly options: Readonly<Record<string, string>>;
  /** RFC 3339, seconds. */
  readonly createdAt: string;
  readonly scope: 'local' | 'global';
  readonly anonymous: boolean;
  /** The driver's mountpoint when last seen (shown if the driver is unavailable). */
  readonly mountpoint?: string;
  /** Containers that reference the volume (created, running or stopped). */
  readonly references: readonly string[];
  /** Containers that have it mounted (running). */
  readonly mounts: readonly string[];
}

/** Volume names usable as state keys as they are; others are hex-encoded behind `@`. */
const PLAIN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

const keyOf = (name: string) => `volumes/${PLAIN.test(name) ? name : `@${Buffer.from(name).toString('hex')}`}`;

/** True when the record is anonymous by flag or by Docker's label (volumes adopted from elsewhere). */
export function isAnonymous(rec: Pick<VolumeRecord, 'anonymous' | 'labels'>): boolean {
  return rec.anonymous || ANONYMOUS_LABEL in rec.labels;
}

/** Containers referencing or mounting the volume, sorted, each once. */
export function usersOf(rec: VolumeRecord): string[] {
  return [...new Set([...rec.references, ...rec.mounts])].sort();
}

/** The records, in memory and in the state store. */
export class VolumeStore {
  private readonly byName = new Map<string, VolumeRecord>();

  constructor(private readonly state: StateStore) {}

  /** Loads every record. */
  async open(): Promise<void> {
    for (const key of await this.state.list('volumes/')) {
      const rec = await this.state.get<VolumeRecord>(key);
      if (rec) this.byName.set(rec.name, rec);
    }
  }

  get(name: string): VolumeRecord | undefined {
    return this.byName.get(name);
  }

  /** Every record, by name. */
  list(): VolumeRecord[] {
    return [...this.byName.values()].sort((a, b) => compareText(a.name, b.name));
  }

  async put(rec: VolumeRecord): Promise<void> {
    await this.state.put(keyOf(rec.name), rec);
    this.byName.set(rec.name, rec);
  }

  async delete(name: string): Promise<void> {
    await this.state.delete(keyOf(name));
    this.byName.delete(name);
  }
}
