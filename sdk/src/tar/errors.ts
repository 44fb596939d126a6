/**
 * Errors of the tar library. A {@link TarError} always means "the archive is at fault" (HTTP 400):
 * it carries a stable code and names the entry at fault so the user can find it.
 * @packageDocumentation
 */
import { InvalidArgumentError } from '../errors.js';

/**
 * What went wrong:
 * - `ERR_TAR_MALFORMED`: not a valid archive (checksum, truncation, bad PAX record, bad gzip…)
 * - `ERR_TAR_PATH_ESCAPE`: an entry would land outside the destination root
 * - `ERR_TAR_LIMIT`: a configured limit (sizes, path length, entry count) was exceeded
 * - `ERR_TAR_UNSUPPORTED`: a valid archive feature keel does not handle (sparse files, zstd…)
 */
export type TarErrorCode = 'ERR_TAR_MALFORMED' | 'ERR_TAR_PATH_ESCAPE' | 'ERR_TAR_LIMIT' | 'ERR_TAR_UNSUPPORTED';

/** A refused or unreadable archive; `kind` is `InvalidArgument`, so the API answers 400. */
export class TarError extends InvalidArgumentError {
  /** The entry path at fault, if known. */
  readonly entry?: string;

  /**
   * @param code - the stable error code
   * @param message - what is wrong, for users
   * @param entry - the entry at fault; appended to the message (quoted, at most 200 characters)
   */
  constructor(code: TarErrorCode, message: string, entry?: string) {
    super(entry === undefined ? message : `${message}: ${JSON.stringify(entry.slice(0, 200))}`, { code });
    this.entry = entry;
  }
}

/**
 * Errors that an archive's content causes: a path used as dir and file, a missing link target,
 * a name too long for the host, or a value Node refuses (a uid above 2^32, an absurd time).
 */
const CONTENT_ERRNOS = new Set(['ENOTDIR', 'EISDIR', 'EEXIST', 'ENOENT', 'ENAMETOOLONG', 'ELOOP', 'EMLINK', 'EINVAL', 'ENOTEMPTY', 'ERR_OUT_OF_RANGE', 'ERR_INVALID_ARG_VALUE', 'ERR_INVALID_ARG_TYPE']);

/**
 * Turns a file-system error caused by an entry into a {@link TarError} naming it; errors of the
 * host (ENOSPC, EIO, EACCES…) and TarErrors pass through unchanged.
 */
export function entryError(err: unknown, entry: string): unknown {
  if (err instanceof TarError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string' || !CONTENT_ERRNOS.has(code)) return err;
  // Drop the ", open '/host/path'" tail: host paths are not for API clients.
  const what = (err as Error).message.replace(/, \w+ '.*$/s, '');
  return new TarError('ERR_TAR_MALFORMED', `cannot extract entry (${what})`, entry);
}
