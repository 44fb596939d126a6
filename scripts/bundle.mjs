// Bundles the daemon into one minified file, dist/keeld.mjs, the `keeld` that setup.sh, the
// tests and the benchmarks run. One file instead of ~300 modules saves about 15 MB of the idle
// daemon (module records and unminified sources kept by V8) and some start-up time.
//
// The node flags ride in the shebang: `--max-semi-space-size=4` caps V8's young generation at
// 2 x 4 MiB instead of 2 x 16 MiB. An idle daemon gives young-generation memory back either way
// (V8's memory reducer, some seconds after the last request), but a busy one keeps what it grew
// to; 4 MiB keeps log streaming at full speed (1 MiB cost it a third, in garbage collection).
//
// Native addons (node-unix-socket) and pino-pretty (loaded only for a terminal) stay in
// node_modules; the build facts are inlined, so the bundle needs no dist/build-info.json.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { build } from 'rolldown';

const NODE_FLAGS = ['--max-semi-space-size=4'];

const root = new URL('../', import.meta.url);
const out = new URL('dist/keeld.mjs', root);
const buildInfo = readFileSync(new URL('dist/build-info.json', root), 'utf8').trim();

await build({
  input: new URL('dist/bin/keeld.js', root).pathname,
  platform: 'node',
  external: [/^node:/, 'node-unix-socket', 'pino-pretty'],
  transform: { define: { __KEEL_BUILD_INFO__: JSON.stringify(buildInfo) } },
  output: { file: out.pathname, format: 'esm', minify: true, sourcemap: false },
  logLevel: 'warn',
});
// ASCII only (a handful of `…`, `µs`, `→` become \u escapes): V8 then keeps the 0.7 MB source
// as a one-byte string instead of a two-byte one of twice the size.
const code = readFileSync(out, 'utf8').replace(/^#![^\n]*\n/, '').replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
writeFileSync(out, `#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}\n${code}`);
chmodSync(out, 0o755);
