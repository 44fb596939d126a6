/**
 * Names of keel's host network objects. Every name says it is keel's (so reconciliation can find
 * leftovers by prefix) and fits IFNAMSIZ (15 characters).
 */
import { InvalidArgumentError } from '../errors.js';

/** Prefix of every interface keel creates on the host, except the default bridge `keel0`. */
export const KEEL_LINK_PREFIX = 'kl';

/** The default bridge's interface. */
export const DEFAULT_BRIDGE_NAME = 'keel0';

/** Longest Linux interface name. */
export const MAX_IFNAME = 15;

/**
 * A host interface name for object `id` of `role` (`b` bridge, `v` veth host end, `c` container
 * end, `m` macvlan, `t` temporary). Tests pass their own two-letter `prefix` so a keeld on the
 * same host never takes their links for its leftovers (nor they its).
 */
export function linkName(role: 'b' | 'v' | 'c' | 'm' | 't', id: string, prefix = KEEL_LINK_PREFIX): string {
  return `${prefix}${role}-${id.slice(0, MAX_IFNAME - prefix.length - 2)}`;
}

/** Checks a user-supplied interface name (bridge name option, macvlan parent). */
export function checkIfName(name: string, what: string): string {
  if (!name || name.length > MAX_IFNAME || !/^[A-Za-z0-9_.@-]+$/.test(name)) {
    throw new InvalidArgumentError(`invalid ${what} "${name}": at most ${MAX_IFNAME} characters of letters, digits, '_', '-', '.'`);
  }
  return name;
}
