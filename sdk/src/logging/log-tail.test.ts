import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lastLinesOffset } from './log-reader.js';

describe('tail from the end of a line-based log', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'keel-tail-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const offsetIn = async (text: string, n: number) => {
    const file = path.join(dir, 'log');
    await writeFile(file, text);
    const fh = await open(file, 'r');
    try {
      return await lastLinesOffset(fh, n);
    } finally {
      await fh.close();
    }
  };

  it('finds where the last n lines start, reading backwards across chunks', async () => {
    expect(await offsetIn('a\nb\nc\n', 1)).toBe(4);
    expect(await offsetIn('a\nb\nc\n', 2)).toBe(2);
    expect(await offsetIn('a\nb\nc\n', 3)).toBe(0);
    expect(await offsetIn('a\nb\nc\n', 4)).toBeUndefined();
    expect(await offsetIn('', 1)).toBeUndefined();
    const long = Array.from({ length: 5000 }, (_, i) => `${'x'.repeat(40)}${i}`).join('\n') + '\n';
    const at = (await offsetIn(long, 3))!;
    expect(long.slice(at)).toBe(`${'x'.repeat(40)}4997\n${'x'.repeat(40)}4998\n${'x'.repeat(40)}4999\n`);
  });
});
