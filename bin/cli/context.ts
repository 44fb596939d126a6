/**
 * What every command gets. Commands write through `out`/`err` and throw on failure instead of
 * touching `process`, so the whole CLI runs in-process in tests with captured output.
 */
import type { ApiClient } from './client.js';

/** Command context. */
export interface CliContext {
  /** The API client, made on first use (so `--help` never needs a daemon address). */
  client(): ApiClient;
  out(text: string): void;
  err(text: string): void;
  /** The CLI's own version. */
  readonly version: string;
  /** Aborted on Ctrl-C: long-running commands (events) end cleanly on it. */
  readonly signal: AbortSignal;
  /** Whether stdout is a terminal (progress redraws in place only then). */
  readonly tty: boolean;
}
