/**
 * Driver refs and contracts, one per kind.
 * @packageDocumentation
 */
import { createDriverRef } from '../refs.js';
import type { LogDriver } from './log.js';
import type { IpamDriver, NetworkDriver } from './network.js';
import type { OciRuntime } from './runtime.js';
import type { StorageDriver } from './storage.js';
import type { VolumeDriver } from './volume.js';

export type * from './common.js';
export type * from './storage.js';
export type * from './network.js';
export type * from './volume.js';
export type * from './log.js';
export type * from './runtime.js';

/** The driver refs: provide one to be a driver of that kind; depend on one to get its DriverSet. */
export const drivers = Object.freeze({
  /** Storage drivers (`storage.<name>`). */
  storage: createDriverRef<StorageDriver>('storage'),
  /** Network drivers (`network.<name>`). */
  network: createDriverRef<NetworkDriver>('network'),
  /** IPAM drivers (`ipam.<name>`). */
  ipam: createDriverRef<IpamDriver>('ipam'),
  /** Volume drivers (`volume.<name>`). */
  volume: createDriverRef<VolumeDriver>('volume'),
  /** Log drivers (`log.<name>`). */
  log: createDriverRef<LogDriver>('log'),
  /** OCI runtimes (`runtime.<name>`). */
  runtime: createDriverRef<OciRuntime>('runtime'),
});
