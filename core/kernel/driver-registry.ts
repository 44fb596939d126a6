/**
 * Running drivers by kind and name, and the choice of each kind's default: the name the daemon
 * config demands (which must then be running), else the build's default if it is running, else
 * the first running driver of the kind in build order (overlay2 skipped → vfs).
 */
import { NotFoundError, UnavailableError, type DriverKind, type DriverSet } from '@keel/sdk';

/** Driver instances registered as their plugins finish init. */
export class DriverRegistry {
  private readonly byKind = new Map<DriverKind, Map<string, unknown>>();

  constructor(
    private readonly buildDefaults: Readonly<Partial<Record<DriverKind, string>>>,
    private readonly demanded: Readonly<Partial<Record<DriverKind, string>>>,
  ) {}

  /** Records a started driver. */
  add(kind: DriverKind, name: string, driver: unknown): void {
    let m = this.byKind.get(kind);
    if (!m) this.byKind.set(kind, (m = new Map()));
    m.set(name, driver);
  }

  /** Forgets a driver (its plugin stopped). */
  remove(kind: DriverKind, name: string): void {
    this.byKind.get(kind)?.delete(name);
  }

  /** Running driver names of a kind, in build order. */
  names(kind: DriverKind): string[] {
    return [...(this.byKind.get(kind)?.keys() ?? [])];
  }

  /** The default driver name of a kind (see the module comment). */
  defaultName(kind: DriverKind): string | undefined {
    const names = this.names(kind);
    const demanded = this.demanded[kind];
    if (demanded) return names.includes(demanded) ? demanded : undefined;
    const preferred = this.buildDefaults[kind];
    return preferred && names.includes(preferred) ? preferred : names[0];
  }

  /** A live {@link DriverSet} view of one kind (it sees drivers added later). */
  set<T>(kind: DriverKind): DriverSet<T> {
    const self = this;
    return Object.freeze({
      kind,
      get: (name: string) => self.byKind.get(kind)?.get(name) as T | undefined,
      names: () => self.names(kind),
      defaultName: () => self.defaultName(kind),
      require(name: string): T {
        const d = self.byKind.get(kind)?.get(name);
        if (d === undefined) {
          const known = self.names(kind);
          throw new NotFoundError(`${kind} driver "${name}" is not available${known.length ? ` (available: ${known.join(', ')})` : ''}`);
        }
        return d as T;
      },
      default(): T {
        const name = self.defaultName(kind);
        if (!name) throw new UnavailableError(`no ${kind} driver is available`);
        return self.byKind.get(kind)!.get(name) as T;
      },
    });
  }
}
