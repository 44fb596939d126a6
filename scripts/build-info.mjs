// Writes dist/build-info.json (version, git commit, build time) for `/version`, so the daemon
// never spawns git at start-up.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
let gitCommit = 'unknown';
try {
  gitCommit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
} catch {
  /* not a git checkout */
}
mkdirSync(new URL('dist/', root), { recursive: true });
writeFileSync(new URL('dist/build-info.json', root), JSON.stringify({ version: pkg.version, gitCommit, buildTime: new Date().toISOString() }) + '\n');
