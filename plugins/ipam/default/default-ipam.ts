/**
 * Docker's default IPAM: subnets from the daemon's default address pools (never one that overlaps
 * a pool in use, an excluded subnet or a host route, so a new network cannot shadow the LAN or a
 * VPN), addresses handed out in order from the pool or its `--ip-range` with a cursor that moves
 * on (a just-freed address is not reused at once, as in libnetwork), all persisted per pool.
 */
import {
  ConflictError, InvalidArgumentError, NotFoundError, UnavailableError,
  type CallOptions, type IpamCapabilities, type IpamDriver, type PoolRequest, type PoolResult, type StateStore,
} from '@keel/sdk';
import {
  addressAt, canonicalCidr, cidrContains, cidrOverlaps, familyBits, formatIp, lastAddress, networkAddress, parseCidr, parseIp, type Cidr,
} from '@keel/sdk/netutil';

/** One entry of daemon.json `default-address-pools`. */
export interface AddressPool {
  readonly base: string;
  readonly size: number;
}

/** Docker's defaults (libnetwork ipamutils): the 172.17-31 /16s, then /20s of 192.168/16. */
export const DOCKER_DEFAULT_POOLS: readonly AddressPool[] = [
  { base: '172.17.0.0/16', size: 16 }, { base: '172.18.0.0/16', size: 16 }, { base: '172.19.0.0/16', size: 16 },
  { base: '172.20.0.0/14', size: 16 }, { base: '172.24.0.0/14', size: 16 }, { base: '172.28.0.0/14', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
];

interface PoolRecord {
  readonly poolId: string;
  readonly subnet: string;
  readonly ipRange?: string;
  readonly gateway?: string;
  readonly allocated: string[];
  cursor: string;
}

/** What the driver needs from its host. */
export interface DefaultIpamOptions {
  readonly state: StateStore;
  /** The daemon's `default-address-pools`, or Docker's defaults. */
  readonly pools: readonly AddressPool[];
  /** Prefixes routed on the host now (read at each pick: routes change). */
  readonly hostRoutes: () => Promise<string[]>;
}

const key = (poolId: string) => `pools/${poolId.replace(/[/:]/g, '_')}`;

/** The `default` IPAM driver. */
export class DefaultIpam implements IpamDriver {
  readonly capabilities: IpamCapabilities = { ipv6: true };
  private readonly pools = new Map<string, PoolRecord>();
  // One operation at a time: picks and allocations read then write the same records.
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: DefaultIpamOptions) {}

  /** Loads the persisted pools. */
  async open(): Promise<void> {
    for (const k of await this.o.state.list('pools/')) {
      const rec = await this.o.state.get<PoolRecord>(k);
      if (rec) this.pools.set(rec.poolId, rec);
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  requestPool(request: PoolRequest, _options?: CallOptions): Promise<PoolResult> {
    return this.serial(async () => {
      const subnet = request.subnet ? canonicalCidr(request.subnet) : await this.pick(request);
      const s = parseCidr(subnet);
      if ((s.family === 6) !== request.v6) throw new InvalidArgumentError(`subnet ${subnet} is not an IPv${request.v6 ? 6 : 4} prefix`);
      for (const p of this.pools.values()) {
        if (cidrOverlaps(p.subnet, s)) throw new ConflictError(`invalid pool request: Pool overlaps with other one on this address space (${subnet} and ${p.subnet})`);
      }
      const ipRange = request.ipRange ? canonicalCidr(request.ipRange) : undefined;
      if (ipRange && !cidrContains(s, ipRange)) throw new InvalidArgumentError(`ip-range ${ipRange} is not within subnet ${subnet}`);
      let gateway: string | undefined;
      if (request.gateway) {
        if (!cidrContains(s, parseIp(request.gateway))) throw new InvalidArgumentError(`gateway ${request.gateway} is not within subnet ${subnet}`);
        gateway = formatIp(parseIp(request.gateway));
      } else if (!request.noGateway) {
        gateway = formatIp(addressAt(s, 1n));
      }
      const rec: PoolRecord = { poolId: subnet, subnet, ipRange, gateway, allocated: gateway ? [gateway] : [], cursor: '' };
      await this.o.state.put(key(rec.poolId), rec);
      this.pools.set(rec.poolId, rec);
      return { poolId: rec.poolId, subnet, gateway, ipRange };
    });
  }

  /** The first default-pool subnet of the right family that overlaps nothing in use. */
  private async pick(request: PoolRequest): Promise<string> {
    const taken = [...[...this.pools.values()].map((p) => p.subnet), ...(request.exclude ?? []), ...(await this.o.hostRoutes())].map((t) => parseCidr(t));
    const pools = request.v6 ? [{ base: 'fd00:6b65:656c::/48', size: 64 }] : this.o.pools;
    for (const pool of pools) {
      const base = parseCidr(pool.base);
      if ((base.family === 6) !== request.v6 || pool.size < base.prefix || pool.size > familyBits(base.family)) continue;
      const step = 1n << BigInt(familyBits(base.family) - pool.size);
      const count = 1n << BigInt(pool.size - base.prefix);
      for (let i = 0n; i < count && i < 65536n; i++) {
        const candidate: Cidr = { family: base.family, value: networkAddress(base).value + i * step, prefix: pool.size };
        if (!taken.some((t) => cidrOverlaps(t, candidate))) return canonicalCidr(candidate);
      }
    }
    throw new UnavailableError('could not find an available, non-overlapping IPv' + (request.v6 ? '6' : '4') + ' address pool among the defaults to assign to the network');
  }

  releasePool(poolId: string, _options?: CallOptions): Promise<void> {
    return this.serial(async () => {
      this.pools.delete(poolId);
      await this.o.state.delete(key(poolId));
    });
  }

  requestAddress(poolId: string, address?: string, _options?: CallOptions): Promise<string> {
    return this.serial(async () => {
      const pool = this.pools.get(poolId);
      if (!pool) throw new NotFoundError(`no IPAM pool ${poolId}`);
      const subnet = parseCidr(pool.subnet);
      let ip: string;
      if (address) {
        const parsed = parseIp(address.split('/')[0]!);
        if (!cidrContains(subnet, parsed)) throw new InvalidArgumentError(`address ${address} is not within subnet ${pool.subnet}`);
        ip = formatIp(parsed);
        if (pool.allocated.includes(ip)) throw new ConflictError(`Address already in use: ${ip}`);
      } else {
        ip = this.next(pool, subnet);
        pool.cursor = ip;
      }
      pool.allocated.push(ip);
      await this.o.state.put(key(poolId), pool);
      return `${ip}/${subnet.prefix}`;
    });
  }

  private next(pool: PoolRecord, subnet: Cidr): string {
    const range = pool.ipRange ? parseCidr(pool.ipRange) : subnet;
    const first = networkAddress(range).value;
    const last = lastAddress(range).value;
    const used = new Set(pool.allocated);
    const start = pool.cursor && cidrContains(range, parseIp(pool.cursor)) ? parseIp(pool.cursor).value + 1n : first;
    const span = last - first + 1n;
    for (let i = 0n; i < span && i < 1_000_000n; i++) {
      const v = first + ((start - first + i) % span);
      // The subnet's own network and (IPv4) broadcast addresses are never handed out.
      if (v === networkAddress(subnet).value || (subnet.family === 4 && v === lastAddress(subnet).value)) continue;
      const text = formatIp({ family: subnet.family, value: v });
      if (!used.has(text)) return text;
    }
    throw new UnavailableError(`no available IPv${subnet.family} addresses on this network's address pools: ${pool.subnet}`);
  }

  releaseAddress(poolId: string, address: string, _options?: CallOptions): Promise<void> {
    return this.serial(async () => {
      const pool = this.pools.get(poolId);
      if (!pool) return;
      const ip = formatIp(parseIp(address.split('/')[0]!));
      const i = pool.allocated.indexOf(ip);
      if (i < 0 || ip === pool.gateway) return;
      pool.allocated.splice(i, 1);
      await this.o.state.put(key(poolId), pool);
    });
  }
}
