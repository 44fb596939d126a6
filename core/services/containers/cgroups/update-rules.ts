/**
 * Docker's rules for `POST /containers/{id}/update`: which body fields change what (zero and
 * empty mean "leave as is"), the checks moby makes on the request (400) and against what is
 * already set (409, "Cannot update container …"), and the OCI resources to apply live.
 */
import { ConflictError, InvalidArgumentError, NotSupportedError } from '@keel/sdk';
import type { ContainerHostConfig, RestartPolicy } from '../container-types.js';
import { ociResources, type ResourceFields } from '../spec/resources.js';

/** The update body: resources plus a restart policy. */
export interface UpdateBody extends Pick<ResourceFields, 'Memory' | 'MemorySwap' | 'MemoryReservation' | 'NanoCpus' | 'CpuShares' | 'CpuPeriod' | 'CpuQuota' | 'CpusetCpus' | 'CpusetMems' | 'BlkioWeight' | 'PidsLimit'> {
  RestartPolicy?: { Name?: string; MaximumRetryCount?: number } | null;
}

/** What an update does. */
export interface UpdatePlan {
  /** The container's new HostConfig. */
  readonly hostConfig: ContainerHostConfig;
  /** OCI `linux.resources` to give the runtime when the container runs. */
  readonly live: Record<string, unknown>;
}

const MIN_MEMORY = 6 * 1024 * 1024;
const NUMBER_FIELDS = ['Memory', 'MemorySwap', 'MemoryReservation', 'NanoCpus', 'CpuShares', 'CpuPeriod', 'CpuQuota', 'BlkioWeight', 'PidsLimit'] as const;
const STRING_FIELDS = ['CpusetCpus', 'CpusetMems'] as const;
const POLICIES = new Set(['', 'no', 'always', 'unless-stopped', 'on-failure']);

/** Checks the body's types; fields keel does not update (devices, ulimits …) are ignored like zero values. */
export function parseUpdateBody(raw: unknown): UpdateBody {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidArgumentError('invalid update body: expected a JSON object');
  const b = raw as Record<string, unknown>;
  // The CLI's --cpu-rt-period/--cpu-rt-runtime: refused rather than silently dropped.
  for (const k of ['CpuRealtimePeriod', 'CpuRealtimeRuntime']) {
    if (b[k]) throw new NotSupportedError(`${k} cannot be updated: keel does not manage real-time CPU scheduling`);
  }
  const out: Record<string, unknown> = {};
  for (const k of NUMBER_FIELDS) {
    if (b[k] === undefined || b[k] === null) continue;
    if (typeof b[k] !== 'number' || !Number.isInteger(b[k])) throw new InvalidArgumentError(`invalid value for ${k}: ${JSON.stringify(b[k])} is not an integer`);
    out[k] = b[k];
  }
  for (const k of STRING_FIELDS) {
    if (b[k] === undefined || b[k] === null) continue;
    if (typeof b[k] !== 'string') throw new InvalidArgumentError(`invalid value for ${k}: expected a string`);
    out[k] = b[k];
  }
  const rp = b.RestartPolicy;
  if (rp !== undefined && rp !== null) {
    if (typeof rp !== 'object' || Array.isArray(rp)) throw new InvalidArgumentError('invalid restart policy: expected an object');
    const { Name = '', MaximumRetryCount = 0 } = rp as Record<string, unknown>;
    if (typeof Name !== 'string' || typeof MaximumRetryCount !== 'number') throw new InvalidArgumentError('invalid restart policy');
    out.RestartPolicy = { Name, MaximumRetryCount };
  }
  return out as UpdateBody;
}

/** The CPU numbers a cpuset list names (`0-2,5`). */
function cpusetMembers(v: string): number[] {
  return v.split(',').flatMap((part) => {
    const [a, b = a] = part.split('-').map(Number);
    return Array.from({ length: Math.max(0, b! - a! + 1) }, (_, i) => a! + i);
  });
}

/** moby's request checks (`verifyPlatformContainerResources` with update=true); 400 in its words. */
function checkRequest(b: UpdateBody, cpus: number): void {
  const bad = (m: string) => new InvalidArgumentError(m);
  if (b.Memory && b.Memory < MIN_MEMORY) throw bad('Minimum memory limit allowed is 6MB');
  if (b.Memory && b.Memory > 0 && b.MemorySwap && b.MemorySwap > 0 && b.MemorySwap < b.Memory) {
    throw bad('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (b.MemoryReservation && b.MemoryReservation < MIN_MEMORY) throw bad('Minimum memory reservation allowed is 6MB');
  if (b.Memory && b.Memory > 0 && b.MemoryReservation && b.MemoryReservation > b.Memory) {
    throw bad('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  if (b.NanoCpus && (b.NanoCpus < 0 || b.NanoCpus > cpus * 1e9)) {
    throw bad(`Range of CPUs is from 0.01 to ${cpus}.00, as there are only ${cpus} CPUs available`);
  }
  if (b.NanoCpus && b.NanoCpus > 0 && b.CpuPeriod) throw bad('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (b.NanoCpus && b.NanoCpus > 0 && b.CpuQuota) throw bad('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (b.CpuPeriod && (b.CpuPeriod < 1000 || b.CpuPeriod > 1_000_000)) {
    throw bad('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  if (b.CpuQuota && b.CpuQuota > 0 && b.CpuQuota < 1000) throw bad('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if (b.CpuShares && b.CpuShares < 0) throw bad('Invalid value for CpuShares: must not be negative');
  if (b.BlkioWeight && (b.BlkioWeight < 10 || b.BlkioWeight > 1000)) throw bad('Range of blkio weight is from 10 to 1000');
  if (b.CpusetCpus && /^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(b.CpusetCpus) && cpusetMembers(b.CpusetCpus).some((n) => n >= cpus)) {
    throw bad(`Requested CPUs are not available - requested ${b.CpusetCpus}, available: 0-${cpus - 1}`);
  }
  const rp = b.RestartPolicy;
  if (rp) {
    if (!POLICIES.has(rp.Name ?? '')) throw bad(`invalid restart policy: unknown policy '${rp.Name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
    if ((rp.MaximumRetryCount ?? 0) < 0) throw bad("invalid restart policy: maximum retry count can't be negative");
    if ((rp.MaximumRetryCount ?? 0) > 0 && rp.Name !== 'on-failure') throw bad("invalid restart policy: maximum retry count can only be used with 'on-failure'");
  }
}

/**
 * Merges `b` into `current` (moby's `UpdateContainer`), with its conflicts against what is set.
 * `id` names the container in conflict messages.
 */
export function planUpdate(id: string, current: ContainerHostConfig, b: UpdateBody, cpus: number): UpdatePlan {
  checkRequest(b, cpus);
  const conflict = (m: string) => new ConflictError(`Cannot update container ${id}: ${m}`);
  const h: ContainerHostConfig = structuredClone(current);
  // NanoCpus sets period and quota itself, so one may not be updated once the other is set.
  if (b.NanoCpus && h.CpuPeriod) throw conflict('Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set');
  if (b.NanoCpus && h.CpuQuota) throw conflict('Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set');
  if (b.CpuPeriod && h.NanoCpus) throw conflict('Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set');
  if (b.CpuQuota && h.NanoCpus) throw conflict('Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');
  // Docker stores the default swap (twice the memory) at create; a record without it has that swap in force.
  if (!h.MemorySwap && h.Memory && h.Memory > 0) h.MemorySwap = h.Memory * 2;
  if (b.Memory) {
    if (h.MemorySwap && h.MemorySwap > 0 && b.Memory > h.MemorySwap && !b.MemorySwap) {
      throw conflict('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
    }
    h.Memory = b.Memory;
  }
  const copy = <K extends keyof ResourceFields>(k: K) => {
    if (b[k as keyof UpdateBody]) (h as ResourceFields)[k] = b[k as keyof UpdateBody] as ResourceFields[K];
  };
  for (const k of ['MemorySwap', 'MemoryReservation', 'BlkioWeight', 'CpuShares', 'NanoCpus', 'CpuPeriod', 'CpuQuota', 'CpusetCpus', 'CpusetMems'] as const) copy(k);
  // 0 and -1 both mean "unlimited" (the API takes any negative for it too).
  if (b.PidsLimit !== undefined && b.PidsLimit !== null) h.PidsLimit = b.PidsLimit > 0 ? b.PidsLimit : 0;
  const rp = b.RestartPolicy;
  if (rp?.Name) {
    if (h.AutoRemove && rp.Name !== 'no') throw conflict('Restart policy cannot be updated because AutoRemove is enabled for the container');
    h.RestartPolicy = { Name: rp.Name as RestartPolicy['Name'], MaximumRetryCount: rp.MaximumRetryCount ?? 0 };
  }
  // The whole merged set is applied: runc leaves what is absent untouched, and what is present
  // equals what a fresh start would get.
  const live = ociResources(h);
  if (b.PidsLimit !== undefined && b.PidsLimit !== null && b.PidsLimit <= 0) live.pids = { limit: -1 };
  return { hostConfig: h, live };
}
