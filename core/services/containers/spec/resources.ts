/**
 * Docker's resource flags (`--memory`, `--cpus`, `--pids-limit` …) as OCI `linux.resources`, with
 * Docker's defaults (swap twice the memory limit unless set) and checks (400s in Docker's words).
 */
import { InvalidArgumentError } from '@keel/sdk';

/** The HostConfig fields that set resources. */
export interface ResourceFields {
  Memory?: number;
  MemorySwap?: number;
  MemoryReservation?: number;
  MemorySwappiness?: number | null;
  OomKillDisable?: boolean | null;
  NanoCpus?: number;
  CpuShares?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  BlkioWeight?: number;
  PidsLimit?: number | null;
}

const CPUSET = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;

/** OCI resources (memory, cpu, pids, blockIO) for `h`; device rules are added by the caller. */
export function ociResources(h: ResourceFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const memory: Record<string, unknown> = {};
  if (h.Memory && h.Memory > 0) {
    if (h.Memory < 6 * 1024 * 1024) throw new InvalidArgumentError('Minimum memory limit allowed is 6MB');
    memory.limit = h.Memory;
    if (h.MemorySwap === -1) memory.swap = -1;
    else if (h.MemorySwap && h.MemorySwap > 0) {
      if (h.MemorySwap < h.Memory) throw new InvalidArgumentError('Minimum memoryswap limit should be larger than memory limit, see usage');
      memory.swap = h.MemorySwap;
    } else memory.swap = h.Memory * 2;
  } else if (h.MemorySwap && h.MemorySwap > 0) {
    throw new InvalidArgumentError('You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  if (h.MemoryReservation && h.MemoryReservation > 0) memory.reservation = h.MemoryReservation;
  if (h.MemorySwappiness !== undefined && h.MemorySwappiness !== null && h.MemorySwappiness >= 0) {
    if (h.MemorySwappiness > 100) throw new InvalidArgumentError(`Invalid value: ${h.MemorySwappiness}, valid memory swappiness range is 0-100`);
    memory.swappiness = h.MemorySwappiness;
  }
  if (h.OomKillDisable) memory.disableOOMKiller = true;
  if (Object.keys(memory).length) out.memory = memory;

  const cpu: Record<string, unknown> = {};
  if (h.NanoCpus && h.NanoCpus > 0) {
    if (h.CpuQuota || h.CpuPeriod) throw new InvalidArgumentError('Conflicting options: Nano CPUs and CPU Period cannot both be set');
    cpu.period = 100_000;
    cpu.quota = Math.round((h.NanoCpus * 100_000) / 1e9);
  }
  if (h.CpuPeriod) cpu.period = h.CpuPeriod;
  if (h.CpuQuota) cpu.quota = h.CpuQuota;
  if (h.CpuShares) cpu.shares = h.CpuShares;
  for (const [k, v] of [['cpus', h.CpusetCpus], ['mems', h.CpusetMems]] as const) {
    if (!v) continue;
    if (!CPUSET.test(v)) throw new InvalidArgumentError(`Invalid value ${v} for cpuset ${k}`);
    cpu[k] = v;
  }
  if (Object.keys(cpu).length) out.cpu = cpu;
  if (h.PidsLimit && h.PidsLimit > 0) out.pids = { limit: h.PidsLimit };
  if (h.BlkioWeight) {
    if (h.BlkioWeight < 10 || h.BlkioWeight > 1000) throw new InvalidArgumentError('Range of blkio weight is from 10 to 1000');
    out.blockIO = { weight: h.BlkioWeight };
  }
  return out;
}
