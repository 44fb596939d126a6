/**
 * Host ports for published container ports: `-p 8080:80`, `-p 127.0.0.1::80` (ephemeral),
 * `-p 8000-8010:80` (first free in the range), `/udp`, and `-P` (every exposed port, ephemeral).
 * A chosen port is *reserved* by binding a socket to it in the daemon: a port another process
 * already listens on fails the start with Docker's "port is already allocated" message, and no
 * process can take a published port later. The DNAT rules catch the traffic before the socket
 * would ever see it. All ports of one container are taken together or not at all.
 */
import dgram from 'node:dgram';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { ConflictError, InvalidArgumentError } from '@keel/sdk';
import type { PortBindingInput, PortRecord } from './network-types.js';

/** One wanted binding before a host port is chosen. */
export interface WantedPort {
  readonly protocol: 'tcp' | 'udp' | 'sctp';
  readonly containerPort: number;
  readonly hostIp: string;
  /** Inclusive host port range; undefined = ephemeral. */
  readonly range?: readonly [number, number];
}

function portNumber(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) throw new InvalidArgumentError(`invalid ${what} "${text}": expected 1-65535`);
  return n;
}

/** `80/tcp` → [80, 'tcp']. */
export function parsePortKey(key: string): [number, 'tcp' | 'udp' | 'sctp'] {
  const [port = '', proto = 'tcp'] = key.split('/');
  if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') throw new InvalidArgumentError(`invalid protocol "${proto}" in port ${key}`);
  return [portNumber(port, 'container port'), proto];
}

/** The bindings a container asks for (`PortBindings`, plus every exposed port with `-P`). */
export function wantedPorts(bindings: Readonly<Record<string, readonly PortBindingInput[] | null>> | null | undefined, publishAll: boolean, exposed: readonly string[], defaultHostIp = '0.0.0.0'): WantedPort[] {
  const out: WantedPort[] = [];
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const [containerPort, protocol] = parsePortKey(key);
    for (const b of list?.length ? list : [{}]) {
      const hostIp = b.HostIp || defaultHostIp;
      if (!net.isIPv4(hostIp)) throw new InvalidArgumentError(`invalid host IP "${hostIp}" for port ${key}: only IPv4 host addresses can be published`);
      const hp = b.HostPort ?? '';
      let range: [number, number] | undefined;
      if (hp) {
        const [lo = '', hi = lo] = hp.split('-');
        range = [portNumber(lo, 'host port'), portNumber(hi, 'host port')];
        if (range[0] > range[1]) throw new InvalidArgumentError(`invalid host port range ${hp}`);
      }
      out.push({ protocol, containerPort, hostIp, range });
    }
  }
  if (publishAll) {
    for (const key of exposed) {
      const [containerPort, protocol] = parsePortKey(key);
      if (!out.some((w) => w.containerPort === containerPort && w.protocol === protocol)) out.push({ protocol, containerPort, hostIp: defaultHostIp });
    }
  }
  return out;
}

interface Reservation {
  readonly owner: string;
  readonly port: PortRecord;
  readonly close: () => void;
}

async function ephemeralRange(): Promise<[number, number]> {
  const text = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '32768 60999');
  const [lo = 32768, hi = 60999] = text.trim().split(/\s+/).map(Number);
  return [lo, hi];
}

/** Binds a socket on the port, or rejects (EADDRINUSE) when something holds it. */
function reserve(p: PortRecord): Promise<() => void> {
  if (p.protocol === 'sctp') return Promise.resolve(() => undefined);
  return new Promise((resolve, reject) => {
    if (p.protocol === 'udp') {
      const s = dgram.createSocket('udp4');
      s.once('error', reject);
      s.bind(p.hostPort, p.hostIp, () => resolve(() => s.close()));
      s.unref();
    } else {
      const s = net.createServer((c) => c.destroy());
      s.once('error', reject);
      s.listen({ port: p.hostPort, host: p.hostIp, exclusive: true }, () => resolve(() => s.close()));
      s.unref();
    }
  });
}

/** The daemon's port reservations. */
export class PortAllocator {
  private readonly taken: Reservation[] = [];

  private clash(p: Pick<PortRecord, 'protocol' | 'hostIp' | 'hostPort'>): boolean {
    return this.taken.some((t) => t.port.protocol === p.protocol && t.port.hostPort === p.hostPort
      && (t.port.hostIp === p.hostIp || t.port.hostIp === '0.0.0.0' || p.hostIp === '0.0.0.0'));
  }

  /** Chooses and reserves host ports for `owner`; all or nothing. */
  async allocate(owner: string, wanted: readonly WantedPort[]): Promise<PortRecord[]> {
    const done: PortRecord[] = [];
    try {
      for (const w of wanted) done.push(await this.one(owner, w));
      return done;
    } catch (err) {
      this.release(owner, done);
      throw err;
    }
  }

  /** Re-reserves ports recorded before a daemon restart (best effort: the DNAT rules are what matter). */
  async restore(owner: string, ports: readonly PortRecord[]): Promise<void> {
    for (const p of ports) {
      if (this.clash(p)) continue;
      const close = await reserve(p).catch(() => () => undefined);
      this.taken.push({ owner, port: p, close });
    }
  }

  private async one(owner: string, w: WantedPort): Promise<PortRecord> {
    const [lo, hi] = w.range ?? (await ephemeralRange());
    const start = w.range ? lo : lo + Math.floor(Math.random() * (hi - lo + 1));
    let lastErr: unknown;
    for (let i = 0; i <= hi - lo; i++) {
      const hostPort = lo + ((start - lo + i) % (hi - lo + 1));
      const port: PortRecord = { protocol: w.protocol, hostIp: w.hostIp, hostPort, containerPort: w.containerPort };
      if (this.clash(port)) continue;
      try {
        const close = await reserve(port);
        this.taken.push({ owner, port, close });
        return port;
      } catch (err) {
        lastErr = err;
      }
    }
    const where = `${w.hostIp}:${w.range ? (lo === hi ? lo : `${lo}-${hi}`) : 'ephemeral'}`;
    const inUse = (lastErr as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE' ? 'address already in use' : 'port is already allocated';
    throw new ConflictError(`driver failed programming external connectivity: Bind for ${where} failed: ${inUse}`);
  }

  /** Frees `owner`'s reservations (only `ports` when given). */
  release(owner: string, ports?: readonly PortRecord[]): void {
    for (let i = this.taken.length - 1; i >= 0; i--) {
      const t = this.taken[i]!;
      if (t.owner !== owner || (ports && !ports.includes(t.port))) continue;
      t.close();
      this.taken.splice(i, 1);
    }
  }

  /** Frees everything (daemon stop). */
  releaseAll(): void {
    for (const t of this.taken.splice(0)) t.close();
  }
}
