/**
 * Hooks of the image service. The containers service taps `beforeDelete` to refuse removing an
 * image a container uses, with moby's conflict rules:
 * - `reference` set: the request untags the image's last reference (`docker rmi busybox`); a
 *   container created from the image vetoes unless `force` — answer
 *   `conflict: unable to remove repository reference "busybox" (must force) - container <id> is using its referenced image <id>`;
 * - `reference` unset: the image itself is about to be deleted; a running container always
 *   vetoes (`conflict: unable to delete <id> (cannot be forced) - image is being used by running container <id>`),
 *   a stopped one unless `force` (`… (must be forced) - image is being used by stopped container <id>`).
 * Return the message to refuse with 409; return nothing to allow. After an untag, a veto of the
 * deletion just keeps the image (dangling), as Docker does. Prune never forces.
 */
import { createHookSetRef, seriesBailHook } from '@keel/sdk';

/** What is about to be removed. */
export interface ImageDeleteRequest {
  /** The image (`sha256:…`). */
  readonly imageId: string;
  /** The familiar reference being untagged (`busybox:latest`), when the request removes the last one. */
  readonly reference?: string;
  /** `docker rmi -f`. */
  readonly force: boolean;
}

/** The image service's hook set. */
export const imagesHooks = createHookSetRef('images.lifecycle', {
  /** Bail: the first tap returning a message refuses the removal with 409 and that message. */
  beforeDelete: seriesBailHook<[ImageDeleteRequest], string>(),
});
