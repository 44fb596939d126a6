/**
 * What the lifecycle modules share: the record store, the drivers, the monitor and the paths.
 * One plain object built by the plugin's `init`, so each module takes only what it needs.
 */
import path from 'node:path';
import type { DriverSet, EventBus, Logger, OciRuntime, StorageDriver } from '@keel/sdk';
import type { ImageBackend } from '../../images/index.js';
import type { ContainerStore } from '../container-store.js';
import type { ContainerRecord } from '../container-types.js';
import type { Conmon } from '../monitor/conmon.js';
import type { ContainerMounts } from '../mounts/container-mounts.js';
import type { LogPipeline } from '../logging/log-pipeline.js';
import type { NetworkPort } from './network-port.js';

/** Engine settings the containers service reads. */
export interface ContainerSettings {
  /** Cgroup parent for containers without `--cgroup-parent` (daemon `cgroup-parent`, default `/keel`). */
  readonly cgroupParent: string;
  /** `docker-init` for `--init` (daemon `init-path`, else tini-static/tini). */
  readonly initPath?: string;
  readonly goArch: string;
  readonly kernel: string;
  /** Seconds `stop` waits before SIGKILL when neither the request nor the container says. */
  readonly stopTimeout: number;
}

/** The shared context. */
export interface ContainerContext {
  readonly store: ContainerStore;
  readonly images: ImageBackend;
  readonly storage: DriverSet<StorageDriver>;
  readonly runtimes: DriverSet<OciRuntime>;
  readonly events: EventBus;
  readonly log: Logger;
  readonly conmon: Conmon;
  readonly mounts: ContainerMounts;
  readonly logs: LogPipeline;
  /** The network service (a required dependency of the container service). */
  readonly networks: NetworkPort;
  readonly settings: ContainerSettings;
  /** `<pluginRoot>`: persistent per-container directories (logs, exit files, hosts files). */
  readonly dataRoot: string;
  /** `<pluginRunRoot>`: bundles, attach sockets, fifos. */
  readonly runRoot: string;
}

/** Where one container's files live. */
export function containerPaths(ctx: Pick<ContainerContext, 'dataRoot' | 'runRoot'>, id: string) {
  const data = path.join(ctx.dataRoot, 'containers', id);
  const bundle = path.join(ctx.runRoot, 'bundles', id);
  return {
    data,
    bundle,
    /** The monitor's own CRI-format log, which the log pipeline collects. */
    log: path.join(data, 'monitor.log'),
    /** Where the json-file driver writes (Docker's LogPath). */
    jsonLog: path.join(data, `${id}-json.log`),
    exitDir: path.join(ctx.runRoot, 'exits'),
    exitFile: path.join(ctx.runRoot, 'exits', id),
    hostname: path.join(data, 'hostname'),
    hosts: path.join(data, 'hosts'),
    resolvConf: path.join(data, 'resolv.conf'),
    execDir: (execId: string) => path.join(bundle, 'exec', execId.slice(0, 16)),
  };
}

/** Publishes a container event with moby's attributes (labels, image, name). */
export function publishContainer(ctx: Pick<ContainerContext, 'events'>, c: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
  ctx.events.publish({
    type: 'container', action,
    actor: { ID: c.Id, Attributes: { ...(c.Config.Labels ?? {}), image: c.Config.Image, name: c.Name.slice(1), ...extra } },
  });
}
