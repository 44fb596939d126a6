/**
 * The volume driver contract: `local`, and Docker volume plugins through the legacy proxy (whose
 * `VolumeDriver.*` calls map one to one onto these methods). Volume records — labels, who uses a
 * volume, anonymous or not — belong to the volumes service; a driver only keeps the data and the
 * options it was created with.
 * @packageDocumentation
 */
import type { CallOptions, DriverBase } from './common.js';

/** Optional abilities of a volume driver. */
export interface VolumeCapabilities {
  /** `local` (this host only) or `global` (the same volume on every host of a cluster). */
  readonly scope: 'local' | 'global';
  /** The driver implements {@link VolumeDriver.usage} (`docker system df` sizes); else sizes are -1. */
  readonly usage?: boolean;
}

/** A volume as a driver knows it. Plain data. */
export interface DriverVolume {
  /** The volume's name, as given to `create`. */
  readonly name: string;
  /** Host path where the volume's data is (or will be, once mounted). */
  readonly mountpoint?: string;
  /** When the driver created it (RFC 3339). */
  readonly createdAt?: string;
  /** The options it was created with (Docker's `Options`), when the driver keeps them. */
  readonly options?: Readonly<Record<string, string>>;
  /** Driver-specific details, shown by `docker volume inspect` as `Status`. */
  readonly status?: Readonly<Record<string, unknown>>;
}

/** Options of {@link VolumeDriver.create}. */
export interface VolumeCreateOptions extends CallOptions {
  /** Driver options (`docker volume create -o key=value`, Docker's `DriverOpts`). */
  readonly options?: Readonly<Record<string, string>>;
}

/**
 * A volume driver. Names are chosen by the caller; a driver may refuse names it cannot store
 * (InvalidArgument). Errors are EngineErrors: NotFound for a missing volume, InvalidArgument for
 * bad names or options (in Docker's words), Conflict for removing a mounted volume.
 */
export interface VolumeDriver extends DriverBase<VolumeCapabilities> {
  /**
   * Creates the volume and returns it. Options are validated here, before anything is made.
   * Creating a name that exists returns the existing volume unchanged (as Docker's drivers do):
   * the service decides whether that is a conflict.
   */
  create(name: string, options?: VolumeCreateOptions): Promise<DriverVolume>;
  /** Removes the volume and its data. Missing → NotFound; mounted by any ref → Conflict. */
  remove(name: string, call?: CallOptions): Promise<void>;
  /** The volume, or undefined when it does not exist. */
  get(name: string, call?: CallOptions): Promise<DriverVolume | undefined>;
  /** Every volume the driver holds (lets the service adopt volumes it has no record of). */
  list(call?: CallOptions): Promise<DriverVolume[]>;
  /**
   * Makes the volume's data available for `ref` (a container ID) and returns its host path.
   * Each distinct ref holds one reference (mounting again with the same ref changes nothing);
   * the first reference does the real mount (tmpfs, nfs, bind …), if the volume needs one. The
   * references survive a daemon restart. Missing volume → NotFound.
   */
  mount(name: string, ref: string, call?: CallOptions): Promise<string>;
  /**
   * Drops `ref`'s reference; the last one undoes the real mount. A ref that holds no reference
   * is a no-op (so cleanup can always call it). Missing volume → NotFound.
   */
  unmount(name: string, ref: string, call?: CallOptions): Promise<void>;
  /** Bytes the volume's data uses; present when `capabilities.usage` is true. */
  usage?(name: string, call?: CallOptions): Promise<number>;
}
