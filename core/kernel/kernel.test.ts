import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { coreServices, createServiceRef, definePlugin, drivers, NotSupportedError, type AnyPlugin, type StorageDriver } from '@keel/sdk';
import { createFakeLogger, FakeConfig } from '@keel/sdk/testkit';
import { defineBuild } from './build.js';
import { Kernel } from './kernel.js';
import { BootError } from './plugin-graph.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'keel-kernel-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function kernel(plugins: AnyPlugin[], opts: { config?: Record<string, unknown>; required?: string[]; initTimeoutMs?: number; stopTimeoutMs?: number } = {}) {
  const config = new FakeConfig({ 'data-root': path.join(root, 'data'), 'exec-root': path.join(root, 'exec'), ...opts.config });
  const logger = createFakeLogger();
  const k = new Kernel({
    build: defineBuild({ name: 'test', plugins, defaults: { storage: 'overlay2' }, required: opts.required ?? [] }),
    config, logger, version: '0.0.0', gitCommit: 'x', buildTime: 'y', apiVersion: '1.47', minApiVersion: '1.40',
    initTimeoutMs: opts.initTimeoutMs, stopTimeoutMs: opts.stopTimeoutMs,
  });
  return { k, logger };
}

const aRef = createServiceRef<{ name: string }>({ id: 'test.a' });
const bRef = createServiceRef<{ a: string }>({ id: 'test.b' });

function recorder() {
  const log: string[] = [];
  const plugin = (id: string, extra: Partial<Parameters<typeof definePlugin>[0]> = {}) =>
    definePlugin({
      id, sdk: '^1.0.0', ...extra,
      init: async (deps: any, ctx: any) => {
        log.push(`init ${id}`);
        ctx.lifecycle.onStart(() => void log.push(`start ${id}`));
        ctx.lifecycle.onStop(() => void log.push(`stop ${id}`));
        return (extra as any).value?.(deps) ?? { name: id };
      },
    } as any) as AnyPlugin;
  return { log, plugin };
}

describe('kernel: resolve', () => {
  it('inits providers before their dependants, whatever the build order', async () => {
    const { log, plugin } = recorder();
    const b = plugin('core.b', { provides: bRef, deps: { a: aRef }, value: (d: any) => ({ a: d.a.name }) } as any);
    const a = plugin('core.a', { provides: aRef });
    const c = plugin('core.c', { deps: { b: bRef } });
    const { k } = kernel([c, b, a]);
    await k.init();
    await k.start();
    expect(log).toEqual(['init core.a', 'init core.b', 'init core.c', 'start core.a', 'start core.b', 'start core.c']);
    await k.stop();
    expect(log.slice(6)).toEqual(['stop core.c', 'stop core.b', 'stop core.a']);
    expect(k.info.plugins().map((p) => p.status)).toEqual(['stopped', 'stopped', 'stopped']);
  });

  it('reports a dependency cycle with the cycle spelled out', async () => {
    const { plugin } = recorder();
    const a = plugin('core.a', { provides: aRef, deps: { b: bRef } });
    const b = plugin('core.b', { provides: bRef, deps: { a: aRef } });
    const { k } = kernel([a, b]);
    await expect(k.init()).rejects.toThrow(/plugin dependency cycle: core\.a → core\.b → core\.a/);
  });

  it('collects every resolve problem, each attributed to its plugin', async () => {
    const { plugin } = recorder();
    const plugins = [
      plugin('core.dup'), plugin('core.dup'),
      plugin('network.fake', { provides: drivers.storage }),
      plugin('storage.noprov'),
      plugin('core.future', { sdk: '^2.0.0' }),
    ];
    const { k } = kernel(plugins, { config: { plugins: { 'core.ghost': {} } } });
    const err = await k.init().catch((e) => e);
    expect(err).toBeInstanceOf(BootError);
    const ids = (err as BootError).problems.map((p) => p.pluginId).sort();
    expect(ids).toEqual(['core.dup', 'core.future', 'core.ghost', 'network.fake', 'storage.noprov']);
    expect(err.message).toMatch(/needs @keel\/sdk \^2\.0\.0/);
    expect(err.message).toMatch(/must start with "storage\."/);
  });

  it('validates plugin config against its schema, applies defaults, honours enabled=false', async () => {
    let seen: unknown;
    const p = definePlugin({
      id: 'core.cfg', sdk: '^1.0.0',
      config: { schema: { type: 'object', properties: { size: { type: 'integer' } }, additionalProperties: false }, defaults: { size: 3 } },
      init: (_d, ctx) => void (seen = ctx.config),
    });
    await kernel([p]).k.init();
    expect(seen).toEqual({ size: 3 });
    await expect(kernel([p], { config: { plugins: { 'core.cfg': { size: 'big' } } } }).k.init()).rejects.toThrow(/core\.cfg: invalid config .*\/size must be integer/);
    await expect(kernel([p], { config: { plugins: { 'core.cfg': { colour: 1 } } } }).k.init()).rejects.toThrow(/additional properties "colour"/);
    const { k } = kernel([p], { config: { plugins: { 'core.cfg': { enabled: false } } } });
    seen = undefined;
    await k.init();
    expect(seen).toBeUndefined();
    expect(k.info.plugins()[0]).toMatchObject({ status: 'disabled', reason: 'disabled in daemon.json' });
  });
});

describe('kernel: init', () => {
  it('marks NotSupported as skipped, other errors as failed, and dependants as skipped', async () => {
    const { plugin } = recorder();
    const a = definePlugin({ id: 'core.a', sdk: '^1.0.0', provides: aRef, init: () => { throw new NotSupportedError('no overlayfs here'); } });
    const b = definePlugin({ id: 'core.b', sdk: '^1.0.0', provides: bRef, init: () => { throw new Error('boom'); } });
    const c = plugin('core.c', { deps: { a: aRef } });
    const d = plugin('core.d', { deps: { b: bRef } });
    const { k, logger } = kernel([a, b, c, d]);
    await k.init();
    const st = Object.fromEntries(k.info.plugins().map((p) => [p.id, [p.status, p.reason]]));
    expect(st['core.a']).toEqual(['skipped', 'no overlayfs here']);
    expect(st['core.b']).toEqual(['failed', 'boom']);
    expect(st['core.c']).toEqual(['skipped', 'dependency core.a is skipped']);
    expect(st['core.d']).toEqual(['skipped', 'dependency core.b is failed']);
    expect(logger.records.some((r) => r.level === 'error' && r.fields.pluginId === 'core.b')).toBe(true);
  });

  it('aborts boot when a required plugin fails, naming it, after stopping what started', async () => {
    const { log, plugin } = recorder();
    const ok = plugin('core.ok');
    const bad = definePlugin({ id: 'core.bad', sdk: '^1.0.0', init: () => { throw new Error('disk on fire'); } });
    const { k } = kernel([ok, bad], { required: ['core.bad'] });
    const err = await k.init().catch((e) => e);
    expect(err).toBeInstanceOf(BootError);
    expect(err.message).toContain('core.bad: required plugin is failed: disk on fire');
    expect(log).toContain('stop core.ok');
  });

  it('fails a plugin whose init exceeds its timeout and aborts its signal', async () => {
    let aborted = false;
    const slow = definePlugin({
      id: 'core.slow', sdk: '^1.0.0', initTimeoutMs: 50,
      init: (_d, ctx) => new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => { aborted = true; resolve(); })),
    });
    const { k } = kernel([slow]);
    await k.init();
    expect(k.info.plugins()[0]).toMatchObject({ status: 'failed', reason: 'init of core.slow timed out after 50 ms' });
    expect(aborted).toBe(true);
  });

  it('fails a plugin that depends on a service nobody provides', async () => {
    const { plugin } = recorder();
    const { k } = kernel([plugin('core.c', { deps: { b: bRef } })]);
    await k.init();
    expect(k.info.plugins()[0]).toMatchObject({ status: 'failed', reason: 'depends on service test.b, which no plugin in this build provides' });
  });

  it('gives each plugin its own scope: bound logger, namespaced state, own directories', async () => {
    const seen: Record<string, any> = {};
    const mk = (id: string) => definePlugin({
      id, sdk: '^1.0.0', deps: { log: coreServices.logger, state: coreServices.state, paths: coreServices.paths },
      async init({ log, state, paths }) {
        log.info('hello');
        await state.put('k', id);
        seen[id] = { paths, value: await state.get('k') };
      },
    });
    const { k, logger } = kernel([mk('core.one'), mk('core.two')]);
    await k.init();
    expect(seen['core.one'].value).toBe('core.one');
    expect(seen['core.two'].value).toBe('core.two');
    expect(seen['core.one'].paths.pluginRoot).toBe(path.join(root, 'data/plugins/core.one'));
    expect(logger.records.filter((r) => r.msg === 'hello').map((r) => r.fields.plugin)).toEqual(['core.one', 'core.two']);
  });
});

describe('kernel: drivers', () => {
  const storage = (name: string, fail = false) => definePlugin({
    id: `storage.${name}`, sdk: '^1.0.0', provides: drivers.storage,
    init: () => { if (fail) throw new NotSupportedError('overlayfs is not available'); return { capabilities: { copyOnWrite: name !== 'vfs' } } as unknown as StorageDriver; },
  });
  const consumer = (out: { names?: string[]; def?: string }) => definePlugin({
    id: 'core.images', sdk: '^1.0.0', deps: { storage: drivers.storage },
    init: ({ storage: set }) => { out.names = set.names(); out.def = set.defaultName(); },
  });

  it('falls back to the next storage driver when the default is skipped', async () => {
    const out: { names?: string[]; def?: string } = {};
    const { k } = kernel([consumer(out), storage('overlay2', true), storage('vfs')]);
    await k.init();
    expect(out).toEqual({ names: ['vfs'], def: 'vfs' });
    expect(k.info.plugins().find((p) => p.id === 'storage.vfs')).toMatchObject({ kind: 'storage', name: 'vfs', capabilities: { copyOnWrite: false } });
  });

  it('refuses to boot when the demanded driver cannot run', async () => {
    const { k } = kernel([storage('overlay2', true), storage('vfs')], { config: { 'storage-driver': 'overlay2' } });
    await expect(k.init()).rejects.toThrow(/storage\.overlay2: required plugin is skipped: overlayfs is not available/);
    const { k: k2 } = kernel([storage('vfs')], { config: { 'storage-driver': 'btrfs' } });
    await expect(k2.init()).rejects.toThrow(/storage-driver is "btrfs", but this build has no such storage driver \(available: vfs\)/);
  });
});

describe('kernel: stop', () => {
  it('runs every stop callback in reverse order even when one fails or hangs', async () => {
    const log: string[] = [];
    const mk = (id: string, behaviour: 'ok' | 'throw' | 'hang') => definePlugin({
      id, sdk: '^1.0.0',
      init: (_d, { lifecycle }) => lifecycle.onStop(() => {
        log.push(id);
        if (behaviour === 'throw') throw new Error('nope');
        if (behaviour === 'hang') return new Promise<void>(() => undefined);
      }),
    });
    const { k, logger } = kernel([mk('core.a', 'ok'), mk('core.b', 'hang'), mk('core.c', 'throw')], { stopTimeoutMs: 50 });
    await k.init();
    await k.start();
    await k.stop();
    expect(log).toEqual(['core.c', 'core.b', 'core.a']);
    expect(logger.records.filter((r) => r.level === 'error').map((r) => r.fields.pluginId)).toEqual(['core.c', 'core.b']);
  });
});
