import { describe, expect, it } from 'vitest';
import { FakeRouter } from '@keel/sdk/testkit';
import type { OciRuntime } from '@keel/sdk';
import { registerCgroupRoutes } from './index.js';
import { parseUpdateBody, planUpdate } from './update-rules.js';
import { testRecord, TestAccess } from './test-support.js';

const MiB = 1024 * 1024;
const ID = 'c'.repeat(64);

describe('update rules', () => {
  it('merges non-zero fields; Memory with MemorySwap sets both and the live OCI resources', () => {
    const p = planUpdate(ID, { CpuShares: 512 }, { Memory: 64 * MiB, MemorySwap: 128 * MiB, CpusetCpus: '0', PidsLimit: 50 }, 2);
    expect(p.hostConfig).toMatchObject({ CpuShares: 512, Memory: 64 * MiB, MemorySwap: 128 * MiB, CpusetCpus: '0', PidsLimit: 50 });
    expect(p.live).toEqual({ memory: { limit: 64 * MiB, swap: 128 * MiB }, cpu: { shares: 512, cpus: '0' }, pids: { limit: 50 } });
  });

  it('a record created with --memory has the default swap (2x) in force; raising Memory past it needs MemorySwap (409)', () => {
    expect(() => planUpdate(ID, { Memory: 32 * MiB }, { Memory: 100 * MiB }, 2)).toThrow(
      `Cannot update container ${ID}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time`,
    );
    const ok = planUpdate(ID, { Memory: 32 * MiB }, { Memory: 48 * MiB }, 2);
    expect(ok.hostConfig).toMatchObject({ Memory: 48 * MiB, MemorySwap: 64 * MiB });
    expect(ok.live).toEqual({ memory: { limit: 48 * MiB, swap: 64 * MiB } });
  });

  it('checks the request like moby (400s)', () => {
    const bad = (body: object, msg: string) => expect(() => planUpdate(ID, {}, parseUpdateBody(body), 2)).toThrow(msg);
    bad({ Memory: 1024 }, 'Minimum memory limit allowed is 6MB');
    bad({ Memory: 64 * MiB, MemorySwap: 32 * MiB }, 'Minimum memoryswap limit should be larger than memory limit');
    bad({ MemoryReservation: 1 }, 'Minimum memory reservation allowed is 6MB');
    bad({ NanoCpus: 3e9 }, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
    bad({ NanoCpus: 1e9, CpuQuota: 5000 }, 'Nano CPUs and CPU Quota cannot both be set');
    bad({ CpuPeriod: 10 }, 'CPU cfs period can not be less than 1ms');
    bad({ BlkioWeight: 5 }, 'Range of blkio weight is from 10 to 1000');
    bad({ CpusetCpus: '0-3' }, 'Requested CPUs are not available - requested 0-3, available: 0-1');
    bad({ CpusetCpus: 'x' }, 'Invalid value x for cpuset cpus');
    bad({ RestartPolicy: { Name: 'sometimes' } }, "unknown policy 'sometimes'");
    bad({ RestartPolicy: { Name: 'always', MaximumRetryCount: 2 } }, "maximum retry count can only be used with 'on-failure'");
    bad({ Memory: '64m' }, 'invalid value for Memory');
    expect(() => parseUpdateBody({ CpuRealtimeRuntime: 950 })).toThrow('CpuRealtimeRuntime cannot be updated');
    expect(parseUpdateBody({ CpuRealtimePeriod: 0, KernelMemory: 0, BlkioWeightDevice: null, CpusetCpus: '' })).toEqual({ CpusetCpus: '' });
  });

  it('NanoCpus and CPU period/quota exclude each other across updates (409)', () => {
    expect(() => planUpdate(ID, { NanoCpus: 1e9 }, { CpuQuota: 50_000 }, 2)).toThrow('CPU Quota cannot be updated as NanoCPUs has already been set');
    expect(() => planUpdate(ID, { CpuPeriod: 100_000 }, { NanoCpus: 1e9 }, 2)).toThrow('Nano CPUs cannot be updated as CPU Period has already been set');
    expect(planUpdate(ID, { NanoCpus: 1e9 }, { NanoCpus: 5e8 }, 2).live).toEqual({ cpu: { period: 100_000, quota: 50_000 } });
  });

  it('PidsLimit 0 or -1 lifts the limit; restart policies update unless AutoRemove forbids it', () => {
    const p = planUpdate(ID, { PidsLimit: 10 }, { PidsLimit: -1 }, 2);
    expect(p.hostConfig.PidsLimit).toBe(0);
    expect(p.live).toEqual({ pids: { limit: -1 } });
    expect(planUpdate(ID, {}, { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 } }, 2).hostConfig.RestartPolicy).toEqual({ Name: 'on-failure', MaximumRetryCount: 3 });
    expect(() => planUpdate(ID, { AutoRemove: true }, { RestartPolicy: { Name: 'always' } }, 2)).toThrow(
      'Restart policy cannot be updated because AutoRemove is enabled for the container',
    );
    expect(planUpdate(ID, { AutoRemove: true }, { RestartPolicy: { Name: 'no' } }, 2).hostConfig.RestartPolicy?.Name).toBe('no');
  });
});

function fakeRuntime(fail?: string) {
  const calls: Array<{ id: string; resources: unknown }> = [];
  const rt = {
    capabilities: { cgroupVersions: [1, 2], pause: true, update: true },
    async update(id: string, resources: Record<string, unknown>) {
      if (fail) throw new Error(fail);
      calls.push({ id, resources });
    },
  } as unknown as OciRuntime;
  return { rt, calls };
}

describe('POST /containers/:id/update', () => {
  const setup = (running: boolean, fail?: string) => {
    const { rt, calls } = fakeRuntime(fail);
    const c = testRecord({ Id: ID, running, HostConfig: { Memory: 32 * MiB, RestartPolicy: { Name: 'no', MaximumRetryCount: 0 } } });
    const access = new TestAccess([c], rt);
    const router = new FakeRouter();
    registerCgroupRoutes(router.forPlugin('service.containers'), access, { cpus: 4 });
    const post = (body: unknown) => router.invoke({ method: 'POST', path: '/containers/web/update', body });
    return { access, calls, post };
  };

  it('a running container: HostConfig persisted, limits applied live, update event published', async () => {
    const { access, calls, post } = setup(true);
    const r = await post({ Memory: 64 * MiB, MemorySwap: 128 * MiB, NanoCpus: 15e8, RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 } });
    expect(r).toMatchObject({ status: 200, body: { Warnings: [] } });
    expect(access.get(ID).HostConfig).toMatchObject({ Memory: 64 * MiB, MemorySwap: 128 * MiB, NanoCpus: 15e8, RestartPolicy: { Name: 'unless-stopped' } });
    expect(calls).toEqual([{ id: ID, resources: { memory: { limit: 64 * MiB, swap: 128 * MiB }, cpu: { period: 100_000, quota: 150_000 } } }]);
    expect(access.events).toEqual([{ id: ID, action: 'update' }]);
  });

  it('a stopped container: only the record changes', async () => {
    const { access, calls, post } = setup(false);
    expect((await post({ CpuShares: 256 })).status).toBe(200);
    expect(access.get(ID).HostConfig.CpuShares).toBe(256);
    expect(calls).toEqual([]);
  });

  it('a runtime failure restores the old HostConfig and answers 500 naming the container', async () => {
    const { access, post } = setup(true, 'write /sys/fs/cgroup/memory/x: device or resource busy');
    const r = await post({ Memory: 48 * MiB });
    expect(r.status).toBe(500);
    expect(r.body).toEqual({ message: `Cannot update container ${ID}: write /sys/fs/cgroup/memory/x: device or resource busy` });
    expect(access.get(ID).HostConfig.Memory).toBe(32 * MiB);
    expect(access.events).toEqual([]);
  });

  it('invalid bodies are 400s and conflicts 409s, without changing anything', async () => {
    const { access, calls, post } = setup(true);
    expect((await post({ Memory: 1 })).status).toBe(400);
    expect((await post('nonsense')).status).toBe(400);
    expect((await post({ Memory: 200 * MiB })).status).toBe(409);
    expect(access.get(ID).HostConfig.Memory).toBe(32 * MiB);
    expect(calls).toEqual([]);
    expect((await post({})).status).toBe(200);
  });
});
