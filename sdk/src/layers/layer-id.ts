/**
 * Layer ids become directory names: only safe names are accepted, so no id can reach outside a
 * driver's root.
 * @packageDocumentation
 */
import { InvalidArgumentError } from '../errors.js';
import { walkTree } from './tree.js';

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Throws InvalidArgument unless `id` is a safe layer id (letters, digits, `_ . -`, no `..`). */
export function assertLayerId(id: string): void {
  if (!SAFE_ID.test(id) || id.includes('..')) throw new InvalidArgumentError(`invalid layer id "${id}"`);
}

/** Sums apparent sizes and counts inodes of a tree (hardlinked files counted once). */
export async function treeUsage(root: string): Promise<{ size: number; inodes: number }> {
  const seen = new Set<string>();
  let size = 0;
  for (const e of (await walkTree(root)).values()) {
    const key = `${e.stat.dev}:${e.stat.ino}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (!e.stat.isDirectory()) size += Number(e.stat.size);
  }
  return { size, inodes: seen.size };
}
