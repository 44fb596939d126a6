/**
 * Where a registry is reached and how: HTTPS with the system CAs plus Docker's `certs.d` layout
 * (`<certsDir>/<host:port>/*.crt` are CAs, `*.cert` + `*.key` a client certificate), plain HTTP
 * only as a fallback for insecure registries (`insecure-registries`, and 127.0.0.0/8 as Docker
 * does), and `registry-mirrors` tried before Docker Hub.
 */
import { lookup } from 'node:dns/promises';
import { readdir, readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import tls from 'node:tls'; // the default export: a named import would read all root certificates at start-up

/** What decides how registries are reached (daemon.json keys and the plugin's options). */
export interface RegistryHostsOptions {
  /** `insecure-registries`: `host[:port]` names or CIDRs. */
  readonly insecure: readonly string[];
  /** `registry-mirrors`: URLs tried first for Docker Hub images. */
  readonly mirrors: readonly string[];
  /** Docker's certs.d directory (default `/etc/keel/certs.d`). */
  readonly certsDir: string;
  /** Whether 127.0.0.0/8 and ::1 count as insecure (Docker: always). */
  readonly loopbackInsecure: boolean;
}

/** TLS material for one host. */
export interface TlsMaterial {
  readonly ca?: string[];
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** Skip verification (insecure registries). */
  readonly rejectUnauthorized: boolean;
}

/** One way to reach a registry. */
export interface RegistryEndpoint {
  /** `https://host:port` or `http://host:port`. */
  readonly origin: string;
  /** The host[:port] as references name it (for certs.d and messages). */
  readonly host: string;
  readonly tls: TlsMaterial;
  /** A mirror (failures fall through to the next endpoint). */
  readonly mirror: boolean;
}

/** Docker Hub's API host. */
export const DOCKER_HUB = 'registry-1.docker.io';

function inCidr(ip: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split('/');
  if (!net || bitsText === undefined || isIP(net) !== 4 || isIP(ip) !== 4) return false;
  const bits = Number(bitsText);
  const toInt = (a: string) => a.split('.').reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return ((toInt(ip) & mask) >>> 0) === ((toInt(net) & mask) >>> 0);
}

function hostOnly(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const cut = host.lastIndexOf(':');
  return cut > 0 && host.indexOf(':') === cut ? host.slice(0, cut) : host;
}

/** Resolves registry hosts to endpoints. */
export class RegistryHosts {
  constructor(private readonly options: () => RegistryHostsOptions) {}

  /** Whether `host` is insecure: listed by name or CIDR, or loopback (as Docker treats 127.0.0.0/8). */
  async isInsecure(host: string): Promise<boolean> {
    const o = this.options();
    if (o.insecure.some((e) => e.replace(/^https?:\/\//, '').replace(/\/$/, '') === host)) return true;
    const name = hostOnly(host);
    const addrs = isIP(name) ? [name] : await lookup(name, { all: true }).then((a) => a.map((x) => x.address), () => [] as string[]);
    const cidrs = [...o.insecure.filter((e) => e.includes('/')), ...(o.loopbackInsecure ? ['127.0.0.0/8'] : [])];
    return addrs.some((a) => (o.loopbackInsecure && a === '::1') || cidrs.some((c) => inCidr(a, c)));
  }

  /** TLS material for `host` from certs.d (absent directory: system CAs only). */
  async tlsFor(host: string, insecure: boolean): Promise<TlsMaterial> {
    const dir = path.join(this.options().certsDir, host.replace(/\//g, '_'));
    const names = await readdir(dir).catch(() => [] as string[]);
    const ca: string[] = [];
    let cert: Buffer | undefined;
    let key: Buffer | undefined;
    for (const n of names.sort()) {
      if (n.endsWith('.crt')) ca.push(await readFile(path.join(dir, n), 'utf8'));
      if (n.endsWith('.cert')) {
        const keyName = `${n.slice(0, -'.cert'.length)}.key`;
        if (!names.includes(keyName)) throw new Error(`missing key ${keyName} for client certificate ${n} in ${dir}`);
        [cert, key] = [await readFile(path.join(dir, n)), await readFile(path.join(dir, keyName))];
      }
    }
    // Node's `ca` replaces the default bundle: keep the system roots next to the registry's CAs.
    return { ...(ca.length ? { ca: [...tls.rootCertificates, ...ca] } : {}), ...(cert ? { cert, key } : {}), rejectUnauthorized: !insecure };
  }

  /** Endpoints to try for `domain` (as references name it: `docker.io`, `127.0.0.1:5000`), in order. */
  async endpoints(domain: string): Promise<RegistryEndpoint[]> {
    const out: RegistryEndpoint[] = [];
    if (domain === 'docker.io') {
      for (const m of this.options().mirrors) {
        const url = new URL(m);
        const insecure = url.protocol === 'http:' || (await this.isInsecure(url.host));
        out.push({ origin: url.origin, host: url.host, tls: await this.tlsFor(url.host, insecure), mirror: true });
      }
      return [...out, { origin: `https://${DOCKER_HUB}`, host: DOCKER_HUB, tls: await this.tlsFor(DOCKER_HUB, false), mirror: false }];
    }
    const insecure = await this.isInsecure(domain);
    const tls = await this.tlsFor(domain, insecure);
    out.push({ origin: `https://${domain}`, host: domain, tls, mirror: false });
    if (insecure) out.push({ origin: `http://${domain}`, host: domain, tls, mirror: false });
    return out;
  }
}
