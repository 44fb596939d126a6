import { describe, expect, it } from 'vitest';
import { ConflictError, createHookSetRef, parallelHook, seriesBailHook, seriesHook, waterfallHook } from '@keel/sdk';
import { HookRegistry, TapError } from './hooks.js';

const ref = createHookSetRef('test.lifecycle', {
  beforeCreate: seriesBailHook<[{ name: string }], string>(),
  spec: waterfallHook<{ env: string[] }>(),
  afterStart: seriesHook<[string]>(),
  notify: parallelHook<[string]>(),
});

describe('hook registry', () => {
  it('lets taps veto (bail), transform (waterfall) and observe in stage order', async () => {
    const reg = new HookRegistry();
    const owner = reg.forPlugin('core.containers').declare(ref);
    const seen: string[] = [];
    reg.forPlugin('authz.policy').tap(ref, 'beforeCreate', ({ name }) => (name === 'evil' ? 'name not allowed' : undefined));
    reg.forPlugin('core.b').tap(ref, 'spec', (s) => ({ env: [...s.env, 'B=1'] }), { stage: 10 });
    reg.forPlugin('core.a').tap(ref, 'spec', (s) => ({ env: [...s.env, 'A=1'] }));
    reg.forPlugin('core.a').tap(ref, 'afterStart', (id) => void seen.push(`a:${id}`));
    expect(await owner.call('beforeCreate', { name: 'ok' })).toBeUndefined();
    expect(await owner.call('beforeCreate', { name: 'evil' })).toBe('name not allowed');
    expect(await owner.call('spec', { env: [] })).toEqual({ env: ['A=1', 'B=1'] });
    await owner.call('afterStart', 'c1');
    expect(seen).toEqual(['a:c1']);
    expect(owner.isUsed('notify')).toBe(false);
  });

  it('tags tap errors with the plugin id and keeps deliberate EngineErrors', async () => {
    const reg = new HookRegistry();
    const owner = reg.forPlugin('core.owner').declare(ref);
    reg.forPlugin('core.buggy').tap(ref, 'afterStart', () => { throw new Error('oops'); });
    const err = await owner.call('afterStart', 'x').catch((e) => e);
    expect(err).toBeInstanceOf(TapError);
    expect(err.pluginId).toBe('core.buggy');
    expect(err.message).toBe('hook test.lifecycle.afterStart failed in plugin core.buggy: oops');
    const reg2 = new HookRegistry();
    const owner2 = reg2.forPlugin('core.owner').declare(ref);
    reg2.forPlugin('core.policy').tap(ref, 'afterStart', () => { throw new ConflictError('not now'); });
    await expect(owner2.call('afterStart', 'x')).rejects.toBeInstanceOf(ConflictError);
  });

  it('times out a hanging tap', async () => {
    const reg = new HookRegistry(30);
    const owner = reg.forPlugin('core.owner').declare(ref);
    reg.forPlugin('core.slow').tap(ref, 'notify', () => new Promise<void>(() => undefined));
    await expect(owner.call('notify', 'x')).rejects.toThrow(/core\.slow: timed out after 30 ms/);
  });

  it('allows one owner and freezes after start', () => {
    const reg = new HookRegistry();
    reg.forPlugin('core.a').declare(ref);
    expect(() => reg.forPlugin('core.b').declare(ref)).toThrow(/already declared by core\.a/);
    reg.freeze();
    expect(() => reg.forPlugin('core.c').tap(ref, 'notify', () => undefined)).toThrow(/hooks are frozen/);
  });
});
