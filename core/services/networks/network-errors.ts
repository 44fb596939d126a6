/**
 * Errors of the network service with Docker's messages (the docker CLI prints them as they are).
 */
import { InvalidArgumentError, NotFoundError } from '@keel/sdk';

/** An id prefix that matches several networks (Docker answers 400). */
export class AmbiguousRef extends InvalidArgumentError {}

/** `network X not found` (404; `docker network rm -f` ignores it). */
export const networkNotFound = (ref: string): NotFoundError => new NotFoundError(`network ${ref} not found`);
