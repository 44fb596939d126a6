import { describe, expect, it } from 'vitest';
import { ConflictError } from '@keel/sdk';
import { createLineLogger } from './logger.js';

function capture(level = 'info') {
  const lines: string[] = [];
  const d = createLineLogger(level, (l) => void lines.push(l));
  return { ...d, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('daemon logger', () => {
  it('writes one JSON line per record in pino\'s shape, filtered by level, changeable on reload', () => {
    const c = capture('info');
    c.logger.debug('hidden');
    c.logger.info({ hosts: ['unix:///x'] }, 'started');
    c.logger.warn('plain');
    c.setLevel('debug');
    c.logger.debug('shown');
    expect(c.lines.every((l) => l.endsWith('}\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    const [a, b, d] = c.parsed();
    expect(a).toMatchObject({ level: 30, hosts: ['unix:///x'], msg: 'started' });
    expect(typeof a!.time).toBe('number');
    expect(b).toMatchObject({ level: 40, msg: 'plain' });
    expect(d).toMatchObject({ level: 20, msg: 'shown' });
    expect(c.lines).toHaveLength(3);
    expect(() => c.setLevel('loud')).toThrow(/unknown log level "loud"/);
  });

  it('binds child fields, serialises errors, redacts credentials at any depth, survives cycles and bigints', () => {
    const c = capture('trace');
    const child = c.logger.child({ plugin: 'core.images' }).child({ component: 'pull' });
    const err = new ConflictError('in use');
    child.error({ err, registry: { auth: 'dXNlcjpwdw==', host: 'r' }, headers: { 'x-registry-auth': 'e30=' }, password: 'pw' }, 'failed');
    const loop: Record<string, unknown> = { n: 10n };
    loop.self = loop;
    child.info(loop, 'cyclic');
    c.logger.fatal(new TypeError('boom'));
    const [e, l, f] = c.parsed();
    expect(e).toMatchObject({ level: 50, plugin: 'core.images', component: 'pull', msg: 'failed', password: '[redacted]', registry: { auth: '[redacted]', host: 'r' }, headers: { 'x-registry-auth': '[redacted]' } });
    expect(e!.err).toMatchObject({ type: 'ConflictError', message: 'in use', kind: 'Conflict' });
    expect(String((e!.err as { stack: string }).stack)).toContain('in use');
    expect(l).toMatchObject({ n: '10', self: '[Circular]', msg: 'cyclic' });
    expect(f).toMatchObject({ level: 60, err: { type: 'TypeError', message: 'boom' }, msg: 'boom' });
    expect(c.lines.join('')).not.toMatch(/dXNlcjpwdw|e30=|"pw"/);
  });
});
