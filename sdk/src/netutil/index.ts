/**
 * `@keel/sdk/netutil`: host networking helpers for network plugins — iproute2 batches and JSON
 * reads, named network namespaces, iptables on the host's backend, and IPv4/IPv6 prefix math.
 * Linux only; the calls need CAP_NET_ADMIN.
 * @packageDocumentation
 */
export * from './exec.js';
export * from './iproute.js';
export * from './netns.js';
export * from './iptables.js';
export * from './cidr.js';
export * from './names.js';
export * from './passive-driver.js';
