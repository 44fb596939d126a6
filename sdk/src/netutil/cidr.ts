/**
 * IPv4/IPv6 address arithmetic on bigints: parse, format, contain, overlap. IPAM and the firewall
 * need exact prefix math (pools, ranges, overlap with host routes); strings are never compared.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { InvalidArgumentError } from '../errors.js';

/** An address family. */
export type IpFamily = 4 | 6;

/** A parsed address. */
export interface IpAddress {
  readonly family: IpFamily;
  readonly value: bigint;
}

/** A parsed prefix: `addr` as written (host bits kept), `prefix` its length. */
export interface Cidr extends IpAddress {
  readonly prefix: number;
}

/** Bits in an address of `family`. */
export const familyBits = (family: IpFamily): number => (family === 4 ? 32 : 128);

/** Parses `10.0.0.1` or `fd00::1`; throws InvalidArgumentError on anything else. */
export function parseIp(text: string): IpAddress {
  if (isIPv4(text)) return { family: 4, value: text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n) };
  if (isIPv6(text)) {
    let s = text;
    const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
    if (v4) {
      const n = parseIp(v4[1]!).value;
      s = `${s.slice(0, -v4[1]!.length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
    }
    const [head, tail] = s.includes('::') ? s.split('::') as [string, string] : [s, undefined];
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
    return { family: 6, value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n) };
  }
  throw new InvalidArgumentError(`invalid IP address: ${JSON.stringify(text)}`);
}

/** Formats an address (IPv6 in its shortest form). */
export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return [24n, 16n, 8n, 0n].map((s) => String((ip.value >> s) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((ip.value >> BigInt(112 - i * 16)) & 0xffffn));
  // The longest run of zero groups (at least two) becomes `::`.
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** Parses `10.0.0.0/16`; a bare address is a host prefix (/32 or /128). */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  const bits = familyBits(ip.family);
  const prefix = slash < 0 ? bits : Number(text.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits || (slash >= 0 && !/^\d+$/.test(text.slice(slash + 1)))) {
    throw new InvalidArgumentError(`invalid CIDR address: ${text}`);
  }
  return { ...ip, prefix };
}

/** The host-bit mask of a prefix. */
function hostMask(c: Pick<Cidr, 'family' | 'prefix'>): bigint {
  return (1n << BigInt(familyBits(c.family) - c.prefix)) - 1n;
}

/** The first address of the prefix. */
export function networkAddress(c: Cidr): IpAddress {
  return { family: c.family, value: c.value & ~hostMask(c) };
}

/** The last address of the prefix. */
export function lastAddress(c: Cidr): IpAddress {
  return { family: c.family, value: c.value | hostMask(c) };
}

/** `10.0.0.0/16` from `10.0.3.7/16`. */
export function canonicalCidr(c: Cidr | string): string {
  const p = typeof c === 'string' ? parseCidr(c) : c;
  return `${formatIp(networkAddress(p))}/${p.prefix}`;
}

/** Whether the prefix `outer` contains the address or prefix `inner`. */
export function cidrContains(outer: Cidr | string, inner: Cidr | IpAddress | string): boolean {
  const o = typeof outer === 'string' ? parseCidr(outer) : outer;
  const i = typeof inner === 'string' ? parseCidr(inner) : 'prefix' in inner ? inner : { ...inner, prefix: familyBits(inner.family) };
  if (o.family !== i.family || i.prefix < o.prefix) return false;
  return (i.value & ~hostMask(o)) === networkAddress(o).value;
}

/** Whether two prefixes share any address. */
export function cidrOverlaps(a: Cidr | string, b: Cidr | string): boolean {
  const x = typeof a === 'string' ? parseCidr(a) : a;
  const y = typeof b === 'string' ? parseCidr(b) : b;
  return x.family === y.family && (cidrContains(x, y) || cidrContains(y, x));
}

/** The address `offset` past the start of the prefix. */
export function addressAt(c: Cidr, offset: bigint): IpAddress {
  return { family: c.family, value: networkAddress(c).value + offset };
}

/** Whether `text` is an IP address (v4 or v6). */
export const isIp = (text: string): boolean => isIPv4(text) || isIPv6(text);
