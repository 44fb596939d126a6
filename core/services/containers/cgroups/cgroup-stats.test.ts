import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { containerCgroup, parseCgroupLayout } from './cgroup-fs.js';
import { parseBlkioV1, parseIoStatV2, parseNetDev, parseProcStat, readNetworks, sampleCgroup } from './cgroup-stats.js';
import { mountLine, writeTree } from './test-support.js';

const GiB = 1024 ** 3;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'keel-cgstats-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('cgroup v2 sample', () => {
  const v2Files = {
    'keel/c1/cpu.stat': 'usage_usec 2500\nuser_usec 1500\nsystem_usec 1000\nnr_periods 10\nnr_throttled 2\nthrottled_usec 300\n',
    'keel/c1/memory.current': '8192000\n',
    'keel/c1/memory.max': '67108864\n',
    'keel/c1/memory.stat': 'anon 4096\nfile 8192\ninactive_file 1024\n',
    'keel/c1/pids.current': '3\n',
    'keel/c1/pids.max': 'max\n',
    'keel/c1/io.stat': '8:0 rbytes=4096 wbytes=512 rios=1 wios=1 dbytes=0 dios=0\n253:1 rbytes=10 wbytes=20\n',
  };

  it('reads cpu.stat in ns, memory.current/max, memory.stat, pids and io.stat', async () => {
    await writeTree(dir, v2Files);
    const cg = containerCgroup(parseCgroupLayout(mountLine(dir, 'cgroup2')), '/keel/c1');
    const s = await sampleCgroup(cg, { machineMemory: 4 * GiB });
    expect(s.cpu_stats).toEqual({
      cpu_usage: { total_usage: 2_500_000, usage_in_kernelmode: 1_000_000, usage_in_usermode: 1_500_000 },
      throttling_data: { periods: 10, throttled_periods: 2, throttled_time: 300_000 },
    });
    expect(s.memory_stats).toEqual({ usage: 8192000, limit: 67108864, stats: { anon: 4096, file: 8192, inactive_file: 1024 } });
    expect(s.pids_stats).toEqual({ current: 3 });
    expect(s.blkio_stats.io_service_bytes_recursive).toEqual([
      { major: 8, minor: 0, op: 'read', value: 4096 }, { major: 8, minor: 0, op: 'write', value: 512 },
      { major: 253, minor: 1, op: 'read', value: 10 }, { major: 253, minor: 1, op: 'write', value: 20 },
    ]);
    expect(s.blkio_stats.io_serviced_recursive).toBeNull();
  });

  it('an unlimited memory.max shows the machine memory; a missing cgroup reads as zeros', async () => {
    await writeTree(dir, { ...v2Files, 'keel/c1/memory.max': 'max\n' });
    const layout = parseCgroupLayout(mountLine(dir, 'cgroup2'));
    expect((await sampleCgroup(containerCgroup(layout, '/keel/c1'), { machineMemory: 4 * GiB })).memory_stats.limit).toBe(4 * GiB);
    const gone = await sampleCgroup(containerCgroup(layout, '/keel/nope'), { machineMemory: 4 * GiB });
    expect(gone.cpu_stats.cpu_usage.total_usage).toBe(0);
    expect(gone.memory_stats).toEqual({});
    expect(gone.pids_stats).toEqual({});
  });
});

describe('cgroup v1 sample', () => {
  it('reads cpuacct (ticks → ns), cpu.stat throttling, memory files and blkio throttle files when CFQ ones are empty', async () => {
    await writeTree(dir, {
      'cpuacct/keel/c1/cpuacct.usage': '123456789\n',
      'cpuacct/keel/c1/cpuacct.usage_percpu': '100000000 23456789 \n',
      'cpuacct/keel/c1/cpuacct.stat': 'user 7\nsystem 3\n',
      'cpu/keel/c1/cpu.stat': 'nr_periods 5\nnr_throttled 1\nthrottled_time 999\n',
      'memory/keel/c1/memory.usage_in_bytes': '1048576\n',
      'memory/keel/c1/memory.max_usage_in_bytes': '2097152\n',
      'memory/keel/c1/memory.failcnt': '0\n',
      'memory/keel/c1/memory.limit_in_bytes': '9223372036854771712\n',
      'memory/keel/c1/memory.stat': 'cache 4096\nrss 8192\ntotal_inactive_file 4096\n',
      'pids/keel/c1/pids.current': '2\n',
      'pids/keel/c1/pids.max': '100\n',
      'blkio/keel/c1/blkio.io_service_bytes_recursive': 'Total 0\n',
      'blkio/keel/c1/blkio.throttle.io_service_bytes_recursive': '8:0 Read 4096\n8:0 Write 0\n8:0 Sync 4096\n8:0 Async 0\n8:0 Discard 0\n8:0 Total 4096\nTotal 4096\n',
      'blkio/keel/c1/blkio.throttle.io_serviced_recursive': '8:0 Read 1\nTotal 1\n',
    });
    const lines = ['cpuacct', 'cpu', 'memory', 'pids', 'blkio'].map((c) => mountLine(path.join(dir, c), 'cgroup', `rw,${c}`));
    const cg = containerCgroup(parseCgroupLayout(lines.join('\n')), '/keel/c1');
    const s = await sampleCgroup(cg, { machineMemory: 4 * GiB });
    expect(s.cpu_stats).toEqual({
      cpu_usage: { total_usage: 123456789, percpu_usage: [100000000, 23456789], usage_in_kernelmode: 30_000_000, usage_in_usermode: 70_000_000 },
      throttling_data: { periods: 5, throttled_periods: 1, throttled_time: 999 },
    });
    expect(s.memory_stats).toEqual({
      usage: 1048576, max_usage: 2097152, failcnt: 0, limit: 4 * GiB, stats: { cache: 4096, rss: 8192, total_inactive_file: 4096 },
    });
    expect(s.pids_stats).toEqual({ current: 2, limit: 100 });
    expect(s.blkio_stats.io_service_bytes_recursive?.map((e) => `${e.op}=${e.value}`)).toEqual(['Read=4096', 'Write=0', 'Sync=4096', 'Async=0', 'Discard=0', 'Total=4096']);
    expect(s.blkio_stats.io_serviced_recursive).toEqual([{ major: 8, minor: 0, op: 'Read', value: 1 }]);
    expect(s.blkio_stats.io_queue_recursive).toBeNull();
  });
});

describe('host and network files', () => {
  it('system CPU is the first seven /proc/stat fields in ns; online CPUs are the cpuN lines', () => {
    const stat = 'cpu  100 2 30 400 5 6 7 8 0 0\ncpu0 50 1 15 200 2 3 3 4 0 0\ncpu1 50 1 15 200 3 3 4 4 0 0\nintr 1 2\nctxt 3\n';
    expect(parseProcStat(stat)).toEqual({ systemUsage: (100 + 2 + 30 + 400 + 5 + 6 + 7) * 1e7, onlineCpus: 2 });
  });

  it('net/dev gives every interface but lo', async () => {
    const dev = [
      'Inter-|   Receive                                                |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
      '    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0',
      '  eth0:    5338      36    1    2    0     0          0         0      648       8    3    4    0     0       0          0',
    ].join('\n');
    const want = { eth0: { rx_bytes: 5338, rx_packets: 36, rx_errors: 1, rx_dropped: 2, tx_bytes: 648, tx_packets: 8, tx_errors: 3, tx_dropped: 4 } };
    expect(parseNetDev(dev)).toEqual(want);
    await writeTree(dir, { '77/net/dev': dev });
    expect(await readNetworks(77, dir)).toEqual(want);
    expect(await readNetworks(78, dir)).toBeUndefined();
    expect(await readNetworks(0, dir)).toBeUndefined();
  });

  it('blkio and io.stat parsers skip summary and malformed lines', () => {
    expect(parseBlkioV1('Total 5\n8:0 Read x\n8:16 Write 7\n')).toEqual([{ major: 8, minor: 16, op: 'Write', value: 7 }]);
    expect(parseIoStatV2('garbage\n\n8:0 rbytes=1\n')).toEqual([{ major: 8, minor: 0, op: 'read', value: 1 }, { major: 8, minor: 0, op: 'write', value: 0 }]);
  });
});
