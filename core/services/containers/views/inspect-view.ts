/**
 * `docker inspect` of a container: the record in Docker's shape, with the defaults Docker fills
 * in (empty lists as null, a NetworkSettings block, GraphDriver, file paths).
 */
import type { ContainerRecord } from '../container-types.js';
import { containerPaths } from '../lifecycle/context.js';
import { inspectMounts } from '../mounts/container-mounts.js';

/** Where the paths shown in inspect live. */
export interface InspectRoots {
  readonly dataRoot: string;
  readonly runRoot: string;
}

/** HostConfig with Docker's defaults for what the request left out. */
export function hostConfigView(c: ContainerRecord): Record<string, unknown> {
  const h = c.HostConfig;
  return {
    Binds: null, ContainerIDFile: '', LogConfig: { Type: 'json-file', Config: {} }, NetworkMode: 'default', PortBindings: {},
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: false, VolumeDriver: '', VolumesFrom: null, ConsoleSize: [0, 0],
    CapAdd: null, CapDrop: null, CgroupnsMode: 'host', Dns: [], DnsOptions: [], DnsSearch: [], ExtraHosts: null, GroupAdd: null,
    IpcMode: 'private', Cgroup: '', Links: null, OomScoreAdj: 0, PidMode: '', Privileged: false, PublishAllPorts: false,
    ReadonlyRootfs: false, SecurityOpt: null, UTSMode: '', UsernsMode: '', ShmSize: 67108864, Isolation: '',
    CpuShares: 0, Memory: 0, NanoCpus: 0, CgroupParent: '', BlkioWeight: 0, BlkioWeightDevice: [], BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [], BlkioDeviceReadIOps: [], BlkioDeviceWriteIOps: [], CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0, CpusetCpus: '', CpusetMems: '', Devices: [], DeviceCgroupRules: null, DeviceRequests: null,
    MemoryReservation: 0, MemorySwap: 0, MemorySwappiness: null, OomKillDisable: null, PidsLimit: null, Ulimits: [],
    CpuCount: 0, CpuPercent: 0, IOMaximumIOps: 0, IOMaximumBandwidth: 0, MaskedPaths: null, ReadonlyPaths: null,
    ...h, Runtime: c.keel.runtime,
  };
}

/** NetworkSettings for the modes this build serves (none, host, and a private namespace for default/bridge). */
export function networkSettingsView(c: ContainerRecord): Record<string, unknown> {
  const mode = c.HostConfig.NetworkMode === 'default' ? 'bridge' : c.HostConfig.NetworkMode ?? 'bridge';
  const endpoint = {
    IPAMConfig: null, Links: null, Aliases: null, MacAddress: '', DriverOpts: null, NetworkID: '', EndpointID: '', Gateway: '',
    IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: null,
  };
  return {
    Bridge: '', SandboxID: '', SandboxKey: c.State.Pid ? `/proc/${c.State.Pid}/ns/net` : '', Ports: {}, HairpinMode: false,
    LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0, SecondaryIPAddresses: null, SecondaryIPv6Addresses: null, EndpointID: '',
    Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', MacAddress: '',
    Networks: { [mode]: endpoint },
  };
}

/** The full inspect document. */
export function inspectView(c: ContainerRecord, roots: InspectRoots, size?: { rw: number; rootFs: number }, network?: object): Record<string, unknown> {
  const files = containerPaths(roots, c.Id);
  const { keel: _k, ...docker } = c;
  const state = { ...c.State };
  return {
    ...docker,
    State: state,
    ResolvConfPath: files.resolvConf, HostnamePath: files.hostname, HostsPath: files.hosts, LogPath: (c.HostConfig.LogConfig?.Type ?? 'json-file') === 'json-file' ? files.jsonLog : '',
    MountLabel: '', ProcessLabel: '', AppArmorProfile: '', ExecIDs: null,
    HostConfig: hostConfigView(c),
    GraphDriver: { Name: c.Driver, Data: null },
    ...(size ? { SizeRw: size.rw, SizeRootFs: size.rootFs } : {}),
    Mounts: inspectMounts(c.keel.mounts),
    Config: {
      Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false, Tty: false, OpenStdin: false,
      StdinOnce: false, Env: null, Cmd: null, Volumes: null, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: {},
      ...c.Config,
    },
    NetworkSettings: network ?? networkSettingsView(c),
  };
}
