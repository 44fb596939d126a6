/**
 * Hooks of the image service: the containers service taps `beforeDelete` to veto removing an
 * image a container uses (return a message: the removal fails with 409 and that message).
 */
import { createHookSetRef, seriesBailHook } from '@keel/sdk';

/** What is about to be removed. */
export interface ImageDeleteRequest {
  readonly imageId: string;
  /** The reference being untagged, when the request names one. */
  readonly reference?: string;
  readonly force: boolean;
}

/** The image service's hook set. */
export const imagesHooks = createHookSetRef('images.lifecycle', {
  /** Bail: the first tap returning a message vetoes the removal with 409. */
  beforeDelete: seriesBailHook<[ImageDeleteRequest], string>(),
});
