/**
 * moby's rules for removing an image containers use (see `imagesHooks.beforeDelete`): untagging
 * the last reference needs `force` while any container uses the image; deleting it is refused
 * for a running container even with `force`, and for a stopped one without.
 */
import type { ImageDeleteRequest } from '../images/index.js';
import type { ContainerRecord } from './container-types.js';

const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

/** The refusal message, or undefined to allow. */
export function imageVeto(containers: readonly ContainerRecord[], req: ImageDeleteRequest): string | undefined {
  const users = containers.filter((c) => c.Image === req.imageId);
  if (!users.length) return undefined;
  if (req.reference) {
    return req.force ? undefined : `conflict: unable to remove repository reference "${req.reference}" (must force) - container ${short(users[0]!.Id)} is using its referenced image ${short(req.imageId)}`;
  }
  const running = users.find((c) => c.State.Running);
  if (running) return `conflict: unable to delete ${short(req.imageId)} (cannot be forced) - image is being used by running container ${short(running.Id)}`;
  return req.force ? undefined : `conflict: unable to delete ${short(req.imageId)} (must be forced) - image is being used by stopped container ${short(users[0]!.Id)}`;
}
