import { describe, expect, it } from 'vitest';
import { collect, encodeFilters, parseTimeArg, splitPair } from './query-args.js';

describe('--since/--until', () => {
  const now = Date.UTC(2026, 10, 23, 12, 0, 0);
  const nowS = now / 1000;

  it('passes Unix seconds through', () => {
    expect(parseTimeArg('1795400000', now)).toBe('1795400000');
    expect(parseTimeArg('1795400000.5', now)).toBe('1795400000.5');
  });

  it('turns durations into that long before now', () => {
    expect(parseTimeArg('10m', now)).toBe(String(nowS - 600));
    expect(parseTimeArg('1h30m', now)).toBe(String(nowS - 5400));
    expect(parseTimeArg('45s', now)).toBe(String(nowS - 45));
    expect(parseTimeArg('2h0m5s', now)).toBe(String(nowS - 7205));
    expect(parseTimeArg('0s', now)).toBe(String(nowS));
    expect(parseTimeArg('1.5h', now)).toBe(String(nowS - 5400));
  });

  it('reads RFC 3339 times, with offsets and fractions', () => {
    expect(parseTimeArg('2026-11-23T06:00:00Z', now)).toBe(String(Date.UTC(2026, 10, 23, 6) / 1000));
    expect(parseTimeArg('2026-11-23T08:00:00+02:00', now)).toBe(String(Date.UTC(2026, 10, 23, 6) / 1000));
    expect(parseTimeArg('2026-11-23T06:00:00.999Z', now)).toBe(String(Date.UTC(2026, 10, 23, 6) / 1000));
  });

  it('rejects anything else with the accepted forms', () => {
    expect(() => parseTimeArg('yesterday', now)).toThrow(/invalid time "yesterday": use Unix seconds, RFC 3339/);
    expect(() => parseTimeArg('', now)).toThrow(/invalid time/);
    expect(() => parseTimeArg('10d', now)).toThrow(/invalid time/);
  });
});

describe('filters', () => {
  it('encodes repeated k=v as Docker\'s map form', () => {
    expect(encodeFilters(['type=image', 'type=daemon', 'event=load'])).toBe('{"type":{"image":true,"daemon":true},"event":{"load":true}}');
    expect(JSON.parse(encodeFilters(['label=com.example=a=b'])!)).toEqual({ label: { 'com.example=a=b': true } });
    expect(encodeFilters([])).toBeUndefined();
  });

  it('rejects filters without a key', () => {
    expect(() => encodeFilters(['novalue'])).toThrow('invalid filter "novalue": expected KEY=VALUE');
    expect(() => splitPair('=x')).toThrow(/KEY=VALUE/);
    expect(splitPair('status=')).toEqual(['status', '']);
  });

  it('collects repeated options in order', () => {
    expect(collect('b', collect('a'))).toEqual(['a', 'b']);
  });
});
