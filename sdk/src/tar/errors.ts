/**
 * Errors of the tar library: always a client's archive problem (HTTP 400), with a code and the
 * entry at fault.
 * @packageDocumentation
 */
import { InvalidArgumentError } from '../errors.js';

/** What went wrong. */
export type TarErrorCode = 'ERR_TAR_MALFORMED' | 'ERR_TAR_PATH_ESCAPE' | 'ERR_TAR_LIMIT' | 'ERR_TAR_UNSUPPORTED';

/** A refused or unreadable archive. */
export class TarError extends InvalidArgumentError {
  /** The entry path at fault, if known. */
  readonly entry?: string;
  constructor(code: TarErrorCode, message: string, entry?: string) {
    super(entry ? `${message}: ${JSON.stringify(entry)}` : message, { code });
    this.entry = entry;
  }
}
