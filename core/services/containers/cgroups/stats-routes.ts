/**
 * `GET /containers/{id}/stats`: Docker's StatsResponse from the container's cgroup files.
 * stream=1 sends one object a second; stream=0 sends one object whose `precpu_stats` comes from
 * an earlier sample, so clients can compute CPU %. moby waits for two collector ticks for that;
 * keel keeps each container's last sample in memory and uses it when it is recent, so a repeated
 * `docker stats --no-stream` answers without the wait.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidArgumentError, queryBool, type HttpRouter } from '@keel/sdk';
import type { ContainerAccess } from '../container-access.js';
import type { ContainerRecord } from '../container-types.js';
import { containerCgroup, type CgroupLayout } from './cgroup-fs.js';
import { readNetworks, readSystemCpu, sampleCgroup, type CgroupSample } from './cgroup-stats.js';
import { emptyCpuStats, emptyStats, ZERO_TIME, type NetworkStats, type StatsResponse } from './stats-types.js';

/** What the stats routes need besides the containers; tests point these at fixtures. */
export interface StatsDeps {
  readonly layout: () => Promise<CgroupLayout>;
  readonly procRoot?: string;
  readonly machineMemory?: number;
  /** Time between streamed samples, and the age a no-stream answer's earlier sample should have (ms). */
  readonly intervalMs?: number;
}

/** One sample of a running container. */
export interface Sample {
  /** Monotonic-ish wall time of the sample (ms). */
  readonly at: number;
  /** The container process it belongs to: counters restart with a new process. */
  readonly pid: number;
  readonly read: string;
  readonly cgroup: CgroupSample;
  readonly systemUsage: number;
  readonly onlineCpus: number;
  readonly networks?: Record<string, NetworkStats>;
}

/** A cached sample older than this no longer stands for "the previous read". */
const MAX_PREVIOUS_AGE_MS = 10_000;

/** moby treats a restarting container like a stopped one here; a paused one still has stats. */
export const hasStats = (c: ContainerRecord): boolean => c.State.Running && !c.State.Restarting;

/** Takes samples and remembers the last one per container. */
export class StatsSampler {
  private readonly last = new Map<string, Sample>();

  constructor(private readonly deps: StatsDeps) {}

  get intervalMs(): number {
    return this.deps.intervalMs ?? 1000;
  }

  /** A fresh sample of `c` (which must be running). */
  async take(c: ContainerRecord): Promise<Sample> {
    const cg = containerCgroup(await this.deps.layout(), c.keel.cgroupsPath);
    const [cgroup, sys, networks] = await Promise.all([
      sampleCgroup(cg, { procRoot: this.deps.procRoot, machineMemory: this.deps.machineMemory }),
      readSystemCpu(this.deps.procRoot),
      readNetworks(c.State.Pid, this.deps.procRoot),
    ]);
    const at = Date.now();
    const sample: Sample = {
      at, pid: c.State.Pid, read: new Date(at).toISOString(), cgroup, systemUsage: sys.systemUsage, onlineCpus: sys.onlineCpus,
      ...(networks && Object.keys(networks).length ? { networks } : {}),
    };
    this.remember(c.Id, sample);
    return sample;
  }

  /** The last sample of `c`'s current process, if recent enough to serve as `precpu`. */
  previous(c: ContainerRecord): Sample | undefined {
    const s = this.last.get(c.Id);
    return s && s.pid === c.State.Pid && Date.now() - s.at <= MAX_PREVIOUS_AGE_MS ? s : undefined;
  }

  private remember(id: string, s: Sample): void {
    this.last.set(id, s);
    // Forget containers nobody asked about for a while, so removed ones do not pile up.
    if (this.last.size > 64) for (const [k, v] of this.last) if (s.at - v.at > MAX_PREVIOUS_AGE_MS) this.last.delete(k);
  }
}

const cpuOf = (s: Sample) => ({ ...s.cgroup.cpu_stats, system_cpu_usage: s.systemUsage, online_cpus: s.onlineCpus });

/** The answer for `cur`, with `prev` as the previous read. */
export function toResponse(c: ContainerRecord, cur: Sample, prev?: Sample): StatsResponse {
  return {
    name: c.Name, id: c.Id, read: cur.read, preread: prev?.read ?? ZERO_TIME,
    pids_stats: cur.cgroup.pids_stats, blkio_stats: cur.cgroup.blkio_stats, num_procs: 0, storage_stats: {},
    cpu_stats: cpuOf(cur), precpu_stats: prev ? cpuOf(prev) : emptyCpuStats(), memory_stats: cur.cgroup.memory_stats,
    ...(cur.networks ? { networks: cur.networks } : {}),
  };
}

/** Sleeps, or returns false when the client left first. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (ms <= 0) return true;
  return sleep(ms, undefined, { signal }).then(() => true, () => false);
}

/** One answer for stream=0: with `precpu` from a recent sample unless one-shot. */
async function single(sampler: StatsSampler, c: ContainerRecord, oneShot: boolean, signal: AbortSignal): Promise<StatsResponse> {
  if (!hasStats(c)) return emptyStats(c.Name, c.Id);
  if (oneShot) return toResponse(c, await sampler.take(c));
  const base = sampler.previous(c) ?? (await sampler.take(c));
  await pause(sampler.intervalMs - (Date.now() - base.at), signal);
  return toResponse(c, await sampler.take(c), base);
}

/** stream=1: a sample per interval until the client leaves or the container is removed. */
async function* streamStats(sampler: StatsSampler, access: ContainerAccess, id: string, signal: AbortSignal): AsyncGenerator<StatsResponse> {
  let prev: Sample | undefined;
  while (!signal.aborted) {
    let c: ContainerRecord;
    try {
      c = access.get(id);
    } catch {
      return; // removed: moby ends the stream too
    }
    const started = Date.now();
    if (!hasStats(c)) {
      prev = undefined;
      yield emptyStats(c.Name, c.Id);
    } else {
      const cur = await sampler.take(c);
      yield toResponse(c, cur, prev?.pid === cur.pid ? prev : undefined);
      prev = cur;
    }
    if (!(await pause(sampler.intervalMs - (Date.now() - started), signal))) return;
  }
}

/** Registers `GET /containers/:id/stats`. */
export function registerStatsRoute(router: HttpRouter, access: ContainerAccess, sampler: StatsSampler): void {
  router.route({
    method: 'GET',
    path: '/containers/:id/stats',
    async handler(req, reply) {
      const c = access.get(req.params.id!);
      const stream = queryBool(req, 'stream', true);
      const oneShot = queryBool(req, 'one-shot', false);
      if (stream && oneShot) throw new InvalidArgumentError('cannot have stream=true and one-shot=true');
      if (!stream) return single(sampler, c, oneShot, req.signal);
      await reply.ndjson(streamStats(sampler, access, c.Id, req.signal));
      return undefined;
    },
  });
}
