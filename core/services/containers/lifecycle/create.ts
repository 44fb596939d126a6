/**
 * `POST /containers/create`: Docker's checks, the image's config merged in as moby merges it,
 * the read-write layer on the image's top layer, and a record written before anything runs.
 * Everything a failed create made is undone (layer, image hold, name reservation).
 */
import { mkdir, rm } from 'node:fs/promises';
import { InvalidArgumentError } from '@keel/sdk';
import { buildOciSpec } from '../spec/oci-spec.js';
import { validName } from '../container-store.js';
import type { ContainerConfig, ContainerHostConfig, ContainerRecord, HealthConfig, RestartPolicy } from '../container-types.js';
import { randomName } from '../names.js';
import { containerPaths, publishContainer, type ContainerContext } from './context.js';
import type { ResolvedMount } from '../mounts/container-mounts.js';
import { planMounts, type MountPlan } from '../mounts/mount-plan.js';
import { checkCreateBody } from './create-body.js';
import type { EndpointInput } from './network-port.js';
import { hostDevices } from './spec-files.js';

/** The create request body. */
export interface CreateBody extends Partial<ContainerConfig> {
  HostConfig?: ContainerHostConfig | null;
  NetworkingConfig?: unknown;
}

const POLICIES = new Set(['', 'no', 'always', 'unless-stopped', 'on-failure']);

function checkRestartPolicy(p: RestartPolicy | undefined, autoRemove: boolean): RestartPolicy {
  const policy: RestartPolicy = { Name: p?.Name ?? 'no', MaximumRetryCount: p?.MaximumRetryCount ?? 0 };
  if (!POLICIES.has(policy.Name)) throw new InvalidArgumentError(`invalid restart policy: unknown policy '${policy.Name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  if ((policy.MaximumRetryCount ?? 0) < 0) throw new InvalidArgumentError('invalid restart policy: maximum retry count cannot be negative');
  if (policy.MaximumRetryCount && policy.Name !== 'on-failure') throw new InvalidArgumentError(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  if (policy.Name === '') policy.Name = 'no';
  if (autoRemove && policy.Name !== 'no') throw new InvalidArgumentError(`can't create 'AutoRemove' container with restart policy`);
  return policy;
}

function mergeHealth(mine: HealthConfig | null | undefined, image: HealthConfig | undefined): HealthConfig | undefined {
  if (!mine) return image;
  if (!image) return mine;
  return {
    Test: mine.Test?.length ? mine.Test : image.Test, Interval: mine.Interval || image.Interval, Timeout: mine.Timeout || image.Timeout,
    StartPeriod: mine.StartPeriod || image.StartPeriod, Retries: mine.Retries || image.Retries,
  };
}

/** moby's merge of the image's config into the container's (`daemon/commit.go` merge). */
export function mergeImageConfig(mine: Partial<ContainerConfig>, image: Record<string, unknown>): Partial<ContainerConfig> {
  const img = image as Partial<ContainerConfig>;
  const out: Partial<ContainerConfig> = { ...mine };
  if (!out.User) out.User = img.User ?? '';
  out.ExposedPorts = { ...(img.ExposedPorts ?? {}), ...(mine.ExposedPorts ?? {}) };
  const env = [...(mine.Env ?? [])];
  for (const e of img.Env ?? []) if (!env.some((m) => m.split('=')[0] === e.split('=')[0])) env.push(e);
  out.Env = env;
  out.Labels = { ...(img.Labels ?? {}), ...(mine.Labels ?? {}) };
  if (!mine.Entrypoint?.length) {
    if (!mine.Cmd?.length) out.Cmd = img.Cmd ?? null;
    if (mine.Entrypoint == null) out.Entrypoint = img.Entrypoint ?? null;
  }
  if (!out.WorkingDir) out.WorkingDir = img.WorkingDir ?? '';
  out.Volumes = { ...(img.Volumes ?? {}), ...(mine.Volumes ?? {}) };
  if (!out.StopSignal && img.StopSignal) out.StopSignal = img.StopSignal;
  const health = mergeHealth(mine.Healthcheck, img.Healthcheck ?? undefined);
  if (health) out.Healthcheck = health;
  if (!out.Shell?.length && img.Shell) out.Shell = img.Shell;
  if (!out.OnBuild && img.OnBuild) out.OnBuild = img.OnBuild;
  return out;
}

/** `NetworkingConfig.EndpointsConfig` as given (network name → endpoint settings). */
function endpointsOf(body: CreateBody): Record<string, EndpointInput> {
  const cfg = (body.NetworkingConfig as { EndpointsConfig?: Record<string, EndpointInput> | null } | undefined)?.EndpointsConfig;
  return cfg && typeof cfg === 'object' ? { ...cfg } : {};
}

/** The mounts of `--volumes-from` containers (`name[:ro|rw]`); 404 for an unknown container. */
function volumesFrom(ctx: ContainerContext, refs: string[] | null | undefined): Array<{ plans: MountPlan[]; mode: string }> {
  return (refs ?? []).map((ref) => {
    const [name = '', mode = ''] = ref.split(':');
    if (mode && mode !== 'ro' && mode !== 'rw') throw new InvalidArgumentError(`invalid mode for volumes-from: ${ref}`);
    const source = ctx.store.get(name);
    return { plans: (source.keel.mounts ?? []).filter((m) => m.type !== 'tmpfs').map(({ anonymous: _a, ...m }) => ({ ...m, noCopy: true })), mode };
  });
}

/** Creates a container; returns the record and warnings. */
export async function createContainer(ctx: ContainerContext, body: CreateBody, nameQuery: string | undefined): Promise<{ record: ContainerRecord; warnings: string[] }> {
  checkCreateBody(body);
  if (!body.Image) throw new InvalidArgumentError('No image specified'); // the CLI always sends one
  const host: ContainerHostConfig = { ...(body.HostConfig ?? {}) };
  const { HostConfig: _h, NetworkingConfig: _n, ...configPart } = body;
  const image = ctx.images.resolve(body.Image);
  const runtimeName = host.Runtime || ctx.runtimes.defaultName() || '';
  if (!ctx.runtimes.get(runtimeName)) throw new InvalidArgumentError(`Unknown runtime specified ${runtimeName}`);
  host.RestartPolicy = checkRestartPolicy(host.RestartPolicy, !!host.AutoRemove);
  host.LogConfig = ctx.logs.resolve(host.LogConfig);
  // moby stores the default swap limit (twice the memory) at create, so inspect and update see it.
  if (host.Memory && host.Memory > 0 && !host.MemorySwap) host.MemorySwap = host.Memory * 2;
  // An unknown network fails the start, not the create, as in Docker (a 404 here would make the CLI pull).
  host.NetworkMode = host.NetworkMode || 'default';
  if (host.NetworkMode === 'host' && body.Hostname) throw new InvalidArgumentError('conflicting options: hostname and the network mode');

  const id = ctx.store.newId();
  // Chosen and reserved with no await in between: concurrent creates never pick the same name.
  const name = nameQuery ? validName(nameQuery) : `/${randomName((n) => ctx.store.isTaken(`/${n}`))}`;
  ctx.store.reserveName(name);
  const files = containerPaths(ctx, id);
  let rootfs: { driver: string; parent?: string } | undefined;
  let mounts: ResolvedMount[] = [];
  try {
    const config = mergeImageConfig(configPart, (image.config.config ?? {}) as Record<string, unknown>) as ContainerConfig;
    config.Image = body.Image;
    if (!config.Hostname) config.Hostname = host.NetworkMode === 'host' ? '' : id.slice(0, 12);
    // Everything the spec checks (caps, ulimits, sysctls, devices, resources, seccomp) fails here, at create, as in Docker.
    const probe = buildOciSpec({ ...config, User: '' }, host, { id, image: {}, passwd: '', group: '', goArch: ctx.settings.goArch, kernel: ctx.settings.kernel, cgroupsPath: '/x', initPath: '/x', hostDevices: await hostDevices(host) });
    const args = (probe as { process: { args: string[] } }).process.args;
    const [Path, ...Args] = host.Init ? args.slice(2) : args;
    mounts = await ctx.mounts.prepare(id, planMounts({
      binds: host.Binds, mounts: host.Mounts, volumes: config.Volumes, from: volumesFrom(ctx, host.VolumesFrom), tmpfs: Object.keys(host.Tmpfs ?? {}), volumeDriver: host.VolumeDriver,
    }));
    rootfs = await ctx.images.acquire(image.id, id);
    const storage = ctx.storage.require(rootfs.driver);
    await storage.createReadWrite(id, { parent: rootfs.parent, storageOpts: (host as { StorageOpt?: Record<string, string> }).StorageOpt ?? undefined });
    await mkdir(files.data, { recursive: true, mode: 0o710 }); // the monitor creates its log there at start
    const record: ContainerRecord = {
      Id: id, Name: name, Created: new Date().toISOString(), Path: Path!, Args,
      State: { Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0, Error: '', StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z' },
      Image: image.id, RestartCount: 0, Driver: rootfs.driver, Platform: 'linux', Config: config, HostConfig: host,
      keel: { runtime: runtimeName, storage: rootfs.driver, cgroupsPath: `${host.CgroupParent || ctx.settings.cgroupParent}/${id}`, manuallyStopped: false, hasBeenStarted: false, generation: 0, mounts, endpoints: endpointsOf(body) },
    };
    if (config.Healthcheck?.Test?.length && config.Healthcheck.Test[0] !== 'NONE') record.State.Health = { Status: 'starting', FailingStreak: 0, Log: [] };
    await ctx.store.put(record);
    publishContainer(ctx, record, 'create');
    return { record, warnings: [] };
  } catch (err) {
    ctx.store.releaseName(name);
    await ctx.mounts.release(id, mounts, true);
    if (rootfs) {
      await ctx.storage.get(rootfs.driver)?.remove(id).catch(() => undefined);
      await ctx.images.release(id).catch(() => undefined);
    }
    await rm(files.data, { recursive: true, force: true });
    throw err;
  }
}
