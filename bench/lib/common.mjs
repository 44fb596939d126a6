/**
 * Pieces every benchmark in bench/ shares: flag parsing (and `--help` from a script's header
 * comment), a clean-up stack run once at exit or on SIGINT/SIGTERM (and scopes that clean up early),
 * on-the-fly transpiling of the TypeScript test helpers, a command timer, statistics and the
 * results file. Imports only node builtins and `typescript`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

/** The repository root (with a trailing slash). */
export const repo = fileURLToPath(new URL('../../', import.meta.url));

/** The first doc comment of the file at `url` (a script's `import.meta.url`), without its `*` margins. */
export function headerOf(url) {
  const m = /\/\*\*\n([\s\S]*?)\n \*\//.exec(readFileSync(fileURLToPath(url), 'utf8'));
  return m ? m[1].split('\n').map((l) => l.replace(/^ \* ?/, '')).join('\n') : '';
}

/**
 * `--name value` or `--name=value` flags over `defaults` (a flag without a value is `true`);
 * unknown flags are an error, numbers stay strings (the caller converts). `--help` (or `-h`) prints
 * `help` (a script passes `headerOf(import.meta.url)`) and exits.
 */
export function parseFlags(argv, defaults, help) {
  if (help !== undefined && argv.some((a) => a === '--help' || a === '-h')) {
    console.log(help);
    process.exit(0);
  }
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

/** `fn()`, or, when it throws (a bad flag), its message and exit code 2. */
export function checked(fn) {
  try {
    return fn();
  } catch (err) {
    console.error(`${err.message} (--help shows the flags)`);
    process.exit(2);
  }
}

/** Throws unless every value of `ints` (`{ flagName: number }`) is an integer ≥ `min`. */
export function checkInts(ints, min = 1) {
  for (const [k, v] of Object.entries(ints)) if (!Number.isInteger(v) || v < min) throw new Error(`--${k} must be an integer ≥ ${min}`);
}

/** `--engines keel,docker` as a list, checked. */
export function engineList(value) {
  const engines = String(value).split(',').map((s) => s.trim()).filter(Boolean);
  for (const e of engines) if (!['keel', 'docker'].includes(e)) throw new Error(`--engines: unknown engine ${e} (keel, docker)`);
  return engines;
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

const runAll = async (fns) => {
  for (const f of fns.reverse()) await f().catch((e) => console.error('cleanup:', e?.message ?? e));
};
const scopesCleaning = new Set();

/** Runs every registered clean-up once, newest first (after any scope's clean-up under way); errors are printed, not thrown. */
export function cleanup() {
  return (cleaning ??= (async () => {
    await Promise.all(scopesCleaning);
    await runAll(cleanups.splice(0));
  })());
}

/**
 * Runs `fn()`, then, even if it throws, the clean-ups registered while it ran (newest first), so
 * that one benchmark's daemons and files are gone before the next starts. Returns what `fn` returns.
 */
export async function scoped(fn) {
  const start = cleanups.length;
  try {
    return await fn();
  } finally {
    const mine = runAll(cleanups.splice(start));
    scopesCleaning.add(mine);
    await mine;
    scopesCleaning.delete(mine);
  }
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
 * each other by basename (`./harness.js`), so they must not share one. Called again in the same
 * process, the same modules come back (the import cache).
 */
export async function importTs(files) {
  const cacheDir = path.join(repo, 'bench', `.cache-${process.pid}`);
  await mkdir(cacheDir, { recursive: true });
  onCleanup(() => rm(cacheDir, { recursive: true, force: true }));
  const out = (f) => path.join(cacheDir, path.basename(f).replace(/\.ts$/, '.js'));
  for (const f of files) {
    const source = readFileSync(path.join(repo, f), 'utf8');
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
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

/** Writes `data` as JSON to bench/results/`name` and says so. */
export async function writeResult(name, data) {
  const file = path.join(repo, 'bench', 'results', name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(data, null, 2)}\n`);
  console.log(`wrote ${path.relative(repo, file)}`);
}

/**
 * The whole of a benchmark script: flags (`--help` prints the header of the script at `url`) →
 * `toOptions` → `bench(options)` → bench/results/`resultFile` (unless interrupted), with clean-up
 * on exit and on SIGINT/SIGTERM.
 */
export async function runScript(url, defaults, toOptions, bench, resultFile) {
  const options = checked(() => toOptions(parseFlags(process.argv.slice(2), defaults, headerOf(url))));
  cleanupOnSignals();
  await runMain(async () => {
    const out = await bench(options);
    if (out) await writeResult(resultFile, out);
  });
}

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
