/**
 * Import boundaries of ARCHITECTURE.md §1, checked on every TypeScript source file:
 * - sdk/ imports nothing from core/, plugins/ or bin/;
 * - plugins/** import only @keel/sdk (and subpaths), files in their own plugin folder, node
 *   built-ins and their own npm dependencies — never core/, bin/, another plugin or sdk/ by path;
 * - core/ never imports plugins/ (only core/builds/ and bin/ may);
 * - bin/keel (the CLI) never imports core/.
 * Also: no file over 500 lines.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

function walk(dir: string): string[] {
  let out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(walk(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;

/** Every module specifier a file imports, with relative ones resolved to repo-relative paths. */
export function importsOf(file: string): Array<{ spec: string; target?: string }> {
  const text = readFileSync(file, 'utf8');
  const out: Array<{ spec: string; target?: string }> = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = (m[1] ?? m[2] ?? m[3])!;
    out.push({ spec, target: spec.startsWith('.') ? path.relative(root, path.resolve(path.dirname(file), spec)) : undefined });
  }
  return out;
}

const rel = (f: string) => path.relative(root, f);
const sources = ['sdk/src', 'core', 'plugins', 'bin'].flatMap((d) => { try { return walk(path.join(root, d)); } catch { return []; } });
// Test code: *.test.ts and the fixtures beside them (test-support.ts, test-records.ts).
const prod = sources.filter((f) => !f.endsWith('.test.ts') && !/\/test-(support|records)\.ts$/.test(f));

function violations(files: string[], bad: (imp: { spec: string; target?: string }, file: string) => boolean): string[] {
  return files.flatMap((f) => importsOf(f).filter((i) => bad(i, f)).map((i) => `${rel(f)} imports ${i.spec}`));
}

describe('architecture: import boundaries', () => {
  it('finds the sources it checks', () => {
    expect(prod.some((f) => rel(f).startsWith('sdk/src/'))).toBe(true);
    expect(prod.some((f) => rel(f).startsWith('core/kernel/'))).toBe(true);
  });

  it('sdk imports nothing from core, plugins or bin', () => {
    const files = sources.filter((f) => rel(f).startsWith('sdk/'));
    expect(violations(files, (i) => !!i.target && !i.target.startsWith('sdk/'))).toEqual([]);
    expect(violations(files, (i) => i.spec.startsWith('@keel/') && !i.spec.startsWith('@keel/sdk'))).toEqual([]);
  });

  it('plugins import only @keel/sdk, their own folder, node built-ins and npm packages', () => {
    const files = sources.filter((f) => rel(f).startsWith('plugins/'));
    const ownFolder = (f: string) => rel(f).split('/').slice(0, 3).join('/');
    expect(violations(files, (i, f) => (i.target ? !i.target.startsWith(`${ownFolder(f)}/`) && i.target !== ownFolder(f) : i.spec.startsWith('@keel/') && !/^@keel\/sdk(\/|$)/.test(i.spec)))).toEqual([]);
  });

  it('core never imports plugins, except core/builds', () => {
    const files = prod.filter((f) => rel(f).startsWith('core/') && !rel(f).startsWith('core/builds/'));
    expect(violations(files, (i) => !!i.target && i.target.startsWith('plugins/'))).toEqual([]);
  });

  it('core/kernel knows nothing of services or plugins', () => {
    const files = prod.filter((f) => rel(f).startsWith('core/kernel/'));
    expect(violations(files, (i) => !!i.target && !i.target.startsWith('core/kernel') && !i.target.startsWith('sdk/'))).toEqual([]);
  });

  it('the keel CLI never imports core', () => {
    const files = prod.filter((f) => rel(f) === 'bin/keel.ts' || rel(f).startsWith('bin/cli/'));
    expect(violations(files, (i) => !!i.target && (i.target.startsWith('core/') || i.target.startsWith('plugins/')))).toEqual([]);
  });

  it('tsyringe is used only in core/kernel/di.ts', () => {
    expect(violations(sources, (i, f) => i.spec === 'tsyringe' && rel(f) !== 'core/kernel/di.ts')).toEqual([]);
  });

  it('keeps every file at 500 lines or fewer', () => {
    const long = sources.map((f) => [rel(f), readFileSync(f, 'utf8').split('\n').length] as const).filter(([, n]) => n > 500);
    expect(long).toEqual([]);
  });
});

describe('architecture: the checker itself', () => {
  it('sees relative, package and dynamic imports', () => {
    const found = importsOf(path.join(root, 'core/kernel/kernel.ts')).map((i) => i.target ?? i.spec);
    expect(found).toContain('@keel/sdk');
    expect(found).toContain('core/kernel/build.js');
  });
});
