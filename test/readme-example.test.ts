/** The plugin example of README.md, run as written (keep the two in step). */
import { describe, expect, it } from 'vitest';
import { coreServices, definePlugin } from '@keel/sdk';
import { startTestEngine } from '@keel/sdk/testkit';

export const helloServicePlugin = definePlugin({
  id: 'core.hello',
  sdk: '^1.0.0',
  description: 'says hello on GET /hello',
  deps: { log: coreServices.logger, router: coreServices.httpRouter, events: coreServices.events },
  init({ log, router, events }, { lifecycle }) {
    router.route({ method: 'GET', path: '/hello', handler: () => ({ hello: 'world' }) });
    lifecycle.onStop(() => log.info('bye'));
    events.publish({ type: 'daemon', action: 'hello', actor: { ID: 'hello', Attributes: {} } });
  },
});

describe('README plugin example', () => {
  it('serves GET /hello and says bye on stop', async () => {
    const engine = await startTestEngine({ plugins: [helloServicePlugin] });
    const res = await engine.router.invoke({ method: 'GET', path: '/hello' });
    expect(res).toMatchObject({ status: 200, body: { hello: 'world' } });
    expect(engine.events.published.map((e) => e.Action)).toEqual(['hello']);
    await engine.stop();
    expect(engine.logs.some((l) => l.msg === 'bye' && l.fields.plugin === 'core.hello')).toBe(true);
  });
});
