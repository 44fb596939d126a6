import { describe, expect, it } from 'vitest';
import { testRecord } from '../test-records.js';
import { imageVeto } from '../image-veto.js';
import { mergeImageConfig } from './create.js';
import { BackOff, restartOnDaemonStart, shouldRestart } from './restart-policy.js';
import { configuredRuntimes } from './runtimes.js';
import { parseSignal } from './signals.js';
import { Waiters } from './waiters.js';

describe('container lifecycle rules', () => {
  it('merges the image config as moby does', () => {
    const image = { User: 'nobody', Env: ['PATH=/bin', 'A=image'], Cmd: ['sh'], Entrypoint: ['/init'], WorkingDir: '/app', Labels: { a: '1', b: '1' }, ExposedPorts: { '80/tcp': {} }, StopSignal: 'SIGQUIT', Healthcheck: { Test: ['CMD', 'true'], Interval: 5 } };
    const m = mergeImageConfig({ Env: ['A=mine'], Labels: { b: '2' }, Healthcheck: { Interval: 9 } }, image);
    expect(m).toMatchObject({ User: 'nobody', Env: ['A=mine', 'PATH=/bin'], Cmd: ['sh'], Entrypoint: ['/init'], WorkingDir: '/app', Labels: { a: '1', b: '2' }, ExposedPorts: { '80/tcp': {} }, StopSignal: 'SIGQUIT' });
    expect(m.Healthcheck).toMatchObject({ Test: ['CMD', 'true'], Interval: 9 });
    // A command of one's own replaces the image's Cmd, keeps its Entrypoint; an entrypoint of one's own drops the image Cmd.
    expect(mergeImageConfig({ Cmd: ['echo'] }, image)).toMatchObject({ Cmd: ['echo'], Entrypoint: ['/init'] });
    expect(mergeImageConfig({ Entrypoint: ['/bin/echo'] }, image)).toMatchObject({ Entrypoint: ['/bin/echo'] });
    expect(mergeImageConfig({ Entrypoint: ['/bin/echo'] }, image).Cmd).toBeUndefined();
  });

  it('applies restart policies and the back-off', () => {
    const on = (Name: 'no' | 'always' | 'unless-stopped' | 'on-failure', MaximumRetryCount = 0, over = {}) => testRecord({ HostConfig: { RestartPolicy: { Name, MaximumRetryCount } }, ...over });
    expect(shouldRestart(on('no'), 1)).toBe(false);
    expect(shouldRestart(on('always'), 0)).toBe(true);
    expect(shouldRestart(on('always', 0, { keel: { manuallyStopped: true } }), 0)).toBe(false);
    expect(shouldRestart(on('on-failure'), 0)).toBe(false);
    expect(shouldRestart(on('on-failure', 2), 1)).toBe(true);
    expect(shouldRestart(on('on-failure', 2, { RestartCount: 2 }), 1)).toBe(false);
    expect(restartOnDaemonStart(on('unless-stopped', 0, { keel: { hasBeenStarted: true, manuallyStopped: true } }))).toBe(false);
    expect(restartOnDaemonStart(on('always', 0, { keel: { hasBeenStarted: true, manuallyStopped: true } }))).toBe(true);
    const b = new BackOff();
    expect([b.next('x', 0), b.next('x', 0), b.next('x', 0), b.next('x', 20_000)]).toEqual([100, 200, 400, 100]);
    for (let i = 0; i < 20; i++) b.next('y', 0);
    expect(b.next('y', 0)).toBe(60_000);
  });

  it('parses signals by name, short name and number', () => {
    expect(parseSignal('SIGTERM')).toEqual({ name: 'SIGTERM', number: 15 });
    expect(parseSignal('hup')).toEqual({ name: 'SIGHUP', number: 1 });
    expect(parseSignal('9')).toEqual({ name: 'SIGKILL', number: 9 });
    expect(() => parseSignal('NOPE')).toThrow(/Invalid signal: NOPE/);
    expect(() => parseSignal('0')).toThrow(/Invalid signal/);
  });

  it('resolves waiters: next-exit on exit, everything on removal, abort drops a waiter', async () => {
    const w = new Waiters();
    const exit = w.wait('a', 'next-exit');
    const removed = w.wait('a', 'removed');
    w.notify('a', 'exit', { StatusCode: 3, Error: null });
    expect(await exit).toEqual({ StatusCode: 3, Error: null });
    expect(w.has('a')).toBe(true);
    w.notify('a', 'removed', { StatusCode: 3, Error: null });
    expect(await removed).toMatchObject({ StatusCode: 3 });
    const ac = new AbortController();
    const gone = w.wait('b', 'next-exit', ac.signal);
    ac.abort();
    await expect(gone).rejects.toBeDefined();
    expect(w.has('b')).toBe(false);
  });

  it('vetoes image removal with moby conflict rules', () => {
    const image = 'sha256:' + 'cd'.repeat(32);
    const stopped = testRecord({ Image: image });
    const running = testRecord({ Image: image, state: { Running: true } });
    expect(imageVeto([stopped], { imageId: image, reference: 'busybox:latest', force: false })).toMatch(/unable to remove repository reference "busybox:latest" \(must force\) - container [0-9a-f]{12} is using its referenced image cdcdcdcdcdcd/);
    expect(imageVeto([stopped], { imageId: image, reference: 'busybox:latest', force: true })).toBeUndefined();
    expect(imageVeto([stopped], { imageId: image, force: false })).toMatch(/\(must be forced\) - image is being used by stopped container/);
    expect(imageVeto([stopped], { imageId: image, force: true })).toBeUndefined();
    expect(imageVeto([running], { imageId: image, force: true })).toMatch(/\(cannot be forced\) - image is being used by running container/);
    expect(imageVeto([], { imageId: image, force: false })).toBeUndefined();
  });

  it('reads daemon.json runtimes and rejects malformed entries', () => {
    const rts = configuredRuntimes({ myrunc: { path: '/usr/sbin/runc', runtimeArgs: ['--debug'] } }, '/run/x');
    expect(rts.get('myrunc')).toMatchObject({ path: '/usr/sbin/runc', globalArgs: ['--debug', '--root', '/run/x/myrunc'] });
    expect(() => configuredRuntimes({ bad: {} }, '/run/x')).toThrow(/needs a "path"/);
    expect(() => configuredRuntimes({ bad: { path: '/x', runtimeArgs: 'no' } }, '/run/x')).toThrow(/list of strings/);
    expect(configuredRuntimes(undefined, '/run/x').size).toBe(0);
  });
});

describe('create body checks', () => {
  it('accepts Docker bodies, turns string Cmd/Entrypoint into lists, refuses wrong types with 400', async () => {
    const { checkCreateBody } = await import('./create-body.js');
    const body: Record<string, unknown> = { Image: 'busybox', Cmd: 'echo hi', Entrypoint: null, HostConfig: { Memory: 0, RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, ConsoleSize: [40, 120] }, Unknown: { kept: true } };
    checkCreateBody(body);
    expect(body.Cmd).toEqual(['echo hi']);
    expect(() => checkCreateBody({ Image: 5 })).toThrow(/invalid create request: Image must be string/);
    expect(() => checkCreateBody({ Image: 'b', Env: [1] })).toThrow(/Env.0 must be string/);
    expect(() => checkCreateBody({ Image: 'b', HostConfig: { Memory: '1g' } })).toThrow(/HostConfig.Memory must be integer/);
    expect(() => checkCreateBody({ Image: 'b', Labels: 'x' })).toThrow(/Labels/);
    expect(() => checkCreateBody(null)).toThrow(/config cannot be empty/);
    expect(() => checkCreateBody([])).toThrow(/config cannot be empty/);
  });
});
