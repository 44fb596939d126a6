import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { digestOf, digestStream, DigestTransform } from './index.js';

const data = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7) % 256));
const expected = `sha256:${createHash('sha256').update(data).digest('hex')}`;
const chunked = () => Readable.from([data.subarray(0, 1), data.subarray(1, 70_000), data.subarray(70_000)]);

describe('digestStream', () => {
  it('passes bytes through unchanged and resolves sha256 and size at the end', async () => {
    const d = digestStream(chunked());
    const parts: Buffer[] = [];
    for await (const c of d.stream) parts.push(c);
    expect(Buffer.concat(parts).equals(data)).toBe(true);
    expect(await d.result).toEqual({ digest: expected, size: data.length });
  });

  it('accepts Uint8Array and string chunks', async () => {
    async function* mixed() {
      yield new Uint8Array([104, 105]);
      yield '!';
    }
    expect((await digestOf(mixed())).digest).toBe(`sha256:${createHash('sha256').update('hi!').digest('hex')}`);
  });

  it('rejects when the consumer stops early: a prefix digest would be wrong', async () => {
    const d = digestStream(chunked());
    for await (const _ of d.stream) break;
    await expect(d.result).rejects.toThrow(/not read to its end/);
  });

  it('rejects with the source error', async () => {
    async function* failing() {
      yield Buffer.from('a');
      throw new Error('disk on fire');
    }
    const d = digestStream(failing());
    await expect((async () => { for await (const _ of d.stream); })()).rejects.toThrow('disk on fire');
    await expect(d.result).rejects.toThrow('disk on fire');
  });

  it('digests the empty stream', async () => {
    expect(await digestOf(Readable.from([]))).toEqual({ digest: `sha256:${createHash('sha256').digest('hex')}`, size: 0 });
  });
});

describe('DigestTransform', () => {
  it('hashes what flows through a pipeline', async () => {
    const t = new DigestTransform();
    const parts: Buffer[] = [];
    await pipeline(chunked(), t, async (source: AsyncIterable<Buffer>) => {
      for await (const c of source) parts.push(c);
    });
    expect(Buffer.concat(parts).length).toBe(data.length);
    expect(await t.result).toEqual({ digest: expected, size: data.length });
  });

  it('rejects its result when destroyed before the end', async () => {
    const t = new DigestTransform();
    t.on('error', () => undefined); // the stream's own error event is not what this test is about
    t.write(Buffer.from('x'));
    t.destroy(new Error('aborted'));
    await expect(t.result).rejects.toThrow('aborted');
  });
});
