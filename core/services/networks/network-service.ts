/**
 * Docker's network objects: create (with IPAM pools and driver plumbing, all or nothing), remove,
 * prune, and the predefined networks `bridge` (Linux bridge `keel0`), `host` and `none`. Each
 * network is recorded before its host plumbing is made, so a crash in between is reconciled.
 */
import { randomBytes } from 'node:crypto';
import {
  AlreadyExistsError, ConflictError, compareText, InvalidArgumentError, NotFoundError, PermissionDeniedError,
  type CallOptions, type ConfigService, type CreateNetworkRequest, type DriverSet, type EventBus, type IpamDriver, type Logger, type NetworkDriver,
} from '@keel/sdk';
import { canonicalCidr, parseCidr } from '@keel/sdk/netutil';
import type { EmbeddedDns } from './dns-server.js';
import { networkNotFound } from './network-errors.js';
import type { NetworkStore } from './network-store.js';
import type { NetworkRecord } from './network-types.js';
import { filterNetworks } from './network-views.js';

/** `POST /networks/create` body (Docker's field names). */
export interface NetworkCreateBody {
  readonly Name?: string;
  readonly Driver?: string;
  readonly Internal?: boolean;
  readonly Attachable?: boolean;
  readonly EnableIPv6?: boolean;
  readonly IPAM?: { readonly Driver?: string; readonly Options?: Record<string, string> | null; readonly Config?: ReadonlyArray<{ readonly Subnet?: string; readonly IPRange?: string; readonly Gateway?: string }> | null } | null;
  readonly Options?: Record<string, string> | null;
  readonly Labels?: Record<string, string> | null;
}

/** What the service works with. */
export interface NetworksServiceDeps {
  readonly store: NetworkStore;
  readonly drivers: DriverSet<NetworkDriver>;
  readonly ipam: DriverSet<IpamDriver>;
  readonly events: EventBus;
  readonly config: ConfigService;
  readonly dns: EmbeddedDns;
  readonly log: Logger;
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const PREDEFINED = ['bridge', 'host', 'none'];

/** The network service. */
export class NetworksService {
  // Creates and removals one at a time: name checks and pool picks must not race (moby#18864).
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly d: NetworksServiceDeps) {}

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** The driver of `name` (`null` is Docker's name for none). */
  driver(name: string): NetworkDriver {
    const driver = this.d.drivers.get(name === 'null' ? 'none' : name);
    if (!driver) throw new NotFoundError(`plugin "${name}" not found`);
    return driver;
  }

  /** The request a driver gets for a stored network. */
  request(n: NetworkRecord): CreateNetworkRequest {
    return {
      networkId: n.id, name: n.name, options: n.options, internal: n.internal, isDefault: n.predefined && n.name === 'bridge',
      ipv4: n.ipv4.map(({ subnet, gateway, ipRange }) => ({ subnet, gateway, ipRange })),
      ipv6: n.ipv6.map(({ subnet, gateway, ipRange }) => ({ subnet, gateway, ipRange })),
      noFirewall: this.d.config.get<boolean>('iptables') === false,
    };
  }

  /** `POST /networks/create`. */
  create(body: NetworkCreateBody, predefined = false, options: CallOptions = {}): Promise<NetworkRecord> {
    return this.serial(() => this.createLocked(body, predefined, options));
  }

  private async createLocked(body: NetworkCreateBody, predefined: boolean, options: CallOptions): Promise<NetworkRecord> {
    const name = body.Name ?? '';
    if (!NAME.test(name)) throw new InvalidArgumentError(`invalid network name "${name}": must match ${NAME.source}`);
    if ([...this.d.store.networks.values()].some((n) => n.name === name)) throw new AlreadyExistsError(`network with name ${name} already exists`);
    const driverName = body.Driver === 'null' ? 'none' : body.Driver || 'bridge';
    const driver = this.driver(driverName);
    if (!predefined && (driver.capabilities.singleton || PREDEFINED.includes(name))) {
      throw new PermissionDeniedError(driver.capabilities.singleton ? `only one instance of "${driverName}" network is allowed` : `${name} is a pre-defined network and cannot be created`);
    }
    const opts = { ...(body.Options ?? {}) };
    await driver.validateOptions?.(opts, options);
    const ipamName = body.IPAM?.Driver || 'default';
    const ipam = this.d.ipam.get(ipamName);
    if (!ipam) throw new NotFoundError(`plugin "${ipamName}" not found`);
    const pools = driver.capabilities.needsIpam ? await this.requestPools(ipam, body) : { ipv4: [], ipv6: [] };
    const rec: NetworkRecord = {
      id: randomBytes(32).toString('hex'), name, driver: driverName, created: new Date().toISOString(),
      internal: !!body.Internal, attachable: !!body.Attachable, enableIpv6: !!body.EnableIPv6, options: opts,
      labels: { ...(body.Labels ?? {}) }, ipamDriver: ipamName, ipamOptions: { ...(body.IPAM?.Options ?? {}) }, ...pools, predefined,
    };
    try {
      await this.d.store.putNetwork(rec);
      const res = await driver.createNetwork(this.request(rec), options);
      if (res.options) rec.options = { ...rec.options, ...res.options };
      await this.d.store.putNetwork(rec);
    } catch (err) {
      await driver.deleteNetwork(rec.id).catch(() => undefined);
      await this.releasePools(rec);
      await this.d.store.deleteNetwork(rec.id);
      throw err;
    }
    await this.startDns(rec);
    this.d.events.publish({ type: 'network', action: 'create', actor: { ID: rec.id, Attributes: { name, type: driverName } } });
    return rec;
  }

  private async requestPools(ipam: IpamDriver, body: NetworkCreateBody): Promise<Pick<NetworkRecord, 'ipv4' | 'ipv6'>> {
    const out: { ipv4: NetworkRecord['ipv4'][number][]; ipv6: NetworkRecord['ipv6'][number][] } = { ipv4: [], ipv6: [] };
    const exclude = [...this.d.store.networks.values()].flatMap((n) => [...n.ipv4, ...n.ipv6].map((p) => p.subnet));
    const configs = [...(body.IPAM?.Config ?? [])];
    try {
      for (const c of configs) {
        if (!c.Subnet && (c.Gateway || c.IPRange)) throw new InvalidArgumentError('a gateway or ip-range needs a subnet');
        const v6 = c.Subnet ? parseCidr(c.Subnet).family === 6 : false;
        if (v6 && !body.EnableIPv6) throw new InvalidArgumentError(`IPv6 subnet ${c.Subnet} given but IPv6 is not enabled (--ipv6)`);
        const p = await ipam.requestPool({ subnet: c.Subnet ? canonicalCidr(c.Subnet) : undefined, ipRange: c.IPRange, gateway: c.Gateway, v6, exclude });
        (v6 ? out.ipv6 : out.ipv4).push({ poolId: p.poolId, subnet: p.subnet, gateway: p.gateway, ipRange: p.ipRange });
      }
      if (!out.ipv4.length) out.ipv4.push(await ipam.requestPool({ v6: false, exclude }).then((p) => ({ ...p })));
      if (body.EnableIPv6 && !out.ipv6.length) out.ipv6.push(await ipam.requestPool({ v6: true, exclude }).then((p) => ({ ...p })));
      return out;
    } catch (err) {
      for (const p of [...out.ipv4, ...out.ipv6]) await ipam.releasePool(p.poolId).catch(() => undefined);
      throw err;
    }
  }

  private async releasePools(n: NetworkRecord): Promise<void> {
    const ipam = this.d.ipam.get(n.ipamDriver);
    for (const p of [...n.ipv4, ...n.ipv6]) await ipam?.releasePool(p.poolId).catch(() => undefined);
  }

  /** Starts the embedded DNS of a user-defined network whose gateway is on the host. */
  async startDns(n: NetworkRecord): Promise<void> {
    const driver = this.d.drivers.get(n.driver);
    const gw = n.ipv4.find((p) => p.gateway)?.gateway;
    if (n.predefined || !driver?.capabilities.gatewayOnHost || !gw) return;
    await this.d.dns.listen(n.id, gw);
  }

  /** A network by reference; 404 with Docker's message when unknown. */
  get(ref: string): NetworkRecord {
    const n = this.d.store.find(ref);
    if (!n) throw networkNotFound(ref);
    return n;
  }

  /** `GET /networks` with filters. */
  list(filters: Record<string, string[]>): NetworkRecord[] {
    return filterNetworks([...this.d.store.networks.values()], filters, this.d.store).sort((a, b) => compareText(a.name, b.name));
  }

  /** `DELETE /networks/:id`. */
  remove(ref: string, options: CallOptions = {}): Promise<void> {
    return this.serial(async () => {
      const n = this.get(ref);
      if (n.predefined) throw new PermissionDeniedError(`${n.name} is a pre-defined network and cannot be removed`);
      const users = this.d.store.endpointsOn(n.id).map((e) => e.sandbox.name);
      if (users.length) throw new ConflictError(`error while removing network: network ${n.name} id ${n.id} has active endpoints (${users.join(', ')})`);
      await this.removeLocked(n, options);
    });
  }

  private async removeLocked(n: NetworkRecord, options: CallOptions): Promise<void> {
    await this.d.dns.close(n.id);
    await this.d.drivers.get(n.driver)?.deleteNetwork(n.id, options);
    await this.releasePools(n);
    await this.d.store.deleteNetwork(n.id);
    this.d.events.publish({ type: 'network', action: 'destroy', actor: { ID: n.id, Attributes: { name: n.name, type: n.driver } } });
  }

  /** `POST /networks/prune`: user-defined networks no container uses (filters `until`, `label`, `label!`). */
  prune(filters: Record<string, string[]>, options: CallOptions = {}): Promise<string[]> {
    return this.serial(async () => {
      const until = filters.until?.map((u) => (/^\d+(\.\d+)?$/.test(u) ? Number(u) * 1000 : Date.now() - durationMs(u)));
      const deleted: string[] = [];
      for (const n of [...this.d.store.networks.values()]) {
        if (n.predefined || this.d.store.endpointsOn(n.id).length) continue;
        if (until && !until.every((t) => Date.parse(n.created) < t)) continue;
        if (!labelsMatch(n.labels, filters.label ?? [], true) || !labelsMatch(n.labels, filters['label!'] ?? [], false)) continue;
        await this.removeLocked(n, options);
        deleted.push(n.name);
      }
      return deleted;
    });
  }
}

function durationMs(text: string): number {
  const m = /^(\d+)(h|m|s)$/.exec(text);
  if (!m) {
    const t = Date.parse(text);
    if (Number.isNaN(t)) throw new InvalidArgumentError(`invalid filter 'until=${text}'`);
    return Date.now() - t;
  }
  return Number(m[1]) * { h: 3_600_000, m: 60_000, s: 1000 }[m[2] as 'h' | 'm' | 's'];
}

function labelsMatch(labels: Record<string, string>, wanted: readonly string[], positive: boolean): boolean {
  return wanted.every((w) => {
    const [k = '', v] = w.split('=', 2) as [string, string | undefined];
    const has = k in labels && (v === undefined || labels[k] === v);
    return positive ? has : !has;
  });
}
