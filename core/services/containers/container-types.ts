/**
 * A container as keel keeps it: Docker's inspect shape (so `docker inspect` is a projection, not
 * a translation) plus the few private fields keel needs to find its runtime, layer and monitor.
 * Records are persisted as JSON documents under the containers service's state namespace.
 */
import type { ResolvedMount } from './mounts/container-mounts.js';
import type { MountRequest } from './mounts/mount-plan.js';
import type { EndpointInput } from './lifecycle/network-port.js';
import type { CreateConfig, CreateHostConfig } from './spec/oci-spec.js';

/** Docker's container statuses. */
export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/** One healthcheck probe result (`State.Health.Log`). */
export interface HealthLogEntry {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

/** `State.Health`. */
export interface HealthState {
  Status: 'starting' | 'healthy' | 'unhealthy' | 'none';
  FailingStreak: number;
  Log: HealthLogEntry[];
}

/** `State` as `docker inspect` shows it. */
export interface ContainerState {
  Status: ContainerStatus;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  Health?: HealthState;
}

/** Docker's HEALTHCHECK config. Durations in nanoseconds. */
export interface HealthConfig {
  Test?: string[] | null;
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
  StartInterval?: number;
}

/** `Config` of a container (create body merged with the image's defaults). */
export interface ContainerConfig extends CreateConfig {
  Image: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Labels?: Record<string, string> | null;
  ExposedPorts?: Record<string, object> | null;
  Volumes?: Record<string, object> | null;
  StopSignal?: string;
  StopTimeout?: number | null;
  Healthcheck?: HealthConfig | null;
  OnBuild?: string[] | null;
  ArgsEscaped?: boolean;
  NetworkDisabled?: boolean;
  MacAddress?: string;
  Shell?: string[] | null;
}

/** Docker's restart policy. */
export interface RestartPolicy {
  Name: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure';
  MaximumRetryCount?: number;
}

/** `HostConfig` of a container. */
export interface ContainerHostConfig extends CreateHostConfig {
  AutoRemove?: boolean;
  RestartPolicy?: RestartPolicy;
  Runtime?: string;
  Binds?: string[] | null;
  LogConfig?: { Type: string; Config: Record<string, string> };
  PortBindings?: Record<string, Array<{ HostIp?: string; HostPort?: string }> | null> | null;
  ConsoleSize?: [number, number] | null;
  CgroupParent?: string;
  Mounts?: MountRequest[] | null;
  VolumeDriver?: string;
  Links?: string[] | null;
  Dns?: string[] | null;
  DnsOptions?: string[] | null;
  DnsSearch?: string[] | null;
  ExtraHosts?: string[] | null;
  VolumesFrom?: string[] | null;
  PublishAllPorts?: boolean;
}

/** What keel alone needs to know about a container (not shown by Docker). */
export interface ContainerPrivate {
  /** Runtime plugin name (`runc`, `crun`). */
  runtime: string;
  /** Storage driver holding the read-write layer; the layer id is the container id. */
  storage: string;
  /** Cgroup path given to the runtime (`/keel/<id>`), relative to each controller's root. */
  cgroupsPath: string;
  /** PID of the conmon process supervising the current run. */
  monitorPid?: number;
  /** Set by `docker stop`/`kill` (unless-stopped and on restart after daemon restart). */
  manuallyStopped: boolean;
  /** Has the container ever been started (restart policies, `ps` status). */
  hasBeenStarted: boolean;
  /** The run number: increases on each start, names the monitor's files. */
  generation: number;
  /** Volumes, binds and `--mount` tmpfs, resolved at create (volumes named). */
  mounts?: ResolvedMount[];
  /** `NetworkingConfig.EndpointsConfig` of the create body, and networks connected since. */
  endpoints?: Record<string, EndpointInput>;
}

/** A container record. */
export interface ContainerRecord {
  Id: string;
  /** With Docker's leading slash (`/web`). */
  Name: string;
  Created: string;
  Path: string;
  Args: string[];
  State: ContainerState;
  /** Image ID (`sha256:…`). */
  Image: string;
  RestartCount: number;
  Driver: string;
  Platform: 'linux';
  Config: ContainerConfig;
  HostConfig: ContainerHostConfig;
  keel: ContainerPrivate;
}
