/**
 * iproute2 from Node. There is no usable netlink library for Node, so links, addresses and routes
 * are changed through one `ip -batch -` per group of operations (40 operations cost about as
 * much as two single `ip` runs) and read with `ip -json`. Inside another network namespace the
 * same commands run under `nsenter --net=<path>`: Node itself cannot enter a namespace.
 */
import type { CallOptions } from '../drivers/common.js';
import { runTool } from './exec.js';

/** Where a batch runs: the host namespace, or the namespace bound at `netns` (a path). */
export interface IpOptions extends CallOptions {
  /** Path of a network namespace (`/run/netns/x`); absent = the caller's namespace. */
  readonly netns?: string;
  /** Keep going after a failed line (`ip -force`): for teardown, where some parts may be gone already. */
  readonly force?: boolean;
}

/** One link as `ip -json link` shows it (the fields keel reads). */
export interface IpLink {
  readonly ifindex: number;
  readonly ifname: string;
  readonly mtu: number;
  readonly address?: string;
  readonly flags: readonly string[];
  readonly operstate?: string;
  readonly master?: string;
  /** The parent (`veth` peer or macvlan lower device) as `ip` names it. */
  readonly link?: string | null;
  readonly linkinfo?: { readonly info_kind?: string; readonly info_data?: Record<string, unknown> };
}

function ipCommand(args: readonly string[], options: IpOptions): [string, string[]] {
  return options.netns ? ['nsenter', [`--net=${options.netns}`, 'ip', ...args]] : ['ip', [...args]];
}

/** Runs the `ip` commands in `lines` (without the leading `ip`) as one batch. */
export async function ipBatch(lines: readonly string[], options: IpOptions = {}): Promise<void> {
  if (!lines.length) return;
  const [cmd, args] = ipCommand([...(options.force ? ['-force'] : []), '-batch', '-'], options);
  await runTool(cmd, args, { input: `${lines.join('\n')}\n`, signal: options.signal });
}

/** Runs `ip -json <args>` and parses its output (an empty answer is `[]`). */
export async function ipJson<T = unknown>(args: readonly string[], options: IpOptions = {}): Promise<T[]> {
  const [cmd, argv] = ipCommand(['-json', ...args], options);
  const { stdout } = await runTool(cmd, argv, { signal: options.signal });
  return stdout.trim() ? (JSON.parse(stdout) as T[]) : [];
}

/** Every link, with details (`-d`) so `linkinfo.info_kind` is filled. */
export function listLinks(options: IpOptions = {}): Promise<IpLink[]> {
  return ipJson<IpLink>(['-details', 'link', 'show'], options);
}

/** The link named `name`, or undefined. */
export async function findLink(name: string, options: IpOptions = {}): Promise<IpLink | undefined> {
  return (await listLinks(options)).find((l) => l.ifname === name);
}

/** IPv4 and IPv6 routes of the main table (`ip -json route`), as destination prefixes. */
export async function routeDestinations(options: IpOptions = {}): Promise<string[]> {
  const out: string[] = [];
  for (const family of ['-4', '-6']) {
    const routes = await ipJson<{ dst: string }>([family, 'route', 'show', 'table', 'all'], options).catch(() => []);
    for (const r of routes) if (r.dst && r.dst !== 'default' && !r.dst.includes(':') === (family === '-4')) out.push(r.dst);
  }
  return out;
}
