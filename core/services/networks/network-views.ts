/**
 * Docker's shapes of networks (`GET /networks`, `GET /networks/:id`) and of a container's
 * `NetworkSettings`, and the `docker network ls` filters.
 */
import { InvalidArgumentError } from '@keel/sdk';
import type { NetworkStore } from './network-store.js';
import type { EndpointRecord, NetworkRecord, NetworkSettingsView, SandboxRecord } from './network-types.js';

/** Docker shows the none network's driver as `null`. */
export const apiDriverName = (driver: string): string => (driver === 'none' ? 'null' : driver);

/** A network as `GET /networks/:id` shows it (`Containers` filled only for inspect). */
export function networkView(n: NetworkRecord, store: NetworkStore, withContainers: boolean): Record<string, unknown> {
  const pools = [...n.ipv4, ...n.ipv6].map((p) => ({ Subnet: p.subnet, ...(p.ipRange ? { IPRange: p.ipRange } : {}), ...(p.gateway ? { Gateway: p.gateway } : {}) }));
  const containers: Record<string, unknown> = {};
  if (withContainers) {
    for (const { sandbox, endpoint } of store.endpointsOn(n.id)) {
      containers[sandbox.containerId] = {
        Name: sandbox.name, EndpointID: endpoint.endpointId, MacAddress: endpoint.macAddress,
        IPv4Address: endpoint.address, IPv6Address: endpoint.addressV6,
      };
    }
  }
  return {
    Name: n.name, Id: n.id, Created: n.created, Scope: 'local', Driver: apiDriverName(n.driver),
    EnableIPv4: true, EnableIPv6: n.enableIpv6,
    IPAM: { Driver: n.ipamDriver, Options: Object.keys(n.ipamOptions).length ? n.ipamOptions : null, Config: pools },
    Internal: n.internal, Attachable: n.attachable, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false,
    Containers: containers, Options: n.options, Labels: n.labels,
  };
}

const FILTERS = ['driver', 'id', 'label', 'name', 'scope', 'type', 'dangling'] as const;

/** Applies `docker network ls` filters (each key matches when any of its values does). */
export function filterNetworks(all: readonly NetworkRecord[], filters: Record<string, string[]>, store: NetworkStore): NetworkRecord[] {
  for (const key of Object.keys(filters)) {
    if (!(FILTERS as readonly string[]).includes(key)) throw new InvalidArgumentError(`invalid filter '${key}'`);
  }
  const any = (values: string[] | undefined, test: (v: string) => boolean) => !values?.length || values.some(test);
  for (const t of filters.type ?? []) if (t !== 'custom' && t !== 'builtin') throw new InvalidArgumentError(`invalid filter: 'type'='${t}'`);
  for (const d of filters.dangling ?? []) if (!/^(true|false|1|0)$/i.test(d)) throw new InvalidArgumentError(`invalid filter 'dangling=${d}'`);
  return all.filter((n) => any(filters.driver, (v) => v === n.driver || v === apiDriverName(n.driver))
    && any(filters.id, (v) => n.id.startsWith(v))
    && any(filters.name, (v) => n.name.includes(v))
    && any(filters.scope, (v) => v === 'local')
    && any(filters.type, (v) => (v === 'builtin') === n.predefined)
    && any(filters.label, (v) => {
      const [k = '', val] = v.split('=', 2) as [string, string | undefined];
      return k in n.labels && (val === undefined || n.labels[k] === val);
    })
    && any(filters.dangling, (v) => /^(true|1)$/i.test(v) === (!n.predefined && store.endpointsOn(n.id).length === 0)));
}

function prefixLen(address: string): number {
  return address ? Number(address.split('/')[1] ?? 0) : 0;
}

/** One `NetworkSettings.Networks` entry. */
export function endpointView(e: EndpointRecord, s: SandboxRecord): Record<string, unknown> {
  return {
    IPAMConfig: e.ipamConfig, Links: Object.keys(e.links).length ? Object.entries(e.links).map(([alias, name]) => `${name}:${alias}`) : null,
    Aliases: e.aliases.length ? [...e.aliases] : null, MacAddress: e.macAddress, DriverOpts: e.driverOpts,
    NetworkID: e.networkId, EndpointID: e.endpointId, Gateway: e.gateway, IPAddress: e.address.split('/')[0] ?? '',
    IPPrefixLen: prefixLen(e.address), IPv6Gateway: e.gatewayV6, GlobalIPv6Address: e.addressV6.split('/')[0] ?? '',
    GlobalIPv6PrefixLen: prefixLen(e.addressV6),
    DNSNames: ['bridge', 'host', 'none'].includes(e.networkName) ? null : [s.name, s.containerId.slice(0, 12), ...e.aliases],
  };
}

/** Docker's `NetworkSettings` of a sandbox; the top-level address fields mirror the default bridge endpoint. */
export function networkSettingsView(s: SandboxRecord): NetworkSettingsView {
  const ports: NetworkSettingsView['Ports'] = {};
  for (const key of s.exposed) ports[key] = null;
  for (const p of s.ports) (ports[`${p.containerPort}/${p.protocol}`] ??= []).push({ HostIp: p.hostIp, HostPort: String(p.hostPort) });
  for (const [k, v] of Object.entries(ports)) if (v === null && !s.endpoints.length) delete ports[k];
  const bridge = s.endpoints.find((e) => e.networkName === 'bridge');
  const networks: NetworkSettingsView['Networks'] = {};
  for (const e of s.endpoints) networks[e.networkName] = endpointView(e, s);
  return {
    Bridge: '', SandboxID: s.netnsPath ? s.containerId : '', SandboxKey: s.netnsPath ?? '', HairpinMode: false,
    LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0, Ports: ports, SecondaryIPAddresses: null, SecondaryIPv6Addresses: null,
    EndpointID: bridge?.endpointId ?? '', Gateway: bridge?.gateway ?? '', GlobalIPv6Address: bridge?.addressV6.split('/')[0] ?? '',
    GlobalIPv6PrefixLen: prefixLen(bridge?.addressV6 ?? ''), IPAddress: bridge?.address.split('/')[0] ?? '', IPPrefixLen: prefixLen(bridge?.address ?? ''),
    IPv6Gateway: bridge?.gatewayV6 ?? '', MacAddress: bridge?.macAddress ?? '', Networks: networks,
  };
}
