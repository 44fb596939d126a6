/** What every command gets: the API client (made on first use), and where output goes. */
import type { ApiClient } from './client.js';

/** Command context. */
export interface CliContext {
  client(): ApiClient;
  out(text: string): void;
  err(text: string): void;
  /** The CLI's own version. */
  readonly version: string;
}

/** Collects a repeatable option's values. */
export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
