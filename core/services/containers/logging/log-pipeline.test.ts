import { describe, expect, it } from 'vitest';
import { createFakeLogger } from '@keel/sdk/testkit';
import { InvalidArgumentError, type DriverSet, type LogDriver } from '@keel/sdk';
import { LogPipeline, parseSize } from './log-pipeline.js';

function driverSet(names: string[]): DriverSet<LogDriver> {
  const make = (name: string): LogDriver => ({
    capabilities: { read: name !== 'none' },
    validateOptions(o) {
      for (const k of Object.keys(o)) if (k !== 'max-size') throw new InvalidArgumentError(`unknown log opt '${k}' for ${name} log driver`);
    },
    open: async () => ({ write: async () => undefined, close: async () => undefined }),
  });
  const all = new Map(names.map((n) => [n, make(n)]));
  return {
    kind: 'log', get: (n) => all.get(n), require: (n) => all.get(n)!, names: () => [...all.keys()], defaultName: () => names[0], default: () => all.get(names[0]!)!,
  };
}

describe('log pipeline configuration', () => {
  const pipeline = new LogPipeline(driverSet(['json-file', 'none']), { driver: 'json-file', options: { 'max-size': '10m' } }, createFakeLogger());

  it("fills in the daemon's default driver and options, but not for another driver", () => {
    expect(pipeline.resolve(undefined)).toEqual({ Type: 'json-file', Config: { 'max-size': '10m' } });
    expect(pipeline.resolve({ Type: '', Config: { 'max-size': '1m' } })).toEqual({ Type: 'json-file', Config: { 'max-size': '1m' } });
    expect(pipeline.resolve({ Type: 'none', Config: {} })).toEqual({ Type: 'none', Config: {} });
  });

  it('checks the driver, the generic mode options and the driver options (400)', () => {
    expect(() => pipeline.resolve({ Type: 'nope' })).toThrow(/no log driver named 'nope' is registered/);
    expect(() => pipeline.resolve({ Type: 'json-file', Config: { mode: 'fast' } })).toThrow(/logging mode not supported: fast/);
    expect(() => pipeline.resolve({ Type: 'json-file', Config: { 'max-buffer-size': '1m' } })).toThrow(/only supported with 'mode=non-blocking'/);
    expect(() => pipeline.resolve({ Type: 'json-file', Config: { mode: 'non-blocking', 'max-buffer-size': 'lots' } })).toThrow(/invalid size/);
    expect(pipeline.resolve({ Type: 'json-file', Config: { mode: 'non-blocking', 'max-buffer-size': '4m' } }).Config).toMatchObject({ mode: 'non-blocking' });
    expect(() => pipeline.resolve({ Type: 'json-file', Config: { bogus: '1' } })).toThrow(/unknown log opt 'bogus'/);
  });

  it("parses Docker's sizes", () => {
    expect([parseSize('512'), parseSize('1k'), parseSize('2m'), parseSize('1.5g'), parseSize('3MB')]).toEqual([512, 1000, 2e6, 1.5e9, 3e6]);
  });
});
