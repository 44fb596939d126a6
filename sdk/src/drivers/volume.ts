/**
 * The volume driver contract (local, and Docker volume plugins through the legacy proxy).
 * @packageDocumentation
 */
import type { CallOptions, DriverBase } from './common.js';

/** Optional abilities of a volume driver. */
export interface VolumeCapabilities {
  /** `local` or `global` (shared across hosts). */
  readonly scope: 'local' | 'global';
}

/** A volume as a driver knows it. */
export interface DriverVolume {
  readonly name: string;
  /** Host path where it is (or would be) mounted. */
  readonly mountpoint?: string;
  readonly createdAt?: string;
  readonly status?: Readonly<Record<string, unknown>>;
}

/** A volume driver. `ref` identifies the user (a container id) for reference counting. */
export interface VolumeDriver extends DriverBase<VolumeCapabilities> {
  create(name: string, options: Readonly<Record<string, string>>, call?: CallOptions): Promise<DriverVolume>;
  remove(name: string, call?: CallOptions): Promise<void>;
  get(name: string, call?: CallOptions): Promise<DriverVolume | undefined>;
  list(call?: CallOptions): Promise<DriverVolume[]>;
  mount(name: string, ref: string, call?: CallOptions): Promise<string>;
  unmount(name: string, ref: string, call?: CallOptions): Promise<void>;
}
