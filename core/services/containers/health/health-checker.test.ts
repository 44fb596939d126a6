import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '@keel/sdk/testkit';
import { ContainerStore } from '../container-store.js';
import { testRecord } from '../test-records.js';
import { HealthChecker, probeCommand } from './health-checker.js';

describe('healthchecks', () => {
  it('turns HEALTHCHECK forms into commands', () => {
    expect(probeCommand({ Test: ['CMD', 'curl', '-f', 'x'] })).toEqual(['curl', '-f', 'x']);
    expect(probeCommand({ Test: ['CMD-SHELL', 'test -f /ok'] })).toEqual(['/bin/sh', '-c', 'test -f /ok']);
    expect(probeCommand({ Test: ['NONE'] })).toBeUndefined();
    expect(probeCommand(null)).toBeUndefined();
    expect(probeCommand({ Test: ['CMD'] })).toBeUndefined();
  });

  it('goes unhealthy after Retries failures, healthy on a success, and publishes each change once', async () => {
    const store = new ContainerStore(new MemoryStateStore());
    const c = await store.put(testRecord({
      Config: { Image: 'busybox', Healthcheck: { Test: ['CMD', 'check'], Interval: 20e6, Retries: 2 } },
      state: { Running: true, Status: 'running', Health: { Status: 'starting', FailingStreak: 0, Log: [] } }, keel: { generation: 1 },
    }));
    const results = [1, 1, 1, 0, 0];
    const events: string[] = [];
    const probes: string[][] = [];
    const checker = new HealthChecker({
      store, publish: (_c, a) => events.push(a),
      probe: async (_c, cmd) => {
        probes.push(cmd);
        return { exitCode: results.shift() ?? 0, output: 'out' };
      },
    });
    checker.start(c);
    for (let i = 0; i < 100 && results.length; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    checker.stop(c.Id);
    expect(probes[0]).toEqual(['check']);
    expect(events).toEqual(['health_status: unhealthy', 'health_status: healthy']);
    const h = store.get(c.Id).State.Health!;
    expect(h).toMatchObject({ Status: 'healthy', FailingStreak: 0 });
    expect(h.Log.length).toBeLessThanOrEqual(5);
    expect(h.Log.at(-1)).toMatchObject({ ExitCode: 0, Output: 'out' });
  });
});
