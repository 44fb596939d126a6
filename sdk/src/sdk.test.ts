import { describe, expect, it } from 'vitest';
import {
  ConflictError, EngineError, HTTP_STATUS_BY_KIND, InvalidArgumentError, NotFoundError, NotSupportedError,
  coreServices, createServiceRef, definePlugin, drivers, orderPlugins, queryBool, queryFilters, queryInt, queryTimestamp,
  satisfiesRange, toEngineError,
} from './index.js';

describe('errors', () => {
  it('maps every kind to one HTTP status', () => {
    expect(HTTP_STATUS_BY_KIND).toEqual({ NotFound: 404, AlreadyExists: 409, Conflict: 409, InvalidArgument: 400, NotSupported: 501, Unavailable: 503, PermissionDenied: 403, Cancelled: 499, Internal: 500 });
    expect(new NotFoundError('No such container: x').httpStatus).toBe(404);
    expect(new ConflictError('busy').code).toBe('ERR_CONFLICT');
    expect(new NotSupportedError('no').code).toBe('ERR_NOT_SUPPORTED');
  });

  it('recognises EngineErrors by shape and wraps anything else', () => {
    expect(EngineError.is({ kind: 'NotFound', code: 'X', message: 'm' })).toBe(true);
    expect(EngineError.is({ kind: 'Weird', code: 'X', message: 'm' })).toBe(false);
    const wrapped = toEngineError(new Error('disk'));
    expect([wrapped.kind, wrapped.message]).toEqual(['Internal', 'disk']);
    const abort = new Error('aborted');
    abort.name = 'AbortError';
    expect(toEngineError(abort).kind).toBe('Cancelled');
  });
});

describe('plugin definitions and refs', () => {
  it('validates ids', () => {
    expect(() => definePlugin({ id: 'Storage.X', sdk: '^1.0.0', init: () => undefined })).toThrow(/invalid plugin id/);
    expect(() => definePlugin({ id: 'noprefix', sdk: '^1.0.0', init: () => undefined })).toThrow(/invalid plugin id/);
    expect(() => createServiceRef({ id: 'bad id' })).toThrow(/invalid service ref id/);
    expect(definePlugin({ id: 'log.none', sdk: '^1.0.0', provides: drivers.log, init: () => undefined as never }).deps).toEqual({});
  });

  it('orders plugins by what they depend on and keeps ties in order', () => {
    const ref = createServiceRef<number>({ id: 'x.y' });
    const a = definePlugin({ id: 'core.a', sdk: '*', deps: { y: ref }, init: () => undefined });
    const b = definePlugin({ id: 'core.b', sdk: '*', init: () => undefined });
    const c = definePlugin({ id: 'core.c', sdk: '*', provides: ref, deps: { log: coreServices.logger }, init: () => 1 });
    expect(orderPlugins([a, b, c]).map((p) => p.id)).toEqual(['core.c', 'core.a', 'core.b']);
  });
});

describe('semver ranges', () => {
  it.each([
    ['1.0.0', '^1.0.0', true], ['1.4.2', '^1.2.0', true], ['2.0.0', '^1.0.0', false], ['1.1.0', '^1.2.0', false],
    ['0.2.5', '^0.2.0', true], ['0.3.0', '^0.2.0', false], ['1.2.9', '~1.2.3', true], ['1.3.0', '~1.2.3', false],
    ['3.0.0', '>=2.0.0', true], ['1.0.0', '*', true], ['1.0.0', '1.0.0', true], ['1.0.0', '^2.0.0 || ^1.0.0', true], ['1.0.0', 'garbage', false],
  ])('%s satisfies %s: %s', (v, r, ok) => expect(satisfiesRange(v, r)).toBe(ok));
});

describe('query helpers (moby rules)', () => {
  const q = (query: Record<string, string | string[]>) => ({ query });
  it('parses booleans like moby', () => {
    for (const v of ['', '0', 'no', 'false', 'none', 'FALSE']) expect(queryBool(q({ all: v }), 'all')).toBe(false);
    for (const v of ['1', 'true', 'yes', 'x']) expect(queryBool(q({ all: v }), 'all')).toBe(true);
    expect(queryBool(q({}), 'all', true)).toBe(true);
  });
  it('parses integers and timestamps or names the bad parameter', () => {
    expect(queryInt(q({ n: '5' }), 'n')).toBe(5);
    expect(() => queryInt(q({ n: 'five' }), 'n')).toThrow(InvalidArgumentError);
    expect(queryTimestamp(q({ since: '1795361357.000000001' }), 'since')).toBeCloseTo(1795361357, 3);
    expect(() => queryTimestamp(q({ since: '10m' }), 'since')).toThrow(/since/);
  });
  it('parses filters in both forms', () => {
    expect(queryFilters(q({ filters: '{"status":{"exited":true,"running":false}}' }))).toEqual({ status: ['exited'] });
    expect(queryFilters(q({ filters: '{"status":["exited"]}' }))).toEqual({ status: ['exited'] });
    expect(queryFilters(q({ filters: '' }))).toEqual({});
    expect(() => queryFilters(q({ filters: '{"status":"x"}' }))).toThrow(InvalidArgumentError);
  });
});
