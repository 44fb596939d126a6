/**
 * The network driver and IPAM contracts (bridge, host, none, macvlan, overlay …).
 *
 * The network service (`core.networks`) owns the Docker objects (networks, endpoints, port
 * allocations, DNS); a driver owns only the host plumbing of its networks. Calls are made in this
 * order for one container on one network:
 * `createNetwork` (once per network) → `createEndpoint` → `join` (into the container's network
 * namespace) → `programPorts` (when published ports exist) … `revokePorts` → `leave` →
 * `deleteEndpoint` → `deleteNetwork`. Every call is idempotent: repeating it after a crash, or
 * undoing what does not exist, succeeds. Arguments and results are plain data, so a driver can
 * live out of process.
 * @packageDocumentation
 */
import type { CallOptions, DriverBase } from './common.js';

/** Optional abilities of a network driver. */
export interface NetworkCapabilities {
  /** `local` networks live on one host; `global` ones span hosts (overlay). */
  readonly scope: 'local' | 'global';
  /** Containers attach through their own network namespace (false for host/none). */
  readonly usesNamespaces?: boolean;
  /** Endpoints need addresses from an IPAM pool (false for host/none). */
  readonly needsIpam?: boolean;
  /** `programPorts` publishes ports to the host (bridge). */
  readonly portMapping?: boolean;
  /** The gateway address is on the host, so the embedded DNS server can listen on it (bridge). */
  readonly gatewayOnHost?: boolean;
  /** Only one network of this driver may exist (host, none). */
  readonly singleton?: boolean;
}

/** One address pool of a network, as IPAM assigned it. */
export interface IpamConfig {
  /** CIDR, e.g. `172.18.0.0/16` or `fd00::/64`. */
  readonly subnet: string;
  /** The gateway address without prefix length, e.g. `172.18.0.1`. */
  readonly gateway?: string;
  /** CIDR within `subnet` that container addresses are taken from. */
  readonly ipRange?: string;
}

/** Arguments of `createNetwork`. */
export interface CreateNetworkRequest {
  /** 64-hex network id; drivers derive host object names from it. */
  readonly networkId: string;
  /** The user-visible name (`bridge` for the default network). */
  readonly name: string;
  /** Driver options (`-o`), Docker's keys (`com.docker.network.bridge.name`, `parent`, `macvlan_mode` …). */
  readonly options: Readonly<Record<string, string>>;
  /** IPv4 pools. */
  readonly ipv4: readonly IpamConfig[];
  /** IPv6 pools (empty unless IPv6 is enabled). */
  readonly ipv6: readonly IpamConfig[];
  /** `--internal`: no route to the outside, no masquerade, no published ports. */
  readonly internal: boolean;
  /** The daemon's default network (bridge `keel0`): no isolation from itself, `icc` honoured. */
  readonly isDefault?: boolean;
  /** `--iptables=false`: program no firewall rules at all. */
  readonly noFirewall?: boolean;
}

/** What `createNetwork` reports back. */
export interface CreateNetworkResult {
  /** Options the driver chose or normalised (e.g. the bridge name it created), merged into the network's options. */
  readonly options?: Readonly<Record<string, string>>;
}

/** Arguments of `createEndpoint`. */
export interface EndpointRequest {
  readonly networkId: string;
  /** Unique id of the endpoint (64 hex); drivers derive interface names from it. */
  readonly endpointId: string;
  /** IPv4 address with prefix length (`172.18.0.2/16`), from IPAM. */
  readonly address?: string;
  /** IPv6 address with prefix length. */
  readonly addressV6?: string;
  /** Requested MAC address; the driver picks one when absent. */
  readonly macAddress?: string;
  /** Endpoint driver options. */
  readonly options: Readonly<Record<string, string>>;
}

/** What `createEndpoint` reports back. */
export interface EndpointResult {
  /** The MAC address the container interface will have. */
  readonly macAddress?: string;
}

/** Arguments of `join`: move the endpoint's interface into a sandbox (a network namespace path). */
export interface JoinRequest {
  readonly networkId: string;
  readonly endpointId: string;
  /** Path of the network namespace (a bind mount such as `/run/netns/x`). */
  readonly sandboxKey: string;
  /** Name of the interface inside the namespace (`eth0`, `eth1` …). */
  readonly interfaceName: string;
  /** Install the default route through this network's gateway (the first network of a container). */
  readonly defaultRoute: boolean;
  readonly options: Readonly<Record<string, string>>;
}

/** What `join` reports back. */
export interface JoinResult {
  /** The interface name inside the sandbox. */
  readonly interfaceName?: string;
  readonly gateway?: string;
  readonly gatewayV6?: string;
  /** Extra routes installed inside the sandbox. */
  readonly staticRoutes?: ReadonlyArray<{ readonly destination: string; readonly nextHop?: string }>;
}

/** One published port, fully resolved (host port chosen, host IP normalised). */
export interface PortMapping {
  readonly protocol: 'tcp' | 'udp' | 'sctp';
  /** Host address to publish on; `0.0.0.0` or `::` for all. */
  readonly hostIp: string;
  readonly hostPort: number;
  /** The container's port. */
  readonly containerPort: number;
}

/** Arguments of `programPorts` / `revokePorts`. */
export interface PortsRequest {
  readonly networkId: string;
  readonly endpointId: string;
  /** The container address the ports forward to (without prefix length). */
  readonly containerIp: string;
  readonly ports: readonly PortMapping[];
}

/** What `reconcile` keeps; everything else of the driver's is removed. */
export interface ReconcileRequest {
  /** Networks that must exist (recreated when missing, e.g. after a reboot). */
  readonly networks: readonly CreateNetworkRequest[];
  /** Endpoints that are still in use, by network. */
  readonly endpoints: ReadonlyArray<{ readonly networkId: string; readonly endpointId: string }>;
}

/** A network driver: the host plumbing of networks and endpoints. */
export interface NetworkDriver extends DriverBase<NetworkCapabilities> {
  /** Rejects bad options early (`InvalidArgumentError`), before IPAM or the store are touched. */
  validateOptions?(options: Readonly<Record<string, string>>, callOptions?: CallOptions): Promise<void>;
  /** Creates (or re-creates) the host side of a network. */
  createNetwork(request: CreateNetworkRequest, options?: CallOptions): Promise<CreateNetworkResult>;
  /** Removes everything the network created on the host. */
  deleteNetwork(networkId: string, options?: CallOptions): Promise<void>;
  /** Prepares an endpoint (creates its interface on the host side). */
  createEndpoint(request: EndpointRequest, options?: CallOptions): Promise<EndpointResult>;
  /** Removes an endpoint's interfaces and rules. */
  deleteEndpoint(networkId: string, endpointId: string, options?: CallOptions): Promise<void>;
  /** Moves the endpoint's interface into the sandbox and configures address, MTU and routes. */
  join(request: JoinRequest, options?: CallOptions): Promise<JoinResult>;
  /** Takes the interface out of the sandbox again (or deletes it there). */
  leave(networkId: string, endpointId: string, options?: CallOptions): Promise<void>;
  /** Publishes ports to the host; only when `capabilities.portMapping`. */
  programPorts?(request: PortsRequest, options?: CallOptions): Promise<void>;
  /** Withdraws published ports; only when `capabilities.portMapping`. */
  revokePorts?(request: PortsRequest, options?: CallOptions): Promise<void>;
  /** Startup reconciliation: recreate what is kept, remove every leftover of the driver's. */
  reconcile?(request: ReconcileRequest, options?: CallOptions): Promise<void>;
}

/** Optional abilities of an IPAM driver. */
export interface IpamCapabilities {
  /** Can hand out IPv6 addresses. */
  readonly ipv6: boolean;
}

/** Arguments of `requestPool`. */
export interface PoolRequest {
  /** A requested subnet (CIDR); absent = pick a free one from the default pools. */
  readonly subnet?: string;
  /** A sub-range of `subnet` to allocate container addresses from. */
  readonly ipRange?: string;
  /** A requested gateway address; absent = the first usable address. */
  readonly gateway?: string;
  readonly v6: boolean;
  /** Subnets already used by other networks (never handed out again). */
  readonly exclude?: readonly string[];
  /** Skip the gateway (drivers whose gateway is outside the host, e.g. macvlan, still get one recorded). */
  readonly noGateway?: boolean;
}

/** What `requestPool` returns. */
export interface PoolResult {
  /** Opaque pool id, stable across restarts. */
  readonly poolId: string;
  readonly subnet: string;
  readonly gateway?: string;
  readonly ipRange?: string;
}

/** An IPAM driver: address pools and addresses, persisted across daemon restarts. */
export interface IpamDriver extends DriverBase<IpamCapabilities> {
  /** Reserves a subnet (`ConflictError` when it overlaps one in use, `UnavailableError` when no pool is free). */
  requestPool(request: PoolRequest, options?: CallOptions): Promise<PoolResult>;
  /** Frees a subnet and all its addresses. */
  releasePool(poolId: string, options?: CallOptions): Promise<void>;
  /**
   * Reserves an address: `address` (no prefix) when given, else the next free one. Returns it with
   * the pool's prefix length (`172.18.0.2/16`). `ConflictError` when the address is taken.
   */
  requestAddress(poolId: string, address?: string, options?: CallOptions): Promise<string>;
  /** Frees an address (with or without prefix length); unknown addresses are ignored. */
  releaseAddress(poolId: string, address: string, options?: CallOptions): Promise<void>;
}
