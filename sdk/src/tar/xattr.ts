/**
 * Extended attributes without a native addon: Node has no xattr API, so keel batches them through
 * the `attr` package's tools — one `setfattr -h --restore=-` per extraction and one recursive
 * `getfattr` per packed tree. Values travel base64-encoded (`0s…`), so binary values such as
 * `security.capability` stay byte-exact; paths use the tools' octal escapes.
 * @packageDocumentation
 */
import { spawn } from 'node:child_process';

/** One attribute to set on one (no-follow) path. */
export interface XattrItem {
  readonly path: string;
  readonly name: string;
  readonly value: Buffer;
}

/**
 * Names keel sets or reads: a known namespace and printable ASCII without `=` (the dump format
 * is line-based and `name=value`, so anything else could forge records).
 */
const NAME = /^(user|trusted|security|system)\.[\x21-\x3c\x3e-\x7e]+$/;

/** True when `name` is an xattr name keel accepts. */
export function isValidXattrName(name: string): boolean {
  return NAME.test(name) && name.length <= 255;
}

/** Escapes a path for the dump format: bytes outside printable ASCII, and `\`, as `\ooo`. */
export function escapeDumpPath(p: string): string {
  return [...Buffer.from(p)].map((b) => (b > 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\${b.toString(8).padStart(3, '0')}`)).join('');
}

/** Reverses the tools' `\ooo` escapes. */
export function unescapeDumpPath(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const m = s[i] === '\\' ? /^[0-7]{3}/.exec(s.slice(i + 1, i + 4)) : null;
    if (m) {
      bytes.push(parseInt(m[0], 8));
      i += 3;
    } else bytes.push(...Buffer.from(s[i]!));
  }
  return Buffer.from(bytes).toString('utf8');
}

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
  /** Set when the tool could not be started (ENOENT: package `attr` missing). */
  spawnError?: Error;
}

function run(cmd: string, args: string[], input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.on('error', () => undefined); // the tool may exit before reading all input
    child.on('error', (spawnError) => resolve({ code: null, stdout: Buffer.alloc(0), stderr, spawnError }));
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
    child.stdin.end(input ?? '');
  });
}

/**
 * Sets every item with one `setfattr -h --restore=-` (no symlink is dereferenced). Returns one
 * message per failure (the tool goes on after one); an empty list means all were set.
 */
export async function setXattrs(items: readonly XattrItem[]): Promise<string[]> {
  if (!items.length) return [];
  const byPath = new Map<string, string[]>();
  for (const { path, name, value } of items) {
    if (!isValidXattrName(name)) return [`refused xattr name ${JSON.stringify(name)}`];
    const lines = byPath.get(path) ?? [];
    lines.push(`${name}=0s${value.toString('base64')}`);
    byPath.set(path, lines);
  }
  const dump = [...byPath].map(([p, lines]) => `# file: ${escapeDumpPath(p)}\n${lines.join('\n')}\n`).join('\n');
  const r = await run('setfattr', ['-h', '--restore=-'], dump);
  if (r.spawnError) return [`extended attributes not set: setfattr unavailable (${r.spawnError.message}; install the "attr" package)`];
  if (r.code === 0) return [];
  const errs = r.stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  return errs.length ? errs : [`setfattr exited with status ${r.code}`];
}

/**
 * Every xattr below `root` (symlinks not followed, `root` included), keyed by absolute path, from
 * one `getfattr -R`. When getfattr is missing or fails in part, `warning` says so.
 */
export async function readXattrTree(root: string): Promise<{ attrs: Map<string, Record<string, Buffer>>; warning?: string }> {
  const attrs = new Map<string, Record<string, Buffer>>();
  const r = await run('getfattr', ['-R', '-P', '-h', '-d', '-m', '-', '-e', 'base64', '--absolute-names', '--', root]);
  if (r.spawnError) return { attrs, warning: `extended attributes not read: getfattr unavailable (${r.spawnError.message}; install the "attr" package)` };
  let current: Record<string, Buffer> | undefined;
  for (const line of r.stdout.toString('latin1').split('\n')) {
    if (line.startsWith('# file: ')) {
      current = {};
      attrs.set(unescapeDumpPath(Buffer.from(line.slice(8), 'latin1').toString('utf8')), current);
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq <= 0) continue;
    const value = line.slice(eq + 1);
    // -e base64 prints 0s…; an empty value prints "" (or nothing) depending on the version.
    current[line.slice(0, eq)] = value.startsWith('0s') ? Buffer.from(value.slice(2), 'base64') : Buffer.alloc(0);
  }
  const warning = r.code === 0 ? undefined : `some extended attributes not read: ${r.stderr.trim().split('\n')[0] ?? `getfattr status ${r.code}`}`;
  return { attrs, ...(warning ? { warning } : {}) };
}
