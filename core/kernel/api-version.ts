/**
 * Docker's API version rules: paths may carry `/v<major.minor>`; versions outside the served
 * range get 400 with moby's wording; an unprefixed path means the newest version.
 */
import { InvalidArgumentError } from '@keel/sdk';

/** The newest Docker API version keel serves. */
export const API_VERSION = '1.47';
/** The oldest Docker API version keel serves. */
export const MIN_API_VERSION = '1.40';

const PREFIX = /^\/v(\d+(?:\.\d+)*)(?=\/)/;

/** Splits `/v1.47/containers/json` into `{ version: '1.47', path: '/containers/json' }`. */
export function splitVersion(url: string): { version?: string; path: string } {
  const m = PREFIX.exec(url);
  return m ? { version: m[1], path: url.slice(m[0].length) } : { path: url };
}

/** Compares dotted versions numerically (`1.9` < `1.10`). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

/** Whether `version` is in the served range. */
export function servedApiVersion(version: string): boolean {
  return compareVersions(version, MIN_API_VERSION) >= 0 && compareVersions(version, API_VERSION) <= 0;
}

/** Throws InvalidArgument (400) with moby's message when `version` is outside the served range. */
export function checkApiVersion(version: string): void {
  if (compareVersions(version, API_VERSION) > 0) {
    throw new InvalidArgumentError(`client version ${version} is too new. Maximum supported API version is ${API_VERSION}`, { code: 'ERR_API_VERSION' });
  }
  if (compareVersions(version, MIN_API_VERSION) < 0) {
    throw new InvalidArgumentError(
      `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
      { code: 'ERR_API_VERSION' },
    );
  }
}
