/**
 * What the container service uses of the network service (`networks.backend`): plumb a container
 * before its runtime create (namespace, endpoints, published ports, DNS names, the /etc files'
 * content), release it all at exit, and report its NetworkSettings.
 */
import type { AttachRequest, EndpointConfigInput, NetworkBackend } from '../../networks/index.js';
import type { ContainerRecord } from '../container-types.js';

/** One `NetworkingConfig.EndpointsConfig` entry. */
export type EndpointInput = EndpointConfigInput;

/** The part of the network backend a container's lifecycle calls. */
export type NetworkPort = Pick<NetworkBackend, 'attach' | 'detach' | 'settings'>;

/** The attach request of a container, from its create body as stored. */
export function attachRequest(c: ContainerRecord): AttachRequest {
  const h = c.HostConfig;
  return {
    name: c.Name.slice(1), networkMode: h.NetworkMode ?? 'default', endpoints: c.keel.endpoints ?? {}, portBindings: h.PortBindings ?? null,
    publishAll: !!h.PublishAllPorts, exposedPorts: Object.keys(c.Config.ExposedPorts ?? {}), hostname: c.Config.Hostname, domainname: c.Config.Domainname,
    dns: h.Dns ?? null, dnsSearch: h.DnsSearch ?? null, dnsOptions: h.DnsOptions ?? null, extraHosts: h.ExtraHosts ?? null, links: h.Links ?? null,
  };
}
