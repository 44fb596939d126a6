/**
 * The records the network service keeps (networks and container sandboxes), and the contract it
 * offers the container service: {@link NetworkBackend} (`networks.backend`) to plumb containers,
 * and {@link ContainerNetworkPort}, the small view of containers it needs back.
 */
import { createServiceRef, type CallOptions, type IpamConfig } from '@keel/sdk';

/** A network as stored (`networks/<id>`). */
export interface NetworkRecord {
  readonly id: string;
  readonly name: string;
  /** Driver name as users type it (`bridge`, `host`, `none`, `macvlan`). */
  readonly driver: string;
  readonly created: string;
  readonly internal: boolean;
  readonly attachable: boolean;
  readonly enableIpv6: boolean;
  options: Record<string, string>;
  readonly labels: Record<string, string>;
  readonly ipamDriver: string;
  readonly ipamOptions: Record<string, string>;
  /** Pools as IPAM assigned them, with the pool ids to release them. */
  readonly ipv4: ReadonlyArray<IpamConfig & { readonly poolId: string }>;
  readonly ipv6: ReadonlyArray<IpamConfig & { readonly poolId: string }>;
  /** bridge, host or none: created by the daemon, never removed by users. */
  readonly predefined: boolean;
}

/** One container's attachment to one network. */
export interface EndpointRecord {
  readonly networkId: string;
  readonly networkName: string;
  readonly endpointId: string;
  /** IPv4 with prefix length (`172.18.0.2/16`), or empty. */
  readonly address: string;
  readonly addressV6: string;
  readonly macAddress: string;
  readonly interfaceName: string;
  readonly gateway: string;
  readonly gatewayV6: string;
  /** `--network-alias` names. */
  readonly aliases: readonly string[];
  /** `--link` targets on this network: alias → container name. */
  readonly links: Readonly<Record<string, string>>;
  /** The request's IPAMConfig/DriverOpts, echoed in inspect. */
  readonly ipamConfig: { readonly IPv4Address?: string; readonly IPv6Address?: string } | null;
  readonly driverOpts: Record<string, string> | null;
}

/** Published ports of a sandbox, host ports resolved. */
export interface PortRecord {
  readonly protocol: 'tcp' | 'udp' | 'sctp';
  readonly hostIp: string;
  readonly hostPort: number;
  readonly containerPort: number;
}

/** A container's network state (`sandboxes/<containerId>`), written before the host is changed. */
export interface SandboxRecord {
  readonly containerId: string;
  readonly name: string;
  readonly hostname: string;
  readonly networkMode: string;
  /** The namespace: keel's bind mount, or for `container:` modes the other container's (undefined = host). */
  readonly netnsPath?: string;
  /** For `container:<id>` modes: whose namespace this is (keel does not remove it). */
  readonly sharedWith?: string;
  endpoints: EndpointRecord[];
  ports: PortRecord[];
  /** Exposed ports (`80/tcp`) for NetworkSettings.Ports, published or not. */
  readonly exposed: readonly string[];
  /** The attach request without endpoints (DNS settings, extra hosts, links) for later connects. */
  readonly request: Omit<AttachRequest, 'endpoints' | 'portBindings'>;
}

/** Docker's EndpointSettings as sent in `NetworkingConfig.EndpointsConfig` and `/networks/:id/connect`. */
export interface EndpointConfigInput {
  readonly IPAMConfig?: { readonly IPv4Address?: string; readonly IPv6Address?: string; readonly LinkLocalIPs?: readonly string[] } | null;
  readonly Aliases?: readonly string[] | null;
  readonly Links?: readonly string[] | null;
  readonly MacAddress?: string;
  readonly DriverOpts?: Record<string, string> | null;
}

/** Docker's PortBinding. */
export interface PortBindingInput {
  readonly HostIp?: string;
  readonly HostPort?: string;
}

/** What `attach` needs from the container's configuration (Docker's field meanings). */
export interface AttachRequest {
  /** Container name without the leading `/`. */
  readonly name: string;
  /** `HostConfig.NetworkMode`: `default`, `bridge`, `host`, `none`, `container:<id|name>` or a network name/id. */
  readonly networkMode: string;
  /** `NetworkingConfig.EndpointsConfig` (keys are network names or ids; `default` means bridge). */
  readonly endpoints?: Readonly<Record<string, EndpointConfigInput>>;
  /** `HostConfig.PortBindings` (`{"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}`). */
  readonly portBindings?: Readonly<Record<string, readonly PortBindingInput[] | null>> | null;
  /** `HostConfig.PublishAllPorts` (`-P`). */
  readonly publishAll?: boolean;
  /** `Config.ExposedPorts` keys (`80/tcp`), the image's and the container's. */
  readonly exposedPorts?: readonly string[];
  /** `Config.Hostname` (defaults to the short id) and `Config.Domainname`. */
  readonly hostname?: string;
  readonly domainname?: string;
  /** `HostConfig.Dns`, `DnsSearch`, `DnsOptions`, `ExtraHosts` (`name:ip`, `host-gateway` allowed). */
  readonly dns?: readonly string[] | null;
  readonly dnsSearch?: readonly string[] | null;
  readonly dnsOptions?: readonly string[] | null;
  readonly extraHosts?: readonly string[] | null;
  /** `HostConfig.Links` (`/db:/web/alias` or `db:alias`). */
  readonly links?: readonly string[] | null;
}

/** Docker's `NetworkSettings` as inspect shows it. */
export interface NetworkSettingsView {
  readonly Bridge: string;
  readonly SandboxID: string;
  readonly SandboxKey: string;
  readonly HairpinMode: boolean;
  readonly LinkLocalIPv6Address: string;
  readonly LinkLocalIPv6PrefixLen: number;
  readonly Ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null>;
  readonly SecondaryIPAddresses: null;
  readonly SecondaryIPv6Addresses: null;
  readonly EndpointID: string;
  readonly Gateway: string;
  readonly GlobalIPv6Address: string;
  readonly GlobalIPv6PrefixLen: number;
  readonly IPAddress: string;
  readonly IPPrefixLen: number;
  readonly IPv6Gateway: string;
  readonly MacAddress: string;
  readonly Networks: Record<string, Record<string, unknown>>;
}

/** What `attach` gives the container service. */
export interface AttachResult {
  /** Put `{ type: 'network', path }` in the OCI spec's `linux.namespaces`; undefined = host networking (no network namespace entry). */
  readonly netnsPath?: string;
  readonly networkSettings: NetworkSettingsView;
  /** Content of the container's /etc/hosts, /etc/resolv.conf and /etc/hostname. */
  readonly hosts: string;
  readonly resolvConf: string;
  readonly hostname: string;
}

/** A container as the network service sees it. */
export interface ContainerRef {
  readonly id: string;
  /** Name without the leading `/`. */
  readonly name: string;
  readonly running: boolean;
}

/**
 * The view of containers the network service needs, given by the container service through
 * {@link NetworkBackend.registerContainers}. `connect`/`disconnect` are the container service's
 * own operations (record the network in the container's config; when it runs, call the backend's
 * `connect`/`disconnect`), so `docker network connect` and `docker run --network` share one path.
 */
export interface ContainerNetworkPort {
  /** A container by id, name or unique id prefix. */
  lookup(ref: string): Promise<ContainerRef | undefined>;
  /** Every container that exists (for startup reconciliation). */
  list(): Promise<ContainerRef[]>;
  /** `POST /networks/:id/connect`: add the network to the container (and attach it when running). */
  connect(containerId: string, network: { readonly id: string; readonly name: string }, config: EndpointConfigInput, options?: CallOptions): Promise<void>;
  /** `POST /networks/:id/disconnect`. */
  disconnect(containerId: string, network: { readonly id: string; readonly name: string }, force: boolean, options?: CallOptions): Promise<void>;
}

/** A network as other services may look it up. */
export interface NetworkInfo {
  readonly id: string;
  readonly name: string;
  readonly driver: string;
}

/** The network service's backend for the container service (`networks.backend`). */
export interface NetworkBackend {
  /** Resolves a network by id, name or unique id prefix (`default` = bridge); undefined when unknown. */
  findNetwork(ref: string): NetworkInfo | undefined;
  /**
   * Plumbs a container before its runtime create: namespace, endpoints on every network, ports,
   * DNS names. All or nothing: on failure everything done is undone. Publishes `network connect`.
   */
  attach(containerId: string, request: AttachRequest, options?: CallOptions): Promise<AttachResult>;
  /** Releases everything of the container (veths, addresses, ports, DNS names, namespace). Idempotent. */
  detach(containerId: string, options?: CallOptions): Promise<void>;
  /** Adds a network to a running container (`eth<n>`); returns its EndpointSettings. */
  connect(containerId: string, network: string, config: EndpointConfigInput, options?: CallOptions): Promise<AttachResult>;
  /** Removes a network from a running container. */
  disconnect(containerId: string, network: string, options?: CallOptions): Promise<AttachResult>;
  /** The container's current NetworkSettings (undefined when it is not attached). */
  settings(containerId: string): NetworkSettingsView | undefined;
  /** Called once by the container service during its init. */
  registerContainers(port: ContainerNetworkPort): void;
}

/** Ref of {@link NetworkBackend}, provided by `core.networks`. */
export const networkBackendRef = createServiceRef<NetworkBackend>({ id: 'networks.backend' });
