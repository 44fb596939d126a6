import { describe, expect, it } from 'vitest';
import { MemoryEventBus } from './event-bus.js';
import { matchesEventFilter } from './event-filter.js';

const container = (id: string, action: string, attrs: Record<string, string> = {}) => ({ type: 'container' as const, action, actor: { ID: id, Attributes: attrs } });

async function collect(it: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('event bus', () => {
  it('stamps strictly increasing times and keeps Docker field names', () => {
    const bus = new MemoryEventBus(10, () => 1_000);
    const a = bus.publish(container('a'.repeat(64), 'start', { name: 'web', image: 'busybox' }));
    const b = bus.publish(container('a'.repeat(64), 'die'));
    expect(a).toMatchObject({ Type: 'container', Action: 'start', scope: 'local', time: 1, status: 'start', from: 'busybox', id: 'a'.repeat(64) });
    expect(b.timeNano).toBeGreaterThan(a.timeNano);
  });

  it('replays history between since and until, then ends', async () => {
    let now = 10_000;
    const bus = new MemoryEventBus(100, () => now);
    bus.publish(container('x', 'create'));
    now = 20_000;
    bus.publish(container('x', 'start'));
    now = 30_000;
    bus.publish(container('x', 'die'));
    const got = await collect(bus.subscribe({ since: 15, until: 25 }));
    expect(got.map((e: any) => e.Action)).toEqual(['start']);
  });

  it('delivers live events to subscribers and stops at close', async () => {
    const bus = new MemoryEventBus();
    const sub = bus.subscribe({ filter: { type: ['daemon'] } });
    expect(bus.listenerCount()).toBe(1);
    const got = collect(sub);
    bus.publish(container('c', 'start'));
    bus.publish({ type: 'daemon', action: 'reload', actor: { ID: 'd', Attributes: {} } });
    await new Promise((r) => setTimeout(r, 5));
    sub.close();
    expect((await got).map((e: any) => e.Action)).toEqual(['reload']);
    expect(bus.listenerCount()).toBe(0);
  });

  it('ends a subscription when its signal aborts', async () => {
    const bus = new MemoryEventBus();
    const ac = new AbortController();
    const got = collect(bus.subscribe({ signal: ac.signal }));
    ac.abort();
    expect(await got).toEqual([]);
  });

  it('bounds history to the most recent events', async () => {
    let now = 1_000;
    const bus = new MemoryEventBus(3, () => now);
    for (let i = 0; i < 10; i++) bus.publish(container(String(i), 'start'));
    now = 5_000; // `until` is now in the past: the subscription only replays
    const got = await collect(bus.subscribe({ since: 0, until: 2 }));
    expect(got.map((e: any) => e.Actor.ID)).toEqual(['7', '8', '9']);
  });
});

describe('event filters (Docker semantics)', () => {
  const bus = new MemoryEventBus();
  const ev = bus.publish(container('abc123'.padEnd(64, '0'), 'health_status: healthy', { name: 'web', image: 'busybox', 'com.x': 'y' }));
  const daemon = bus.publish({ type: 'daemon', action: 'reload', actor: { ID: 'd1', Attributes: { name: 'host' } } });

  it.each([
    [{ type: ['container'] }, true, false],
    [{ event: ['health_status'] }, true, false],
    [{ container: ['web'] }, true, false],
    [{ container: ['abc1'] }, true, false],
    [{ container: ['other'] }, false, false],
    [{ image: ['busybox:latest'] }, true, false],
    [{ label: ['com.x=y'] }, true, false],
    [{ label: ['com.x=z'] }, false, false],
    [{ daemon: ['host'] }, false, true],
    [{ type: ['container', 'daemon'] }, true, true],
  ])('%j', (filter, forContainer, forDaemon) => {
    expect(matchesEventFilter(ev, filter)).toBe(forContainer);
    expect(matchesEventFilter(daemon, filter)).toBe(forDaemon);
  });
});
