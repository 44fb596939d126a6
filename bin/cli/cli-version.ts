/**
 * The CLI's own version, from the root package.json. The compiled entry is dist/bin/keel.js, so the
 * file is two levels up from there; walking up a few levels finds it from the sources too (tests).
 */
import { readFileSync } from 'node:fs';

/** Reads the `keel` package version near `from` (a module URL); `0.0.0-dev` when not found. */
export function cliVersion(from: string | URL = import.meta.url): string {
  for (const up of ['../package.json', '../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, from), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'keel' && pkg.version) return pkg.version;
    } catch { /* not here: try one level up */ }
  }
  return '0.0.0-dev';
}
