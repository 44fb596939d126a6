/**
 * The bodies of `GET /version` and `GET /info`, in Docker's shapes, from host facts, the
 * engine's plugins and the daemon configuration. Object counts come from the `info` hook.
 */
import os from 'node:os';
import type { ConfigService, DriverSet, EngineInfo, HookSetCaller, OciRuntime, StorageDriver } from '@keel/sdk';
import { openFds, sysctlOn, type HostFacts } from './host-facts.js';
import type { SystemDfBody, SystemInfoBody, systemHooks } from './system-hooks.js';

/** What the system service reads from. */
export interface SystemServiceDeps {
  readonly engine: EngineInfo;
  readonly config: ConfigService;
  readonly facts: HostFacts;
  readonly runtimes: DriverSet<OciRuntime>;
  readonly storage: DriverSet<StorageDriver>;
  readonly daemonId: string;
  readonly hooks: HookSetCaller<(typeof systemHooks)['hooks']>;
  /** Warnings decided at start (e.g. TCP without TLS). */
  readonly warnings: () => string[];
  readonly eventListeners: () => number;
}

/** Builds `/version` and `/info`. */
export class SystemService {
  constructor(private readonly d: SystemServiceDeps) {}

  /** `GET /version`. */
  version(): Record<string, unknown> {
    const { engine, facts } = this.d;
    const experimental = !!this.d.config.get<boolean>('experimental');
    const details = {
      ApiVersion: engine.apiVersion, Arch: facts.goArch, BuildTime: engine.buildTime, Experimental: String(experimental),
      GitCommit: engine.gitCommit, GoVersion: `node ${process.version}`, KernelVersion: facts.kernelVersion, MinAPIVersion: engine.minApiVersion, Os: 'linux',
    };
    return {
      Platform: { Name: `keel Engine (${engine.buildName} build)` },
      Components: [{ Name: 'Engine', Version: engine.version, Details: details }],
      Version: engine.version, ApiVersion: engine.apiVersion, MinAPIVersion: engine.minApiVersion, GitCommit: engine.gitCommit,
      GoVersion: details.GoVersion, Os: 'linux', Arch: facts.goArch, KernelVersion: facts.kernelVersion, Experimental: experimental, BuildTime: engine.buildTime,
    };
  }

  /** `GET /system/df`: every part is filled by the services that own the objects. */
  df(): Promise<SystemDfBody> {
    return this.d.hooks.call('df', { LayersSize: 0, Images: [], Containers: [], Volumes: [], BuildCache: [] });
  }

  /** `GET /info`. */
  async info(): Promise<SystemInfoBody> {
    const { engine, config, facts } = this.d;
    const storage = engine.defaultDriver('storage') ?? '';
    const runtimes = Object.fromEntries(this.d.runtimes.names().map((n) => [n, { path: this.d.runtimes.get(n)?.path ?? n }]));
    const insecure = config.get<string[]>('insecure-registries') ?? [];
    const [ipv4Forwarding, bridgeNf, bridgeNf6, nfd] = await Promise.all([
      sysctlOn('net.ipv4.ip_forward'), sysctlOn('net.bridge.bridge-nf-call-iptables'), sysctlOn('net.bridge.bridge-nf-call-ip6tables'), openFds(),
    ]);
    const warnings = [...this.d.warnings()];
    if (!facts.cgroup.swap) warnings.push('WARNING: No swap limit support');
    if (!storage) warnings.push('WARNING: no storage driver is running: see `keel plugin ls`');
    const body: SystemInfoBody = {
      ID: this.d.daemonId,
      Containers: 0, ContainersRunning: 0, ContainersPaused: 0, ContainersStopped: 0, Images: 0,
      Driver: storage, DriverStatus: storage ? ((await this.d.storage.default().status?.().catch(() => [])) ?? []) : [],
      Plugins: { Volume: engine.driverNames('volume'), Network: engine.driverNames('network'), Authorization: config.get<string[]>('authorization-plugins') ?? null, Log: engine.driverNames('log') },
      MemoryLimit: facts.cgroup.memory, SwapLimit: facts.cgroup.swap, CpuCfsPeriod: facts.cgroup.cpuCfs, CpuCfsQuota: facts.cgroup.cpuCfs,
      CPUShares: facts.cgroup.cpuShares, CPUSet: facts.cgroup.cpuset, PidsLimit: facts.cgroup.pids, OomKillDisable: facts.cgroup.oomKillDisable,
      IPv4Forwarding: ipv4Forwarding, BridgeNfIptables: bridgeNf, BridgeNfIp6tables: bridgeNf6,
      Debug: !!config.get<boolean>('debug'), NFd: nfd, NGoroutines: process.getActiveResourcesInfo().length,
      SystemTime: new Date().toISOString(), LoggingDriver: engine.defaultDriver('log') ?? '',
      CgroupDriver: 'cgroupfs', CgroupVersion: facts.cgroupVersion,
      NEventsListener: this.d.eventListeners(), KernelVersion: facts.kernelVersion, OperatingSystem: facts.operatingSystem, OSVersion: facts.osVersion,
      OSType: 'linux', Architecture: facts.architecture, IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: { AllowNondistributableArtifactsCIDRs: [], AllowNondistributableArtifactsHostnames: [], InsecureRegistryCIDRs: ['127.0.0.0/8', ...insecure.filter((r) => r.includes('/'))], IndexConfigs: {}, Mirrors: config.get<string[]>('registry-mirrors') ?? [] },
      NCPU: facts.ncpu, MemTotal: facts.memTotal, GenericResources: null, DockerRootDir: config.get<string>('data-root'),
      HttpProxy: process.env.HTTP_PROXY ?? '', HttpsProxy: process.env.HTTPS_PROXY ?? '', NoProxy: process.env.NO_PROXY ?? '',
      Name: os.hostname(), Labels: config.get<string[]>('labels') ?? [], ExperimentalBuild: !!config.get<boolean>('experimental'),
      ServerVersion: engine.version, Runtimes: runtimes, DefaultRuntime: engine.defaultDriver('runtime') ?? '',
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      LiveRestoreEnabled: !!config.get<boolean>('live-restore'), Isolation: '', InitBinary: 'tini',
      ContainerdCommit: { ID: '' }, RuncCommit: { ID: '' }, InitCommit: { ID: '' },
      SecurityOptions: [], Warnings: warnings,
    };
    return this.d.hooks.call('info', body);
  }
}
