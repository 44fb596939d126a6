/**
 * Reads one stats sample of a container straight from its cgroup files (v1 or v2), the host's
 * /proc/stat and the container's /proc/<pid>/net/dev. Reading files costs microseconds, where
 * `runc events --stats` would fork a process per sample.
 */
import { readFile } from 'node:fs/promises';
import { totalmem } from 'node:os';
import path from 'node:path';
import type { ContainerCgroup } from './cgroup-fs.js';
import { emptyBlkioStats, type BlkioEntry, type BlkioStats, type CpuStats, type MemoryStats, type NetworkStats } from './stats-types.js';

/** The kernel's USER_HZ: cpuacct.stat and /proc/stat count in these ticks; it is 100 on every Linux ABI. */
const CLOCK_TICKS = 100;
const NS_PER_TICK = 1e9 / CLOCK_TICKS;

/** The cgroup part of a sample. */
export interface CgroupSample {
  cpu_stats: CpuStats;
  memory_stats: MemoryStats;
  pids_stats: { current?: number; limit?: number };
  blkio_stats: BlkioStats;
}

/** Options for tests: other roots than the host's. */
export interface SampleOptions {
  /** Where /proc is (default `/proc`). */
  readonly procRoot?: string;
  /** Memory of the machine; a larger cgroup limit means "no limit" and is shown as this (moby does the same). */
  readonly machineMemory?: number;
}

const text = (file: string | undefined) => (file ? readFile(file, 'utf8').catch(() => undefined) : Promise.resolve(undefined));

/** A counter file's number; `max` (no limit) and absent files are undefined. */
async function num(file: string | undefined): Promise<number | undefined> {
  const t = (await text(file))?.trim();
  return t && /^\d+$/.test(t) ? Number(t) : undefined;
}

/** `key value` lines (memory.stat, cpu.stat, cpuacct.stat) as a map. */
export function parseKeyValues(t: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (t ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** v1 `blkio.*_recursive` rows (`8:0 Read 4096`); the `Total` summary row is dropped like moby. */
export function parseBlkioV1(t: string | undefined): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of (t ?? '').split('\n')) {
    const m = /^(\d+):(\d+)\s+(\S+)\s+(\d+)$/.exec(line.trim());
    if (m) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3]!, value: Number(m[4]) });
  }
  return out;
}

/** v2 `io.stat` (`8:0 rbytes=1 wbytes=2 rios=3 …`) as moby shows it: read and write bytes per device. */
export function parseIoStatV2(t: string | undefined): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of (t ?? '').split('\n')) {
    const [dev, ...pairs] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (!m) continue;
    const kv = Object.fromEntries(pairs.map((p) => p.split('=')).map(([k, v]) => [k, Number(v)]));
    const major = Number(m[1]);
    const minor = Number(m[2]);
    out.push({ major, minor, op: 'read', value: kv.rbytes ?? 0 }, { major, minor, op: 'write', value: kv.wbytes ?? 0 });
  }
  return out;
}

const clampLimit = (limit: number | undefined, machine: number) => (limit !== undefined && limit > machine ? machine : limit);

function withDefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

async function sampleV1(cg: ContainerCgroup, machine: number): Promise<CgroupSample> {
  const acct = cg.dir('cpuacct');
  const cpu = cg.dir('cpu');
  const mem = cg.dir('memory');
  const pids = cg.dir('pids');
  const blkio = cg.dir('blkio');
  const f = (dir: string | undefined, name: string) => (dir ? path.join(dir, name) : undefined);
  const [usage, percpu, acctStat, cpuStat, memUsage, memMax, memFail, memLimit, memStat, pidsCur, pidsMax] = await Promise.all([
    num(f(acct, 'cpuacct.usage')), text(f(acct, 'cpuacct.usage_percpu')), text(f(acct, 'cpuacct.stat')), text(f(cpu, 'cpu.stat')),
    num(f(mem, 'memory.usage_in_bytes')), num(f(mem, 'memory.max_usage_in_bytes')), num(f(mem, 'memory.failcnt')),
    num(f(mem, 'memory.limit_in_bytes')), text(f(mem, 'memory.stat')), num(f(pids, 'pids.current')), num(f(pids, 'pids.max')),
  ]);
  const ticks = parseKeyValues(acctStat);
  const thr = parseKeyValues(cpuStat);
  const perCpu = (percpu ?? '').trim().split(/\s+/).filter((v) => /^\d+$/.test(v)).map(Number);
  const blkioStats = emptyBlkioStats();
  if (blkio) {
    for (const key of Object.keys(blkioStats) as Array<keyof BlkioStats>) {
      const rows = parseBlkioV1(await text(path.join(blkio, `blkio.${key}`)));
      blkioStats[key] = rows.length ? rows : null;
    }
    // With blk-mq (every modern kernel) CFQ's files are empty; the throttle files still count.
    for (const key of ['io_service_bytes_recursive', 'io_serviced_recursive'] as const) {
      if (blkioStats[key]) continue;
      const rows = parseBlkioV1(await text(path.join(blkio, `blkio.throttle.${key}`)));
      blkioStats[key] = rows.length ? rows : null;
    }
  }
  const memStats = parseKeyValues(memStat);
  return {
    cpu_stats: {
      cpu_usage: {
        total_usage: usage ?? 0,
        ...(perCpu.length ? { percpu_usage: perCpu } : {}),
        usage_in_kernelmode: (ticks.system ?? 0) * NS_PER_TICK,
        usage_in_usermode: (ticks.user ?? 0) * NS_PER_TICK,
      },
      throttling_data: { periods: thr.nr_periods ?? 0, throttled_periods: thr.nr_throttled ?? 0, throttled_time: thr.throttled_time ?? 0 },
    },
    memory_stats: withDefined({
      usage: memUsage, max_usage: memMax, failcnt: memFail, limit: clampLimit(memLimit, machine),
      stats: Object.keys(memStats).length ? memStats : undefined,
    }),
    pids_stats: withDefined({ current: pidsCur, limit: pidsMax }),
    blkio_stats: blkioStats,
  };
}

async function sampleV2(cg: ContainerCgroup, machine: number): Promise<CgroupSample> {
  const dir = cg.dir('');
  const f = (name: string) => (dir ? path.join(dir, name) : undefined);
  const [cpuStat, memCur, memMax, memStat, pidsCur, pidsMax, io] = await Promise.all([
    text(f('cpu.stat')), num(f('memory.current')), num(f('memory.max')), text(f('memory.stat')),
    num(f('pids.current')), num(f('pids.max')), text(f('io.stat')),
  ]);
  const c = parseKeyValues(cpuStat);
  const memStats = parseKeyValues(memStat);
  const rows = parseIoStatV2(io);
  // No limit reads `max`: moby shows the machine's memory then, as on v1.
  const limit = memCur === undefined ? undefined : (memMax ?? machine);
  return {
    cpu_stats: {
      cpu_usage: {
        total_usage: (c.usage_usec ?? 0) * 1000,
        usage_in_kernelmode: (c.system_usec ?? 0) * 1000,
        usage_in_usermode: (c.user_usec ?? 0) * 1000,
      },
      throttling_data: { periods: c.nr_periods ?? 0, throttled_periods: c.nr_throttled ?? 0, throttled_time: (c.throttled_usec ?? 0) * 1000 },
    },
    memory_stats: withDefined({ usage: memCur, limit: clampLimit(limit, machine), stats: Object.keys(memStats).length ? memStats : undefined }),
    pids_stats: withDefined({ current: pidsCur, limit: pidsMax }),
    blkio_stats: { ...emptyBlkioStats(), io_service_bytes_recursive: rows.length ? rows : null },
  };
}

/** One sample of the cgroup's counters. Missing files give zeros (a cgroup that just went away). */
export function sampleCgroup(cg: ContainerCgroup, opts: SampleOptions = {}): Promise<CgroupSample> {
  const machine = opts.machineMemory ?? totalmem();
  return cg.version === 2 ? sampleV2(cg, machine) : sampleV1(cg, machine);
}

/** The host's CPU time in ns (moby's `system_cpu_usage`: the first seven /proc/stat fields) and online CPUs. */
export function parseProcStat(t: string): { systemUsage: number; onlineCpus: number } {
  let systemUsage = 0;
  let onlineCpus = 0;
  for (const line of t.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts[0] === 'cpu') systemUsage = parts.slice(1, 8).reduce((s, v) => s + Number(v), 0) * NS_PER_TICK;
    else if (/^cpu\d+$/.test(parts[0] ?? '')) onlineCpus++;
  }
  return { systemUsage, onlineCpus };
}

/** {@link parseProcStat} of the host. */
export async function readSystemCpu(procRoot = '/proc'): Promise<{ systemUsage: number; onlineCpus: number }> {
  return parseProcStat(await readFile(path.join(procRoot, 'stat'), 'utf8'));
}

/** Interfaces of a /proc/<pid>/net/dev, without the loopback (moby shows only the container's networks). */
export function parseNetDev(t: string): Record<string, NetworkStats> {
  const out: Record<string, NetworkStats> = {};
  for (const line of t.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const v = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (!name || name === 'lo' || v.length < 12 || v.some((n) => Number.isNaN(n))) continue;
    out[name] = {
      rx_bytes: v[0]!, rx_packets: v[1]!, rx_errors: v[2]!, rx_dropped: v[3]!,
      tx_bytes: v[8]!, tx_packets: v[9]!, tx_errors: v[10]!, tx_dropped: v[11]!,
    };
  }
  return out;
}

/** The network counters seen from inside the container's network namespace; undefined when there is no such process. */
export async function readNetworks(pid: number, procRoot = '/proc'): Promise<Record<string, NetworkStats> | undefined> {
  if (!(pid > 0)) return undefined;
  const t = await text(path.join(procRoot, String(pid), 'net/dev'));
  return t === undefined ? undefined : parseNetDev(t);
}
