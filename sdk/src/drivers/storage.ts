/**
 * The storage driver contract (overlay2, vfs …): layers and read-write container filesystems.
 * @packageDocumentation
 */
import type { Readable } from 'node:stream';
import type { CallOptions, DriverBase } from './common.js';

/** Optional abilities of a storage driver. */
export interface StorageCapabilities {
  /** Layers share unchanged files with their parent (copy-on-write), rather than full copies. */
  readonly copyOnWrite: boolean;
  /** `usage()` is cheap (no full walk). */
  readonly fastUsage?: boolean;
}

/** Options of `create` / `createReadWrite`. */
export interface CreateLayerOptions extends CallOptions {
  /** The parent layer id, if any. */
  readonly parent?: string;
  /** Driver-specific options (`--storage-opt`). */
  readonly storageOpts?: Readonly<Record<string, string>>;
}

/** One change between a layer and its parent. */
export interface LayerChange {
  /** Absolute path inside the filesystem. */
  readonly path: string;
  /** 0 modified, 1 added, 2 deleted (Docker's `Kind`). */
  readonly kind: 0 | 1 | 2;
}

/** Disk usage of a layer. */
export interface LayerUsage {
  /** Bytes. */
  readonly size: number;
  /** Inodes. */
  readonly inodes: number;
}

/** A storage driver. Layer ids are opaque strings chosen by the caller. */
export interface StorageDriver extends DriverBase<StorageCapabilities> {
  /** Creates a read-only layer on `parent`. */
  create(id: string, options?: CreateLayerOptions): Promise<void>;
  /** Creates a writable layer (a container's) on `parent`. */
  createReadWrite(id: string, options?: CreateLayerOptions): Promise<void>;
  /** Removes a layer (unmounting first if needed). */
  remove(id: string, options?: CallOptions): Promise<void>;
  /** Mounts the layer and returns the path of its root; mounts are reference counted. */
  mount(id: string, options?: CallOptions & { readonly mountLabel?: string }): Promise<string>;
  /** Drops one mount reference; unmounts at zero. */
  unmount(id: string, options?: CallOptions): Promise<void>;
  /** True when the layer exists. */
  exists(id: string, options?: CallOptions): Promise<boolean>;
  /** Every layer id the driver holds (lets the engine remove what a crash orphaned). */
  list(options?: CallOptions): Promise<string[]>;
  /** The layer's changes against its parent as a tar stream (whiteouts as `.wh.` entries). */
  diff(id: string, options?: CallOptions): Promise<Readable>;
  /** Applies a tar stream (with `.wh.` whiteouts) to a layer; returns the bytes applied. */
  applyDiff(id: string, diff: Readable, options?: CallOptions): Promise<number>;
  /** The layer's changes against its parent. */
  changes(id: string, options?: CallOptions): Promise<LayerChange[]>;
  /** Disk usage of the layer itself (not its parents). */
  usage(id: string, options?: CallOptions): Promise<LayerUsage>;
}
