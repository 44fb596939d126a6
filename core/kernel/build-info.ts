/** Version facts written by `scripts/build-info.mjs` at build time (dist/build-info.json). */
import { readFileSync } from 'node:fs';

/** What `/version` reports about this build. */
export interface BuildInfo {
  readonly version: string;
  readonly gitCommit: string;
  readonly buildTime: string;
}

/** The facts inlined by scripts/bundle.mjs into dist/keeld.mjs (undefined in the module build). */
declare const __KEEL_BUILD_INFO__: string | undefined;

/** The bundle's inlined facts, else dist/build-info.json; unknowns when running from source. */
export function readBuildInfo(): BuildInfo {
  try {
    if (typeof __KEEL_BUILD_INFO__ === 'string') return JSON.parse(__KEEL_BUILD_INFO__) as BuildInfo;
    return JSON.parse(readFileSync(new URL('../../build-info.json', import.meta.url), 'utf8')) as BuildInfo;
  } catch {
    return { version: '0.0.0-dev', gitCommit: 'unknown', buildTime: new Date(0).toISOString() };
  }
}
