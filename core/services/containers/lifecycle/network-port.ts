/**
 * What the container service needs of the network service (`networks.backend`): plumb a
 * container before its runtime create (namespace, endpoints, published ports, DNS names, the
 * /etc files' content), release it all at exit, and report its NetworkSettings. Kept here as a
 * narrow port so the container service compiles and tests without the network service.
 */
import type { ContainerRecord } from '../container-types.js';

/** One `NetworkingConfig.EndpointsConfig` entry. */
export interface EndpointInput {
  readonly IPAMConfig?: { readonly IPv4Address?: string; readonly IPv6Address?: string } | null;
  readonly Aliases?: readonly string[] | null;
  readonly Links?: readonly string[] | null;
  readonly MacAddress?: string;
  readonly DriverOpts?: Record<string, string> | null;
}

/** What is asked of the network service for one container. */
export interface NetworkAttachRequest {
  readonly name: string;
  readonly networkMode: string;
  readonly endpoints?: Readonly<Record<string, EndpointInput>>;
  readonly portBindings?: Readonly<Record<string, ReadonlyArray<{ HostIp?: string; HostPort?: string }> | null>> | null;
  readonly publishAll?: boolean;
  readonly exposedPorts?: readonly string[];
  readonly hostname?: string;
  readonly domainname?: string;
  readonly dns?: readonly string[] | null;
  readonly dnsSearch?: readonly string[] | null;
  readonly dnsOptions?: readonly string[] | null;
  readonly extraHosts?: readonly string[] | null;
  readonly links?: readonly string[] | null;
}

/** What the network service answers. */
export interface NetworkAttachResult {
  /** The network namespace to join; undefined means the host's (`--network host`). */
  readonly netnsPath?: string;
  readonly networkSettings: object;
  readonly hosts: string;
  readonly resolvConf: string;
  readonly hostname: string;
}

/** The port. */
export interface NetworkPort {
  attach(containerId: string, request: NetworkAttachRequest): Promise<NetworkAttachResult>;
  detach(containerId: string): Promise<void>;
  settings(containerId: string): object | undefined;
}

/** The attach request of a container, from its create body as stored. */
export function attachRequest(c: ContainerRecord): NetworkAttachRequest {
  const h = c.HostConfig;
  return {
    name: c.Name.slice(1), networkMode: h.NetworkMode ?? 'default', endpoints: c.keel.endpoints ?? {}, portBindings: h.PortBindings ?? null,
    publishAll: !!h.PublishAllPorts, exposedPorts: Object.keys(c.Config.ExposedPorts ?? {}), hostname: c.Config.Hostname, domainname: c.Config.Domainname,
    dns: h.Dns ?? null, dnsSearch: h.DnsSearch ?? null, dnsOptions: h.DnsOptions ?? null, extraHosts: h.ExtraHosts ?? null, links: h.Links ?? null,
  };
}
