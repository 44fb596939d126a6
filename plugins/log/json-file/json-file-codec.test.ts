import { describe, expect, it } from 'vitest';
import type { LogEntry } from '@keel/sdk';
import type { ByteOut } from '@keel/sdk/logging';
import { jsonFileCodec } from './json-file-codec.js';
import { jsonFileRotation } from './json-file-format.js';

function encode(entries: LogEntry[], attrs?: Record<string, string>): string {
  const out: ByteOut = { buf: Buffer.alloc(1 << 16), pos: 0, ensure() { /* big enough */ } };
  const codec = jsonFileCodec(attrs);
  for (const e of entries) codec.encode(e, out);
  return out.buf.toString('utf8', 0, out.pos);
}

const at = (line: string, extra: Partial<LogEntry> = {}): LogEntry => ({ stream: 'stdout', timeNano: '1704067200123456789', line: Buffer.from(line), ...extra });

describe('json-file format', () => {
  it('writes Docker\'s exact line', () => {
    expect(encode([at('hello')])).toBe('{"log":"hello\\n","stream":"stdout","time":"2024-01-01T00:00:00.123456789Z"}\n');
  });

  it('trims the fraction like Go\'s RFC3339Nano; partials have no newline; attrs sit before time', () => {
    expect(encode([at('a', { timeNano: '1704067200120000000', partial: true, stream: 'stderr' })], { team: 'core' }))
      .toBe('{"log":"a","stream":"stderr","attrs":{"team":"core"},"time":"2024-01-01T00:00:00.12Z"}\n');
    expect(encode([at('', { timeNano: '1704067200000000000', partial: true })])).toBe('{"stream":"stdout","time":"2024-01-01T00:00:00Z"}\n');
  });

  it('escapes like Go: <>& and control bytes as \\u00XX, invalid UTF-8 as \\ufffd, non-ASCII raw', () => {
    const line = Buffer.concat([Buffer.from('<a>&"\\\t\r é'), Buffer.from([0xff])]);
    expect(encode([at('', { line })])).toContain('"log":"\\u003ca\\u003e\\u0026\\"\\\\\\u0009\\r é\\ufffd\\n"');
  });

  it('decodes what it encodes, keeping partials and nanoseconds', () => {
    const entries = [at('x'), at('y', { partial: true, stream: 'stderr', timeNano: '1704067200000000001' })];
    const text = Buffer.from(encode(entries) + '{"log":"torn');
    const got: LogEntry[] = [];
    const used = jsonFileCodec().decode(text, (e) => got.push(e));
    expect(text.subarray(used).toString()).toBe('{"log":"torn');
    expect(got.map((e) => ({ ...e, line: Buffer.from(e.line).toString() }))).toEqual(entries.map((e) => ({ ...e, line: Buffer.from(e.line).toString() })));
  });

  it('reads every shape back the same, with or without the JSON.parse fallback (escapes, attrs, zones, empty and torn lines)', () => {
    const entries = [
      at('plain'), at('part', { partial: true }), at('', {}), at('q"uote'), at('back\\slash\\n'), at('<tag> & é 日本'),
      at('tab\there', { stream: 'stderr' }), at('x', { timeNano: '1704067200000000000' }), at('y', { timeNano: '1704067201100000000', stream: 'stderr' }),
    ];
    const norm = (es: LogEntry[]) => es.map((e) => ({ ...e, line: Buffer.from(e.line).toString('hex') }));
    for (const attrs of [undefined, { team: 'core' }]) {
      const got: LogEntry[] = [];
      jsonFileCodec().decode(Buffer.from(encode(entries, attrs)), (e) => got.push(e));
      expect(norm(got)).toEqual(norm(entries));
    }
    // Lines written by others: a zone offset, a short fraction, a foreign line, then one torn at the end.
    const got: LogEntry[] = [];
    const text = '{"log":"a\\n","stream":"stdout","time":"2024-01-01T01:00:00.5+01:00"}\nnot json\n{"log":"b\\n","stream":"stderr","time":"2024-01-01T00:00:01Z"}\n{"log":"c';
    const used = jsonFileCodec().decode(Buffer.from(text), (e) => got.push(e));
    expect(norm(got)).toEqual(norm([at('a', { timeNano: '1704067200500000000' }), at('b', { stream: 'stderr', timeNano: '1704067201000000000' })]));
    expect(text.slice(used)).toBe('{"log":"c');
  });

  it('checks options with Docker\'s messages', () => {
    expect(() => jsonFileRotation({ 'max-size': '1q' })).toThrow("invalid suffix: 'q'");
    expect(() => jsonFileRotation({ 'max-size': 'abc' })).toThrow("invalid size: 'abc'");
    expect(() => jsonFileRotation({ 'max-file': '0' })).toThrow('max-file cannot be less than 1');
    expect(() => jsonFileRotation({ 'max-file': 'x' })).toThrow('strconv.Atoi: parsing "x": invalid syntax');
    expect(() => jsonFileRotation({ 'max-file': '3', compress: 'true' })).toThrow('compress cannot be true when max-file is less than 2 or max-size is not set');
    expect(() => jsonFileRotation({ foo: '1' })).toThrow("unknown log opt 'foo' for json-file log driver");
    expect(jsonFileRotation({ 'max-size': '10k', 'max-file': '3', compress: 'true' })).toEqual({ maxSize: 10_000, maxFiles: 3, compress: true });
    expect(jsonFileRotation({ 'max-size': '1.5MiB' }).maxSize).toBe(1_500_000); // Docker's FromHumanSize is decimal
  });
});
