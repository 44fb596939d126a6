/**
 * What every driver contract shares. Contracts are remotable: arguments and results are plain
 * serialisable data, byte streams or async iterables, and every call takes an AbortSignal.
 * @packageDocumentation
 */

/** Options every driver call accepts. */
export interface CallOptions {
  /** Cancels the call (deadline or client gone). */
  readonly signal?: AbortSignal;
}

/** A key/value status table, as `docker info` prints under a driver (`DriverStatus`). */
export type DriverStatusTable = ReadonlyArray<readonly [string, string]>;

/** Members every driver has. */
export interface DriverBase<TCapabilities> {
  /** Optional abilities, as data (never duck typing). */
  readonly capabilities: TCapabilities;
  /** Details for `docker info`; optional. */
  status?(options?: CallOptions): Promise<DriverStatusTable>;
}
