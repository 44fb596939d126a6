import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InternalError, type DriverSet, type VolumeDriver } from '@keel/sdk';
import { createFakeLogger, FakeEventBus, MemoryStateStore } from '@keel/sdk/testkit';
import { LocalVolumeDriver } from '../../../plugins/volume/local/local-driver.js';
import { VolumeStore } from './volume-store.js';
import { VolumesService } from './volumes-service.js';

/** A driver set over named drivers, as the kernel would inject it. */
function driverSet(byName: Record<string, VolumeDriver>): DriverSet<VolumeDriver> {
  return {
    kind: 'volume', names: () => Object.keys(byName), defaultName: () => 'local', get: (n) => byName[n],
    require: (n) => byName[n]!, default: () => byName.local!,
  };
}

describe('volume backend (service over volume.local)', () => {
  let root: string;
  let state: MemoryStateStore;
  let events: FakeEventBus;
  let extra: Record<string, VolumeDriver>;
  /** A service and driver over the same root and state: calling it again is a daemon restart. */
  const boot = async () => {
    const local = new LocalVolumeDriver({ root, state: state.namespace('volume.local') });
    await local.open();
    const store = new VolumeStore(state.namespace('core.volumes'));
    await store.open();
    const service = new VolumesService({ drivers: driverSet({ local, ...extra }), store, events, log: createFakeLogger() });
    await service.adoptDriverVolumes();
    return service;
  };

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'keel-volsvc-'));
    state = new MemoryStateStore();
    events = new FakeEventBus();
    extra = {};
  });
  afterEach(async () => { await rm(root, { recursive: true, force: true }); });

  it('ensure: creates a missing volume once (created true, then false); no name → anonymous', async () => {
    const s = await boot();
    expect(await s.ensure('data', { labels: { a: 'b' } })).toMatchObject({ name: 'data', driver: 'local', created: true, anonymous: false, labels: { a: 'b' } });
    expect(await s.ensure('data', { labels: { other: 'x' } })).toMatchObject({ created: false, labels: { a: 'b' } });
    const anon = await s.ensure(undefined);
    expect(anon).toMatchObject({ name: expect.stringMatching(/^[0-9a-f]{64}$/), anonymous: true, created: true, labels: { 'com.docker.volume.anonymous': '' } });
    expect(await s.ensure('data2', { anonymous: true })).toMatchObject({ anonymous: true });
    await expect(s.ensure('data', { driver: 'other' })).rejects.toMatchObject({ kind: 'Conflict' });
  });

  it('mount/unmount: a host directory per volume, users while mounted or referenced, Docker\'s mount and unmount events', async () => {
    const s = await boot();
    await s.ensure('v1');
    const dir = await s.mount('v1', 'c1', { destination: '/data', readWrite: false, propagation: 'rprivate' });
    expect(dir).toBe(path.join(root, 'v1', '_data'));
    await s.reference('v1', 'c1');
    expect(s.users('v1')).toEqual(['c1']);
    await s.unmount('v1', 'c1');
    expect(s.users('v1')).toEqual(['c1']); // still referenced by the stopped container
    await s.unmount('v1', 'c1'); // no-op
    await s.dereference('v1', 'c1');
    expect(s.users('v1')).toEqual([]);
    expect(events.published.filter((e) => e.Action !== 'create').map((e) => [e.Action, e.Actor.Attributes])).toEqual([
      ['mount', { container: 'c1', destination: '/data', driver: 'local', propagation: 'rprivate', 'read/write': 'false' }],
      ['unmount', { container: 'c1', driver: 'local' }],
    ]);
  });

  it('dereference: a container still mounting the volume is unmounted first', async () => {
    const s = await boot();
    await s.ensure('v1');
    await s.mount('v1', 'c1');
    await s.dereference('v1', 'c1');
    expect(s.users('v1')).toEqual([]);
    await s.remove('v1');
    expect(s.get('v1')).toBeUndefined();
  });

  it('restart: records, references and mounts survive; retainUsers drops containers that are gone', async () => {
    const before = await boot();
    await before.ensure('v1', { labels: { x: 'y' } });
    await before.reference('v1', 'gone');
    await before.mount('v1', 'running');
    const after = await boot();
    expect(after.get('v1')).toMatchObject({ labels: { x: 'y' } });
    expect(after.users('v1')).toEqual(['gone', 'running']);
    await after.retainUsers(['running']);
    expect(after.users('v1')).toEqual(['running']);
    await expect(after.remove('v1')).rejects.toMatchObject({ kind: 'Conflict', message: 'remove v1: volume is in use - [running]' });
    await after.unmount('v1', 'running');
    await after.remove('v1');
  });

  it('mount: a driver failure leaves no mount record and is reported as "mount <name>: …"', async () => {
    const failing: VolumeDriver = {
      capabilities: { scope: 'local' },
      create: async (name) => ({ name, mountpoint: `/nowhere/${name}` }),
      remove: async () => undefined, get: async (name) => ({ name }), list: async () => [],
      mount: async () => { throw new InternalError('device busy'); }, unmount: async () => undefined,
    };
    extra = { failing };
    const s = await boot();
    await s.ensure('f1', { driver: 'failing' });
    await expect(s.mount('f1', 'c1')).rejects.toMatchObject({ kind: 'Internal', message: 'mount f1: device busy' });
    expect(s.users('f1')).toEqual([]);
    expect((await s.diskUsage()).map((v) => v.UsageData)).toEqual([{ Size: -1, RefCount: 0 }]);
  });

  it('adoption: a volume the driver holds without a record (crash after the driver\'s create) is listed', async () => {
    const local = new LocalVolumeDriver({ root, state: state.namespace('volume.local') });
    await local.open();
    await local.create('orphan', { options: { type: 'tmpfs', device: 'tmpfs' } });
    const s = await boot();
    expect(await s.list({})).toMatchObject([{ Name: 'orphan', Driver: 'local', Options: { type: 'tmpfs', device: 'tmpfs' }, Labels: null }]);
  });

  it('remove: a volume its driver lost is purged; a driver that fails keeps the record unless forced', async () => {
    const flaky: VolumeDriver = {
      capabilities: { scope: 'global' },
      create: async (name) => ({ name }), get: async (name) => ({ name }), list: async () => [],
      remove: async () => { throw new InternalError('backend down'); },
      mount: async () => '/x', unmount: async () => undefined,
    };
    extra = { flaky };
    const s = await boot();
    await s.ensure('g1', { driver: 'flaky' });
    await expect(s.remove('g1')).rejects.toMatchObject({ kind: 'Internal', message: 'remove g1: backend down' });
    expect(s.get('g1')).toBeDefined();
    await s.remove('g1', { force: true });
    expect(s.get('g1')).toBeUndefined();
  });
});
