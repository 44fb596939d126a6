/** Version facts written by `scripts/build-info.mjs` at build time (dist/build-info.json). */
import { readFileSync } from 'node:fs';

/** What `/version` reports about this build. */
export interface BuildInfo {
  readonly version: string;
  readonly gitCommit: string;
  readonly buildTime: string;
}

/** Reads dist/build-info.json; falls back to unknowns when running from source. */
export function readBuildInfo(): BuildInfo {
  try {
    return JSON.parse(readFileSync(new URL('../../build-info.json', import.meta.url), 'utf8')) as BuildInfo;
  } catch {
    return { version: '0.0.0-dev', gitCommit: 'unknown', buildTime: new Date(0).toISOString() };
  }
}
