import { describe, expect, it } from 'vitest';
import type { LogEntry } from '@keel/sdk';
import { localRotation } from './index.js';
import { localCodec } from './local-codec.js';

describe('local format', () => {
  it('round-trips entries and stops at a torn record', () => {
    const out = { buf: Buffer.alloc(4096), pos: 0, ensure() { /* big enough */ } };
    const entries: LogEntry[] = [
      { stream: 'stdout', timeNano: '1704067200123456789', line: Buffer.from('hello') },
      { stream: 'stderr', timeNano: '1', line: Buffer.alloc(0), partial: true },
    ];
    for (const e of entries) localCodec.encode(e, out);
    const whole = out.pos;
    localCodec.encode(entries[0]!, out);
    const got: LogEntry[] = [];
    expect(localCodec.decode(out.buf.subarray(0, out.pos - 3), (e) => got.push(e))).toBe(whole);
    expect(got.map((e) => ({ ...e, line: Buffer.from(e.line).toString() }))).toEqual(entries.map((e) => ({ ...e, line: Buffer.from(e.line).toString() })));
  });

  it('defaults like Docker\'s local driver and uses its messages', () => {
    expect(localRotation({})).toEqual({ maxSize: 20 * 1024 * 1024, maxFiles: 5, compress: true });
    expect(() => localRotation({ 'max-file': '1' })).toThrow('compression cannot be enabled when max file count is 1');
    expect(() => localRotation({ 'max-size': 'x1' })).toThrow(/^invalid value for max-size: x1: /);
    expect(() => localRotation({ tag: 'x', foo: 'y' })).toThrow("unknown log opt 'foo' for log driver local");
  });
});
