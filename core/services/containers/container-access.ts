/**
 * The narrow view of the container service that route modules (archive/cp, stats/top/update,
 * commit …) get: look containers up, reach their filesystem and runtime, persist a change.
 * Route modules never hold the service itself.
 */
import type { OciRuntime, StorageDriver } from '@keel/sdk';
import type { ContainerRecord } from './container-types.js';

/** What a container-route module may use. */
export interface ContainerAccess {
  /** By full ID, exact name (with or without `/`) or unique ID prefix; 404 `No such container: <ref>`. */
  get(ref: string): ContainerRecord;
  /** Every container (a snapshot; records are not to be mutated). */
  list(): readonly ContainerRecord[];
  /** Mounts the container's root filesystem (reference counted) and returns its host path. */
  mountRootfs(c: ContainerRecord): Promise<string>;
  /** Drops the reference {@link mountRootfs} took. */
  unmountRootfs(c: ContainerRecord): Promise<void>;
  /** The storage driver holding the container's layer (its layer id is `c.Id`). */
  storage(c: ContainerRecord): StorageDriver;
  /** The OCI runtime the container runs on (runtime id is `c.Id`). */
  runtime(c: ContainerRecord): OciRuntime;
  /** Applies `change` to a copy of the record, persists it and returns the new record. */
  update(id: string, change: (c: ContainerRecord) => void): Promise<ContainerRecord>;
  /** Publishes a container event (`Actor.Attributes` get `name`, `image` and the labels). */
  publish(c: ContainerRecord, action: string, attributes?: Record<string, string>): void;
}
