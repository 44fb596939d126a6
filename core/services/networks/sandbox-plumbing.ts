/**
 * One container's endpoints and ports, each step recorded before the host is changed and undone
 * in reverse when a later step fails: an address from IPAM, the driver's endpoint, the join into
 * the namespace; host ports reserved, then the driver's DNAT rules.
 */
import { randomBytes } from 'node:crypto';
import { ConflictError, InvalidArgumentError, type CallOptions, type DriverSet, type EventBus, type IpamDriver, type Logger } from '@keel/sdk';
import { cidrContains, parseIp } from '@keel/sdk/netutil';
import type { NetworksService } from './network-service.js';
import type { NetworkStore } from './network-store.js';
import type { EndpointConfigInput, EndpointRecord, NetworkRecord, PortRecord, SandboxRecord } from './network-types.js';
import type { PortAllocator, WantedPort } from './port-allocator.js';

/** What plumbing uses. */
export interface PlumbingDeps {
  readonly store: NetworkStore;
  readonly service: NetworksService;
  readonly ipam: DriverSet<IpamDriver>;
  readonly ports: PortAllocator;
  readonly events: EventBus;
  readonly log: Logger;
}

/** `/db:/web/alias` or `db:alias` → [target name, alias]. */
export function parseLink(link: string): [string, string] {
  const [target = '', alias = target] = link.split(':');
  const name = target.replace(/^\//, '');
  return [name, alias.split('/').pop() || name];
}

/** Endpoint and port plumbing. */
export class SandboxPlumbing {
  constructor(private readonly d: PlumbingDeps) {}

  private poolFor(n: NetworkRecord, address: string | undefined, v6: boolean) {
    const pools = v6 ? n.ipv6 : n.ipv4;
    if (!address) return pools[0];
    const ip = parseIp(address);
    const pool = pools.find((p) => cidrContains(p.ipRange ?? p.subnet, ip)) ?? pools.find((p) => cidrContains(p.subnet, ip));
    if (!pool) throw new InvalidArgumentError(`no configured subnet or ip-range contain the IP address ${address}`);
    return pool;
  }

  /** Adds `s` to network `n` as interface `ifname`; the sandbox record is saved with the endpoint. */
  async join(s: SandboxRecord, n: NetworkRecord, config: EndpointConfigInput, ifname: string, defaultRoute: boolean, options: CallOptions): Promise<EndpointRecord> {
    if (s.endpoints.some((e) => e.networkId === n.id)) throw new ConflictError(`endpoint with name ${s.name} already exists in network ${n.name}`);
    const driver = this.d.service.driver(n.driver);
    const ipam = this.d.ipam.get(n.ipamDriver);
    const want4 = config.IPAMConfig?.IPv4Address || undefined;
    const want6 = config.IPAMConfig?.IPv6Address || undefined;
    const pool4 = driver.capabilities.needsIpam ? this.poolFor(n, want4, false) : undefined;
    const pool6 = driver.capabilities.needsIpam && n.enableIpv6 ? this.poolFor(n, want6, true) : undefined;
    const links: Record<string, string> = {};
    for (const l of [...(config.Links ?? []), ...(n.predefined ? [] : s.request.links ?? [])]) {
      const [target, alias] = parseLink(l);
      links[alias] = target;
    }
    let address = '';
    let addressV6 = '';
    try {
      if (pool4) address = await ipam!.requestAddress(pool4.poolId, want4, options);
      if (pool6) addressV6 = await ipam!.requestAddress(pool6.poolId, want6, options);
    } catch (err) {
      if (address) await ipam!.releaseAddress(pool4!.poolId, address).catch(() => undefined);
      throw err;
    }
    const ep: EndpointRecord = {
      networkId: n.id, networkName: n.name, endpointId: randomBytes(32).toString('hex'), address, addressV6,
      macAddress: config.MacAddress ?? '', interfaceName: ifname, gateway: '', gatewayV6: '',
      aliases: [...(config.Aliases ?? [])], links, ipamConfig: config.IPAMConfig ? { ...config.IPAMConfig } : null, driverOpts: config.DriverOpts ?? null,
    };
    s.endpoints.push(ep);
    try {
      await this.d.store.putSandbox(s);
      const created = await driver.createEndpoint({ networkId: n.id, endpointId: ep.endpointId, address: address || undefined, addressV6: addressV6 || undefined, macAddress: ep.macAddress || undefined, options: ep.driverOpts ?? {} }, options);
      const joined = s.netnsPath && driver.capabilities.usesNamespaces
        ? await driver.join({ networkId: n.id, endpointId: ep.endpointId, sandboxKey: s.netnsPath, interfaceName: ifname, defaultRoute, options: {} }, options)
        : {};
      const done: EndpointRecord = { ...ep, macAddress: created.macAddress ?? ep.macAddress, gateway: address ? joined.gateway ?? '' : '', gatewayV6: addressV6 ? joined.gatewayV6 ?? '' : '' };
      s.endpoints[s.endpoints.indexOf(ep)] = done;
      await this.d.store.putSandbox(s);
      this.d.events.publish({ type: 'network', action: 'connect', actor: { ID: n.id, Attributes: { container: s.containerId, name: n.name, type: n.driver } } });
      return done;
    } catch (err) {
      await this.leave(s, ep, options, false);
      throw err;
    }
  }

  /** Takes `s` off the endpoint's network and frees its address; never throws (teardown goes on). */
  async leave(s: SandboxRecord, ep: EndpointRecord, options: CallOptions = {}, publish = true): Promise<void> {
    const n = this.d.store.networks.get(ep.networkId);
    const driver = n && this.d.service.driver(n.driver);
    const warn = (err: unknown) => this.d.log.warn({ err, container: s.containerId, network: ep.networkName }, 'network teardown step failed');
    if (driver) {
      await driver.leave(ep.networkId, ep.endpointId, options).catch(warn);
      await driver.deleteEndpoint(ep.networkId, ep.endpointId, options).catch(warn);
    }
    const ipam = n && this.d.ipam.get(n.ipamDriver);
    if (n && ipam && ep.address) await ipam.releaseAddress(this.poolFor(n, ep.address.split('/')[0], false)?.poolId ?? '', ep.address).catch(warn);
    if (n && ipam && ep.addressV6) await ipam.releaseAddress(this.poolFor(n, ep.addressV6.split('/')[0], true)?.poolId ?? '', ep.addressV6).catch(warn);
    s.endpoints = s.endpoints.filter((e) => e.endpointId !== ep.endpointId);
    await this.d.store.putSandbox(s).catch(warn);
    if (publish && n) this.d.events.publish({ type: 'network', action: 'disconnect', actor: { ID: n.id, Attributes: { container: s.containerId, name: n.name, type: n.driver } } });
  }

  /** The endpoint published ports go through: the first one whose driver maps ports. */
  portEndpoint(s: SandboxRecord): { ep: EndpointRecord; n: NetworkRecord } | undefined {
    for (const ep of s.endpoints) {
      const n = this.d.store.networks.get(ep.networkId);
      if (n && ep.address && this.d.service.driver(n.driver).capabilities.portMapping && !n.internal) return { ep, n };
    }
    return undefined;
  }

  /** Reserves host ports and programs them; all or nothing. */
  async publish(s: SandboxRecord, wanted: readonly WantedPort[], options: CallOptions): Promise<void> {
    const target = this.portEndpoint(s);
    if (!wanted.length || !target) return;
    const ports = await this.d.ports.allocate(s.containerId, wanted);
    s.ports = ports;
    try {
      await this.d.store.putSandbox(s);
      await this.program(s, target, ports, options);
    } catch (err) {
      await this.unpublish(s, options);
      throw err;
    }
  }

  private async program(s: SandboxRecord, t: { ep: EndpointRecord; n: NetworkRecord }, ports: readonly PortRecord[], options: CallOptions): Promise<void> {
    await this.d.service.driver(t.n.driver).programPorts?.({ networkId: t.n.id, endpointId: t.ep.endpointId, containerIp: t.ep.address.split('/')[0]!, ports }, options);
  }

  /** Re-programs recorded ports after a daemon restart. */
  async republish(s: SandboxRecord, options: CallOptions): Promise<void> {
    const target = this.portEndpoint(s);
    if (!s.ports.length || !target) return;
    await this.d.ports.restore(s.containerId, s.ports);
    await this.program(s, target, s.ports, options);
  }

  /** Withdraws and frees the sandbox's ports; never throws. */
  async unpublish(s: SandboxRecord, options: CallOptions = {}): Promise<void> {
    const target = this.portEndpoint(s);
    if (target && s.ports.length) {
      await this.d.service.driver(target.n.driver).revokePorts?.({ networkId: target.n.id, endpointId: target.ep.endpointId, containerIp: target.ep.address.split('/')[0]!, ports: s.ports }, options)
        .catch((err: unknown) => this.d.log.warn({ err, container: s.containerId }, 'could not withdraw published ports'));
    }
    this.d.ports.release(s.containerId);
    s.ports = [];
    await this.d.store.putSandbox(s).catch(() => undefined);
  }
}
