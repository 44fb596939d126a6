/**
 * What other services (containers: create, commit, `docker ps` image names) use of the image
 * store, as a service ref: `deps: { images: imageBackendRef }`.
 */
import { createServiceRef } from '@keel/sdk';
import type { CommitRequest } from './image-commit.js';
import type { ImageConfig } from './image-config.js';

export type { CommitRequest } from './image-commit.js';

/** An image as other services see it. */
export interface ImageInfo {
  /** `sha256:…`. */
  readonly id: string;
  /** Familiar names (`busybox:latest`), sorted. */
  readonly repoTags: readonly string[];
  /** The parsed image config (Docker's JSON). */
  readonly config: ImageConfig;
  /** Unpacked size of its layers (what `docker ps -s` adds as "virtual"). */
  readonly size?: number;
}

/** The storage layer a container's read-write layer goes on. */
export interface ImageRootfs {
  /** The storage driver holding the image's layers. */
  readonly driver: string;
  /** The driver layer id of the image's top layer; undefined for an image without layers. */
  readonly parent?: string;
}

/** The image store, for other services. */
export interface ImageBackend {
  /** Resolves a name, ID or unique ID prefix like Docker (404 `No such image: …`, 400 for a malformed name). */
  resolve(nameOrId: string): ImageInfo;
  /**
   * Keeps the image's layers for `holder` (a container ID) until {@link release}, even if the
   * image is removed meanwhile (`rmi -f`), and returns the layer to build on.
   */
  acquire(imageId: string, holder: string): Promise<ImageRootfs>;
  /** Drops `holder`'s hold; layers no image or holder uses any more are removed. */
  release(holder: string): Promise<void>;
  /** `docker commit`: a new image from the container's image and its layer's diff; returns its ID. */
  commit(request: CommitRequest): Promise<string>;
}

/** The ref of {@link ImageBackend}, provided by `core.images`. */
export const imageBackendRef = createServiceRef<ImageBackend>({ id: 'images.backend' });
