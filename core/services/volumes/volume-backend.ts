/**
 * What other services (containers: `-v`, `--mount`, anonymous volumes, `rm -v`) use of the
 * volume store, as a service ref: `deps: { volumes: volumeBackendRef }`. A container's use of a
 * volume has two levels, as in Docker: it *references* the volume from create until removal
 * (which alone makes `docker volume rm` refuse), and *mounts* it while running.
 */
import { createServiceRef } from '@keel/sdk';

/** The label Docker puts on anonymous volumes (`-v /data`, `docker volume create` without a name). */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

/** Options of {@link VolumeBackend.ensure}. */
export interface EnsureVolumeOptions {
  /** Driver name (default `local`). An existing volume of another driver is a Conflict. */
  readonly driver?: string;
  /** Driver options, used only when the volume is created. */
  readonly options?: Readonly<Record<string, string>>;
  /** Labels, used only when the volume is created. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Mark it anonymous (label {@link ANONYMOUS_LABEL}); implied when no name is given. */
  readonly anonymous?: boolean;
}

/** A volume as other services see it. */
export interface VolumeSummary {
  readonly name: string;
  readonly driver: string;
  /** Anonymous volumes are what `docker rm -v` and a plain `docker volume prune` remove. */
  readonly anonymous: boolean;
  readonly labels: Readonly<Record<string, string>>;
  /** Where the driver keeps (or mounts) its data, when known. */
  readonly mountpoint?: string;
}

/** What {@link VolumeBackend.ensure} returns. */
export interface EnsuredVolume extends VolumeSummary {
  /** True when this call created it (an empty volume: the caller may copy image content in). */
  readonly created: boolean;
}

/** Details of a mount, for the `volume mount` event (Docker's attributes). */
export interface VolumeMountDetails {
  /** Path inside the container. */
  readonly destination?: string;
  readonly readWrite?: boolean;
  /** Mount propagation (`rprivate` …). */
  readonly propagation?: string;
}

/** The volume store, for other services. Errors are EngineErrors in Docker's words. */
export interface VolumeBackend {
  /** The volume called `name`, created if missing; no name → a new anonymous volume with a random 64-hex name. */
  ensure(name: string | undefined, options?: EnsureVolumeOptions): Promise<EnsuredVolume>;
  /** The volume, or undefined. */
  get(name: string): VolumeSummary | undefined;
  /** Records that `containerId` uses the volume (container create): `volume rm` refuses from now on. */
  reference(name: string, containerId: string): Promise<void>;
  /** Drops the reference (container removal); unmounts first if the container still holds a mount. No-op when absent. */
  dereference(name: string, containerId: string): Promise<void>;
  /** Mounts the volume for `containerId` (container start) and returns its host path; publishes `volume mount`. */
  mount(name: string, containerId: string, details?: VolumeMountDetails): Promise<string>;
  /** Drops `containerId`'s mount (container stop); the reference stays. No-op when not mounted. */
  unmount(name: string, containerId: string): Promise<void>;
  /** Containers referencing or mounting the volume, sorted. */
  users(name: string): string[];
  /** Removes the volume (`rm -v`): Conflict while anyone uses it; `force` ignores a missing volume or a failing driver. */
  remove(name: string, options?: { readonly force?: boolean }): Promise<void>;
  /**
   * At start, after containers are restored: drops the references and mounts of containers not
   * in `containerIds` (removed while the daemon was down, or a crash between steps).
   */
  retainUsers(containerIds: Iterable<string>): Promise<void>;
}

/** The ref of {@link VolumeBackend}, provided by `core.volumes`. */
export const volumeBackendRef = createServiceRef<VolumeBackend>({ id: 'volumes.backend' });
