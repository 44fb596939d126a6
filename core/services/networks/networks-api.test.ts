/**
 * The network API over the real drivers (root: bridges and iptables on the host, in per-run
 * chains): create, list filters, inspect, remove, prune, the predefined networks, events,
 * connect through the container port; the host is checked for leftovers at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestEngine } from '@keel/sdk/testkit';
import { hostSnapshot, startNetworkEngine, type FakeContainers } from './test-support.js';

const root = process.getuid?.() === 0;

describe.skipIf(!root)('network API', () => {
  let engine: TestEngine;
  let containers: FakeContainers;
  let before: ReturnType<typeof hostSnapshot>;
  const call = (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) => engine.router.invoke({ method, path, body });

  beforeAll(async () => {
    before = hostSnapshot();
    ({ engine, containers } = await startNetworkEngine());
  });
  afterAll(async () => {
    for (const n of (await call('GET', '/networks')).body as Array<{ Name: string; Id: string }>) {
      if (!['host', 'none'].includes(n.Name)) await call('DELETE', `/networks/${n.Id}`);
    }
    await engine?.stop();
    expect(hostSnapshot()).toEqual(before);
  });

  it('has the predefined host and none networks (no default bridge with --bridge=none), which cannot be removed', async () => {
    const list = (await call('GET', '/networks')).body as Array<{ Name: string; Driver: string }>;
    expect(list.map((n) => [n.Name, n.Driver])).toEqual([['host', 'host'], ['none', 'null']]);
    const rm = await call('DELETE', '/networks/host');
    expect(rm.status).toBe(403);
    expect((rm.body as { message: string }).message).toBe('host is a pre-defined network and cannot be removed');
    expect((await call('POST', '/networks/create', { Name: 'h2', Driver: 'host' })).status).toBe(403);
  });

  it('creates a bridge network with a subnet, range, gateway and labels, and inspects it in Docker\'s shape', async () => {
    const res = await call('POST', '/networks/create', {
      Name: 'ktnet1', Driver: 'bridge', Labels: { team: 'a' }, Internal: false, Attachable: true,
      IPAM: { Driver: 'default', Config: [{ Subnet: '10.214.1.0/24', IPRange: '10.214.1.128/25', Gateway: '10.214.1.254' }] },
    });
    expect(res.status).toBe(201);
    const { Id } = res.body as { Id: string };
    expect(Id).toMatch(/^[0-9a-f]{64}$/);
    const inspect = (await call('GET', '/networks/ktnet1')).body as Record<string, any>;
    expect(inspect).toMatchObject({
      Name: 'ktnet1', Id, Scope: 'local', Driver: 'bridge', EnableIPv6: false, Internal: false, Attachable: true, Labels: { team: 'a' }, Containers: {},
      IPAM: { Driver: 'default', Config: [{ Subnet: '10.214.1.0/24', IPRange: '10.214.1.128/25', Gateway: '10.214.1.254' }] },
    });
    expect(inspect.Options['com.docker.network.bridge.name']).toBe(`ktb-${Id.slice(0, 11)}`);
    expect(engine.events.published.map((e) => `${e.Type} ${e.Action} ${e.Actor.Attributes.name}`)).toContain('network create ktnet1');
    expect((await call('GET', `/networks/${Id.slice(0, 8)}`)).status).toBe(200);
  });

  it('creates a dual-stack network with --ipv6 (v6 pool given or picked) and refuses a v6 subnet without it', async () => {
    const res = await call('POST', '/networks/create', { Name: 'ktv6', EnableIPv6: true, IPAM: { Config: [{ Subnet: '10.214.6.0/24' }, { Subnet: 'fd00:6b74::/64' }] } });
    expect(res.status).toBe(201);
    const n = (await call('GET', '/networks/ktv6')).body as { EnableIPv6: boolean; IPAM: { Config: unknown[] } };
    expect(n.EnableIPv6).toBe(true);
    expect(n.IPAM.Config).toEqual([{ Subnet: '10.214.6.0/24', Gateway: '10.214.6.1' }, { Subnet: 'fd00:6b74::/64', Gateway: 'fd00:6b74::1' }]);
    expect((await call('POST', '/networks/create', { Name: 'ktv6b', IPAM: { Config: [{ Subnet: 'fd00:6b75::/64' }] } })).status).toBe(400);
    expect((await call('DELETE', '/networks/ktv6')).status).toBe(204);
  });

  it('refuses a taken name (409), a bad name (400), an unknown driver (404), an overlapping subnet (409)', async () => {
    expect((await call('POST', '/networks/create', { Name: 'ktnet1' })).status).toBe(409);
    expect((await call('POST', '/networks/create', { Name: '-bad' })).status).toBe(400);
    expect((await call('POST', '/networks/create', { Name: 'x1', Driver: 'nope' })).status).toBe(404);
    const overlap = await call('POST', '/networks/create', { Name: 'x2', IPAM: { Config: [{ Subnet: '10.214.1.0/25' }] } });
    expect(overlap.status).toBe(409);
    expect((await call('GET', '/networks/x2')).status).toBe(404);
  });

  it('filters the list by driver, name, label, type and dangling', async () => {
    await call('POST', '/networks/create', { Name: 'ktnet2', IPAM: { Config: [{ Subnet: '10.214.2.0/24' }] }, Internal: true });
    const names = async (f: object) => ((await call('GET', `/networks?filters=${encodeURIComponent(JSON.stringify(f))}`)).body as Array<{ Name: string }>).map((n) => n.Name);
    expect(await names({ driver: ['bridge'] })).toEqual(['ktnet1', 'ktnet2']);
    expect(await names({ name: ['net2'] })).toEqual(['ktnet2']);
    expect(await names({ label: ['team=a'] })).toEqual(['ktnet1']);
    expect(await names({ type: ['builtin'] })).toEqual(['host', 'none']);
    expect(await names({ dangling: ['true'] })).toEqual(['ktnet1', 'ktnet2']);
    expect((await call('GET', '/networks?filters={"bogus":["x"]}')).status).toBe(400);
  });

  it('connect and disconnect go through the container port; unknown containers are 404', async () => {
    containers.all.set('c'.repeat(64), { id: 'c'.repeat(64), name: 'stopped1', running: false });
    expect((await call('POST', '/networks/ktnet1/connect', { Container: 'stopped1' })).status).toBe(200);
    expect((await call('POST', '/networks/ktnet1/disconnect', { Container: 'stopped1', Force: true })).status).toBe(200);
    expect(containers.calls).toHaveLength(2);
    expect((await call('POST', '/networks/ktnet1/connect', { Container: 'ghost' })).status).toBe(404);
  });

  it('prunes unused user-defined networks and removes one by id', async () => {
    const keep = await call('POST', '/networks/create', { Name: 'ktkeep', Labels: { keep: '1' }, IPAM: { Config: [{ Subnet: '10.214.3.0/24' }] } });
    const pruned = await call('POST', `/networks/prune?filters=${encodeURIComponent('{"label!":["keep"]}')}`);
    expect((pruned.body as { NetworksDeleted: string[] }).NetworksDeleted.sort()).toEqual(['ktnet1', 'ktnet2']);
    expect(engine.events.published.filter((e) => e.Action === 'destroy').map((e) => e.Actor.Attributes.name)).toEqual(['ktv6', 'ktnet1', 'ktnet2']);
    expect((await call('DELETE', `/networks/${(keep.body as { Id: string }).Id}`)).status).toBe(204);
    expect((await call('DELETE', '/networks/ktkeep')).status).toBe(404);
  });
});
