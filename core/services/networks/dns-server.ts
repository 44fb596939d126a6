/**
 * The embedded DNS server of user-defined networks. Node cannot enter a container's namespace, so
 * instead of Docker's 127.0.0.11 inside each container it listens (UDP and TCP) on each bridge's
 * gateway address in the host namespace, as aardvark-dns does; containers get that address as
 * their nameserver. Names of the network (container names, aliases, link aliases of the asking
 * container) are answered here; everything else is relayed to the upstream servers, except on
 * internal networks, which must not leak queries out (CVE-2024-29018).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from '@keel/sdk';
import { buildAnswer, parseQuery, RCODE, TYPE_A, TYPE_AAAA } from './dns-message.js';

/** What the server asks the network service for each query. */
export interface DnsResolver {
  /** Addresses of `name` on network `networkId` as seen by the container at `sourceIp`; undefined = not ours. */
  lookup(networkId: string, sourceIp: string, name: string): { v4: string[]; v6: string[] } | undefined;
  /** Upstream servers for the asking container (its `--dns`, the daemon's, or the host's). */
  upstreams(networkId: string, sourceIp: string): Promise<string[]>;
  /** Internal networks get no forwarding. */
  isInternal(networkId: string): boolean;
}

interface Listener {
  readonly udp: dgram.Socket;
  readonly tcp: net.Server;
}

const FORWARD_TIMEOUT_MS = 3000;

/** The per-network listeners. */
export class EmbeddedDns {
  private readonly listeners = new Map<string, Listener>();

  constructor(private readonly resolver: DnsResolver, private readonly log: Logger, private readonly port = 53) {}

  /** Starts answering on `address` for network `networkId` (no-op when already listening). */
  async listen(networkId: string, address: string): Promise<void> {
    if (this.listeners.has(networkId)) return;
    const type = address.includes(':') ? 'udp6' : 'udp4';
    const udp = dgram.createSocket({ type, reuseAddr: true });
    const tcp = net.createServer((sock) => this.serveTcp(networkId, sock));
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(this.port, address, () => resolve());
      });
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(this.port, address, () => resolve());
      });
    } catch (err) {
      udp.close();
      tcp.close();
      this.log.warn({ err, address }, `embedded DNS not available on ${address}: containers of this network cannot resolve each other by name`);
      return;
    }
    udp.on('error', (err) => this.log.warn({ err }, 'embedded DNS socket error'));
    udp.on('message', (msg, rinfo) => {
      void this.answer(networkId, rinfo.address, msg, 'udp').then((out) => out && udp.send(out, rinfo.port, rinfo.address));
    });
    this.listeners.set(networkId, { udp, tcp });
  }

  /** Stops answering for the network. */
  async close(networkId: string): Promise<void> {
    const l = this.listeners.get(networkId);
    if (!l) return;
    this.listeners.delete(networkId);
    l.udp.close();
    await new Promise<void>((resolve) => l.tcp.close(() => resolve()));
  }

  /** Stops every listener. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.listeners.keys()].map((id) => this.close(id)));
  }

  private serveTcp(networkId: string, sock: net.Socket): void {
    let buf = Buffer.alloc(0);
    sock.setTimeout(10_000, () => sock.destroy());
    sock.on('error', () => sock.destroy());
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        void this.answer(networkId, sock.remoteAddress?.replace(/^::ffff:/, '') ?? '', msg, 'tcp').then((out) => {
          if (!out || sock.destroyed) return;
          const len = Buffer.alloc(2);
          len.writeUInt16BE(out.length);
          sock.write(Buffer.concat([len, out]));
        });
      }
    });
  }

  /** The answer to one message, or undefined to stay silent (not a query we can parse). */
  private async answer(networkId: string, source: string, msg: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    const q = parseQuery(msg);
    if (!q) return undefined;
    const mine = q.klass === 1 ? this.resolver.lookup(networkId, source, q.name) : undefined;
    if (mine && (q.type === TYPE_A || q.type === TYPE_AAAA)) {
      return buildAnswer(msg, q, RCODE.noError, q.type === TYPE_A ? mine.v4 : mine.v6);
    }
    // Our name asked for another type (MX, TXT …): it exists, with no such records.
    if (mine) return buildAnswer(msg, q, RCODE.noError);
    if (this.resolver.isInternal(networkId)) return buildAnswer(msg, q, RCODE.refused);
    for (const upstream of await this.resolver.upstreams(networkId, source)) {
      const out = await (transport === 'udp' ? forwardUdp(msg, upstream) : forwardTcp(msg, upstream)).catch(() => undefined);
      if (out) return out;
    }
    return buildAnswer(msg, q, RCODE.servFail);
  }
}

/** `1.2.3.4`, `1.2.3.4:5353` (a resolver on another port, e.g. in tests) or an IPv6 address. */
function target(server: string): [string, number] {
  const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(server);
  return m ? [m[1]!, Number(m[2])] : [server, 53];
}

function forwardUdp(msg: Buffer, upstream: string): Promise<Buffer> {
  const [server, port] = target(upstream);
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(server.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => done(new Error('timeout')), FORWARD_TIMEOUT_MS);
    const done = (err?: Error, out?: Buffer) => {
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(out!);
    };
    sock.on('error', (err) => done(err));
    sock.on('message', (out) => {
      if (out.length >= 2 && out.readUInt16BE(0) === msg.readUInt16BE(0)) done(undefined, out);
    });
    sock.send(msg, port, server);
  });
}

function forwardTcp(msg: Buffer, upstream: string): Promise<Buffer> {
  const [server, port] = target(upstream);
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, server);
    let buf = Buffer.alloc(0);
    sock.setTimeout(FORWARD_TIMEOUT_MS, () => sock.destroy(new Error('timeout')));
    sock.on('error', reject);
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(msg.length);
      sock.write(Buffer.concat([len, msg]));
    });
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        sock.end();
      }
    });
  });
}
