/**
 * Pieces every benchmark in bench/ shares: flag parsing, a clean-up stack run once at exit or on
 * SIGINT/SIGTERM, on-the-fly transpiling of the TypeScript test helpers, a command timer and
 * statistics. Imports only node builtins and `typescript`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

/** The repository root (with a trailing slash). */
export const repo = fileURLToPath(new URL('../../', import.meta.url));

/**
 * `--name value` or `--name=value` flags over `defaults` (a flag without a value is `true`);
 * unknown flags are an error, numbers stay strings (the caller converts).
 */
export function parseFlags(argv, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unexpected argument ${argv[i]}`);
    const [, key, inline] = m;
    if (!(key in defaults)) throw new Error(`unknown flag --${key} (known: ${Object.keys(defaults).map((k) => `--${k}`).join(' ')})`);
    out[key] = inline ?? (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--') ? argv[++i] : true);
  }
  return out;
}

// ---------------------------------------------------------------- clean-up

const cleanups = [];
let cleaning;

/** Registers `fn` to run at clean-up (last registered runs first). */
export function onCleanup(fn) {
  cleanups.push(fn);
}

/** True once clean-up has begun (loops should stop starting new work). */
export const aborting = () => cleaning !== undefined;

/** Runs every registered clean-up once, newest first; errors are printed, not thrown. */
export function cleanup() {
  return (cleaning ??= (async () => {
    for (const f of cleanups.reverse()) await f().catch((e) => console.error('cleanup:', e?.message ?? e));
  })());
}

/** SIGINT/SIGTERM run the clean-up, then exit 130/143. */
export function cleanupOnSignals() {
  process.on('SIGINT', () => cleanup().then(() => process.exit(130)));
  process.on('SIGTERM', () => cleanup().then(() => process.exit(143)));
}

// ---------------------------------------------------------------- TypeScript helpers

/**
 * Transpiles the given repository files (paths relative to the root) into bench/.cache-<pid>/ (two
 * levels down, so `test/e2e/harness.ts` still finds the root at `../../`), imports them and returns
 * `{ <basename without .ts>: module }`. The cache directory is removed at clean-up. Files import
 * each other by basename (`./harness.js`), so they must not share one.
 */
export async function importTs(files) {
  const cacheDir = path.join(repo, 'bench', `.cache-${process.pid}`);
  await mkdir(cacheDir, { recursive: true });
  onCleanup(() => rm(cacheDir, { recursive: true, force: true }));
  const out = (f) => path.join(cacheDir, path.basename(f).replace(/\.ts$/, '.js'));
  for (const f of files) {
    const js = ts.transpileModule(readFileSync(path.join(repo, f), 'utf8'), { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
    await writeFile(out(f), js.outputText);
  }
  return Object.fromEntries(await Promise.all(files.map(async (f) => [path.basename(f, '.ts'), await import(pathToFileURL(out(f)).href)])));
}

// ---------------------------------------------------------------- timing, statistics

/** Wall time of one command, in seconds; throws (with its stderr) on a non-zero exit. */
export function timed(cmd, argv, env = process.env) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, argv, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      code === 0 ? resolve(s) : reject(new Error(`${path.basename(cmd)} ${argv.join(' ')} exited ${code ?? signal}: ${err.trim()}`));
    });
  });
}

/** Seconds since `t0` (a `process.hrtime.bigint()`). */
export const since = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs a benchmark's `main`, prints its error and sets the exit code, and always cleans up. */
export async function runMain(main) {
  try {
    await main();
  } catch (err) {
    console.error(err.message ?? err);
    process.exitCode = 1;
  } finally {
    await cleanup();
  }
}
