import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { coreServices, createServiceRef, definePlugin, drivers, NotSupportedError, type LogDriver } from '../index.js';
import { mockService, startTestEngine } from './index.js';

const clockRef = createServiceRef<{ now(): number }>({ id: 'test.clock' });
const greeterRef = createServiceRef<{ greet(): string }>({ id: 'test.greeter' });

const greeter = definePlugin({
  id: 'core.greeter', sdk: '^1.0.0', provides: greeterRef,
  deps: { clock: clockRef, router: coreServices.httpRouter, events: coreServices.events, log: coreServices.logger, logs: drivers.log },
  init({ clock, router, events, log, logs }) {
    router.route({ method: 'GET', path: '/greet/:who', handler: (req) => ({ hello: req.params.who, at: clock.now(), drivers: logs.names() }) });
    events.publish({ type: 'daemon', action: 'greet', actor: { ID: 'g', Attributes: {} } });
    log.info('greeter ready');
    return { greet: () => `hi at ${clock.now()}` };
  },
});
const noneLog = definePlugin({ id: 'log.none', sdk: '^1.0.0', provides: drivers.log, init: () => ({ capabilities: { read: false } }) as unknown as LogDriver });
const brokenLog = definePlugin({ id: 'log.gelf', sdk: '^1.0.0', provides: drivers.log, init: () => { throw new NotSupportedError('no network'); } });

describe('startTestEngine', () => {
  it('boots plugins with fakes and overrides, and invokes their routes', async () => {
    const engine = await startTestEngine({ plugins: [greeter, brokenLog, noneLog], overrides: [mockService(clockRef, { now: () => 42 })] });
    try {
      expect(engine.get(greeterRef).greet()).toBe('hi at 42');
      const r = await engine.router.invoke({ method: 'GET', path: '/greet/ann' });
      expect(r).toMatchObject({ status: 200, body: { hello: 'ann', at: 42, drivers: ['none'] } });
      expect((await engine.router.invoke({ method: 'GET', path: '/nope' })).status).toBe(404);
      expect(engine.events.published.map((e) => e.Action)).toEqual(['greet']);
      expect(engine.logs.find((l) => l.msg === 'greeter ready')?.fields.plugin).toBe('core.greeter');
      expect(engine.plugins().find((p) => p.id === 'log.gelf')).toMatchObject({ status: 'skipped', reason: 'no network' });
    } finally {
      await engine.stop();
    }
  });

  it('says what is missing when a dependency has no provider, and leaves no temp dir', async () => {
    const before = (await readdir(tmpdir())).filter((n) => n.startsWith('keel-testengine-'));
    await expect(startTestEngine({ plugins: [greeter] })).rejects.toThrow(/core\.greeter depends on test\.clock: add its plugin to the test engine or mockService\(\) it/);
    expect((await readdir(tmpdir())).filter((n) => n.startsWith('keel-testengine-'))).toEqual(before);
  });
});
