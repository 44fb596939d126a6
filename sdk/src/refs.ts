/**
 * Typed references: how a plugin names what it needs and what it provides. A ref carries the
 * type of the value it resolves to, so `deps` are typed without decorators or metadata.
 * @packageDocumentation
 */

/** A reference to a service: exactly one plugin (or the kernel) provides it. */
export interface ServiceRef<T> {
  /** Unique id, e.g. `core.logger` or `images.store`. */
  readonly id: string;
  /** Discriminator; always `service`. */
  readonly $$ref: 'service';
  /** Phantom member that carries the service type; never set at runtime. */
  readonly T?: T;
}

/** The kinds of driver a plugin can provide; the first segment of a driver plugin's id. */
export type DriverKind = 'storage' | 'network' | 'ipam' | 'volume' | 'log' | 'runtime';

/** Every driver kind, in the order `/info` and `keel plugin ls` list them. */
export const DRIVER_KINDS: readonly DriverKind[] = Object.freeze(['storage', 'network', 'ipam', 'volume', 'log', 'runtime']);

/**
 * A reference to one driver kind. Many plugins provide it (one per driver name); a plugin that
 * depends on it receives a {@link DriverSet} of every driver of that kind that started.
 */
export interface DriverRef<T> {
  /** `driver.<kind>`. */
  readonly id: `driver.${DriverKind}`;
  /** The driver kind; a providing plugin's id must be `<kind>.<name>`. */
  readonly kind: DriverKind;
  /** Discriminator; always `driver`. */
  readonly $$ref: 'driver';
  /** Phantom member that carries the driver contract; never set at runtime. */
  readonly T?: T;
}

/** Any reference a plugin may depend on or provide. */
export type AnyRef = ServiceRef<unknown> | DriverRef<unknown>;

/** The drivers of one kind that are available, by the name users type (`overlay2`, `bridge`). */
export interface DriverSet<T> {
  /** The driver kind. */
  readonly kind: DriverKind;
  /** The driver called `name`, or undefined. */
  get(name: string): T | undefined;
  /** The driver called `name`; throws NotFound with the available names when it is missing. */
  require(name: string): T;
  /** Every available driver name, in build order. */
  names(): string[];
  /** The name of the default driver (from daemon config, else the build's default). */
  defaultName(): string | undefined;
  /** The default driver; throws Unavailable when none of this kind started. */
  default(): T;
}

/**
 * Creates a service ref. The id must be unique in an engine build.
 * @example const imageStoreRef = createServiceRef<ImageStore>({ id: 'images.store' });
 */
export function createServiceRef<T>(options: { id: string }): ServiceRef<T> {
  if (!/^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$/.test(options.id)) {
    throw new TypeError(`invalid service ref id "${options.id}": use dotted lowercase, e.g. "images.store"`);
  }
  return Object.freeze({ id: options.id, $$ref: 'service' as const });
}

/** Creates the ref of a driver kind. Plugin authors use the ready-made {@link drivers} instead. */
export function createDriverRef<T>(kind: DriverKind): DriverRef<T> {
  return Object.freeze({ id: `driver.${kind}` as const, kind, $$ref: 'driver' as const });
}

/** True when `ref` is a driver ref. */
export function isDriverRef(ref: AnyRef): ref is DriverRef<unknown> {
  return ref.$$ref === 'driver';
}
