import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeRouter } from '@keel/sdk/testkit';
import { parseCgroupLayout } from './cgroup-fs.js';
import { registerCgroupRoutes } from './index.js';
import type { StatsResponse } from './stats-types.js';
import { mountLine, testRecord, TestAccess, writeTree } from './test-support.js';

let dir: string;
let router: FakeRouter;
let access: TestAccess;
const running = testRecord({ pid: 77, cgroupsPath: '/keel/c1' });
const stopped = testRecord({ Id: 'dead'.padEnd(64, '0'), Name: '/old', running: false });
const cpuFile = () => path.join(dir, 'cg/keel/c1/cpu.stat');
const setCpu = (usec: number) => writeFile(cpuFile(), `usage_usec ${usec}\nuser_usec ${usec}\nsystem_usec 0\n`);
const setSystem = (ticks: number) => writeFile(path.join(dir, 'proc/stat'), `cpu  ${ticks} 0 0 0 0 0 0 0\ncpu0 1\ncpu1 1\ncpu2 1\n`);

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'keel-statsroute-'));
  await writeTree(dir, {
    'cg/keel/c1/memory.current': '4096\n',
    'cg/keel/c1/memory.max': 'max\n',
    'cg/keel/c1/memory.stat': 'inactive_file 0\n',
    'cg/keel/c1/pids.current': '1\n',
    'cg/keel/c1/pids.max': '64\n',
    'proc/77/net/dev': 'h\nh\n    lo: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n  eth0: 10 1 0 0 0 0 0 0 20 2 0 0 0 0 0 0\n',
  });
  await setCpu(1000);
  await setSystem(100);
  const layout = parseCgroupLayout(mountLine(path.join(dir, 'cg'), 'cgroup2'));
  router = new FakeRouter();
  access = new TestAccess([running, stopped]);
  registerCgroupRoutes(router.forPlugin('service.containers'), access, {
    layout: async () => layout, procRoot: path.join(dir, 'proc'), machineMemory: 1 << 30, intervalMs: 40,
  });
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const get = (p: string, maxItems?: number) => router.invoke({ method: 'GET', path: p, maxItems });

describe('GET /containers/:id/stats', () => {
  it('one-shot: one sample in Docker\'s shape, no previous read', async () => {
    const r = await get('/containers/web/stats?stream=0&one-shot=1');
    expect(r.status).toBe(200);
    const s = r.body as StatsResponse;
    expect(s).toMatchObject({
      id: running.Id, name: '/web', num_procs: 0, storage_stats: {}, preread: '0001-01-01T00:00:00Z',
      pids_stats: { current: 1, limit: 64 },
      memory_stats: { usage: 4096, limit: 1 << 30, stats: { inactive_file: 0 } },
      networks: { eth0: { rx_bytes: 10, tx_bytes: 20, tx_packets: 2 } },
      cpu_stats: { cpu_usage: { total_usage: 1_000_000, usage_in_usermode: 1_000_000 }, system_cpu_usage: 100 * 1e7, online_cpus: 3 },
      precpu_stats: { cpu_usage: { total_usage: 0 }, throttling_data: { periods: 0 } },
    });
    expect(s.networks).not.toHaveProperty('lo');
    expect(Date.parse(s.read)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('stream=0 without one-shot carries a previous sample taken an interval earlier', async () => {
    const pending = get(`/containers/${running.Id.slice(0, 12)}/stats?stream=0`);
    await new Promise((r) => setTimeout(r, 10));
    await setCpu(3000);
    await setSystem(300);
    const s = (await pending).body as StatsResponse;
    expect(s.precpu_stats.cpu_usage.total_usage).toBe(1_000_000);
    expect(s.cpu_stats.cpu_usage.total_usage).toBe(3_000_000);
    expect(s.cpu_stats.system_cpu_usage! - s.precpu_stats.system_cpu_usage!).toBe(200 * 1e7);
    expect(Date.parse(s.read) - Date.parse(s.preread)).toBeGreaterThanOrEqual(30);
  });

  it('a recent sample is reused as the previous read of the next no-stream request', async () => {
    const first = (await get('/containers/web/stats?stream=0&one-shot=1')).body as StatsResponse;
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    const second = (await get('/containers/web/stats?stream=0')).body as StatsResponse;
    expect(Date.now() - t0).toBeLessThan(35);
    expect(second.preread).toBe(first.read);
  });

  it('stream=1 sends a sample per interval, each with the previous one as precpu', async () => {
    const r = await get('/containers/web/stats', 3);
    const items = r.items as StatsResponse[];
    expect(items).toHaveLength(3);
    expect(items[0]!.preread).toBe('0001-01-01T00:00:00Z');
    expect(items[1]!.preread).toBe(items[0]!.read);
    expect(items[2]!.preread).toBe(items[1]!.read);
    expect(Date.parse(items[2]!.read) - Date.parse(items[0]!.read)).toBeGreaterThanOrEqual(60);
  });

  it('a stopped container answers moby\'s empty stats, streamed or not', async () => {
    const one = (await get('/containers/old/stats?stream=0')).body as StatsResponse;
    expect(one).toEqual({
      name: '/old', id: stopped.Id, read: '0001-01-01T00:00:00Z', preread: '0001-01-01T00:00:00Z', pids_stats: {}, num_procs: 0, storage_stats: {},
      blkio_stats: {
        io_service_bytes_recursive: null, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null,
        io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null,
      },
      cpu_stats: { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } },
      precpu_stats: { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } },
      memory_stats: {},
    });
    const streamed = await get('/containers/old/stats?stream=1', 2);
    expect(streamed.items).toEqual([one, one]);
  });

  it('the stream ends when the container is removed', async () => {
    const pending = get('/containers/web/stats', 100);
    await new Promise((r) => setTimeout(r, 10));
    access.records.delete(running.Id);
    const r = await pending;
    expect(r.items.length).toBeGreaterThanOrEqual(1);
    expect(r.items.length).toBeLessThan(100);
  });

  it('stream with one-shot is a 400; an unknown container a 404', async () => {
    expect((await get('/containers/web/stats?stream=1&one-shot=1')).status).toBe(400);
    const r = await get('/containers/nope/stats?stream=0');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ message: 'No such container: nope' });
  });
});
