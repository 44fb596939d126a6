/**
 * Errors that cross the engine: every plugin, service and route reports failures as an
 * {@link EngineError} whose `kind` decides the HTTP status (and gRPC code) in one table.
 * Never branch on message text; branch on `kind` (or `code`).
 * @packageDocumentation
 */

/** The classes of failure the engine distinguishes. */
export type ErrorKind =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'InvalidArgument'
  | 'NotSupported'
  | 'Unavailable'
  | 'PermissionDenied'
  | 'Cancelled'
  | 'Internal';

/** The one table from error kind to HTTP status used by the API server. */
export const HTTP_STATUS_BY_KIND: Readonly<Record<ErrorKind, number>> = Object.freeze({
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  InvalidArgument: 400,
  NotSupported: 501,
  Unavailable: 503,
  PermissionDenied: 403,
  Cancelled: 499,
  Internal: 500,
});

/** Options accepted by {@link EngineError} and its subclasses. */
export interface EngineErrorOptions {
  /** A stable machine-readable code, e.g. `ERR_PLUGIN_CYCLE`. Defaults to `ERR_<KIND>`. */
  code?: string;
  /** The underlying error, kept for logs; never shown to API clients. */
  cause?: unknown;
}

/** An error with a kind that maps to an HTTP status; its message is what API clients see. */
export class EngineError extends Error {
  /** The class of failure; decides the HTTP status. */
  readonly kind: ErrorKind;
  /** A stable machine-readable code. */
  readonly code: string;

  constructor(kind: ErrorKind, message: string, options: EngineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = `${kind}Error`;
    this.kind = kind;
    this.code = options.code ?? `ERR_${kind.replace(/[A-Z]/g, (c, i) => (i ? '_' : '') + c).toUpperCase()}`;
  }

  /** The HTTP status this error is answered with. */
  get httpStatus(): number {
    return HTTP_STATUS_BY_KIND[this.kind];
  }

  /** True when `err` is an EngineError (also across realms/bundles, by shape). */
  static is(err: unknown): err is EngineError {
    if (err instanceof EngineError) return true;
    const e = err as { kind?: unknown; code?: unknown; message?: unknown } | null;
    return !!e && typeof e === 'object' && typeof e.kind === 'string' && e.kind in HTTP_STATUS_BY_KIND &&
      typeof e.message === 'string' && typeof e.code === 'string';
  }
}

function kindClass(kind: ErrorKind) {
  return class extends EngineError {
    constructor(message: string, options?: EngineErrorOptions) {
      super(kind, message, options);
    }
  };
}

/** The object does not exist (HTTP 404). */
export class NotFoundError extends kindClass('NotFound') {}
/** The object already exists (HTTP 409). */
export class AlreadyExistsError extends kindClass('AlreadyExists') {}
/** The request conflicts with the object's current state (HTTP 409). */
export class ConflictError extends kindClass('Conflict') {}
/** The request is malformed or a parameter is invalid (HTTP 400). */
export class InvalidArgumentError extends kindClass('InvalidArgument') {}
/**
 * The operation or the plugin is not supported here (HTTP 501). Thrown from a plugin's `init`,
 * it marks the plugin `skipped` instead of `failed` (e.g. overlay2 without overlayfs).
 */
export class NotSupportedError extends kindClass('NotSupported') {}
/** A dependency is temporarily unavailable (HTTP 503). */
export class UnavailableError extends kindClass('Unavailable') {}
/** The caller may not do this (HTTP 403). */
export class PermissionDeniedError extends kindClass('PermissionDenied') {}
/** The operation was cancelled, usually by an AbortSignal (HTTP 499). */
export class CancelledError extends kindClass('Cancelled') {}
/** A bug or an unexpected failure (HTTP 500). */
export class InternalError extends kindClass('Internal') {}

/**
 * Turns anything thrown into an EngineError: EngineErrors pass through, AbortErrors become
 * Cancelled, everything else becomes Internal with the original kept as `cause`.
 */
export function toEngineError(err: unknown): EngineError {
  if (EngineError.is(err)) return err;
  if (err instanceof Error && err.name === 'AbortError') return new CancelledError(err.message, { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return new InternalError(message, { cause: err });
}
