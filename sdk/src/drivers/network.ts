/**
 * The network driver and IPAM contracts (bridge, host, none, macvlan, overlay …).
 * @packageDocumentation
 */
import type { CallOptions, DriverBase } from './common.js';

/** Optional abilities of a network driver. */
export interface NetworkCapabilities {
  /** `local` networks live on one host; `global` ones span hosts (overlay). */
  readonly scope: 'local' | 'global';
  /** Containers attach through their own network namespace (false for host/none). */
  readonly usesNamespaces?: boolean;
}

/** An address assignment. */
export interface IpamConfig {
  readonly subnet: string;
  readonly gateway?: string;
  readonly ipRange?: string;
}

/** Arguments of `createNetwork`. */
export interface CreateNetworkRequest {
  readonly networkId: string;
  readonly name: string;
  readonly options: Readonly<Record<string, string>>;
  readonly ipv4: readonly IpamConfig[];
  readonly ipv6: readonly IpamConfig[];
  readonly internal: boolean;
}

/** Arguments of `createEndpoint`. */
export interface EndpointRequest {
  readonly networkId: string;
  readonly endpointId: string;
  readonly address?: string;
  readonly addressV6?: string;
  readonly macAddress?: string;
  readonly options: Readonly<Record<string, string>>;
}

/** Arguments of `join`: attach an endpoint to a sandbox (a network namespace path). */
export interface JoinRequest {
  readonly networkId: string;
  readonly endpointId: string;
  readonly sandboxKey: string;
  readonly options: Readonly<Record<string, string>>;
}

/** What `join` reports back. */
export interface JoinResult {
  readonly interfaceName?: string;
  readonly gateway?: string;
  readonly gatewayV6?: string;
  readonly staticRoutes?: ReadonlyArray<{ readonly destination: string; readonly nextHop?: string }>;
}

/** A network driver. */
export interface NetworkDriver extends DriverBase<NetworkCapabilities> {
  createNetwork(request: CreateNetworkRequest, options?: CallOptions): Promise<void>;
  deleteNetwork(networkId: string, options?: CallOptions): Promise<void>;
  createEndpoint(request: EndpointRequest, options?: CallOptions): Promise<{ readonly macAddress?: string }>;
  deleteEndpoint(networkId: string, endpointId: string, options?: CallOptions): Promise<void>;
  join(request: JoinRequest, options?: CallOptions): Promise<JoinResult>;
  leave(networkId: string, endpointId: string, options?: CallOptions): Promise<void>;
}

/** Optional abilities of an IPAM driver. */
export interface IpamCapabilities {
  /** Can hand out IPv6 addresses. */
  readonly ipv6: boolean;
}

/** An IPAM driver: address pools and addresses. */
export interface IpamDriver extends DriverBase<IpamCapabilities> {
  requestPool(request: { readonly subnet?: string; readonly ipRange?: string; readonly v6: boolean }, options?: CallOptions): Promise<{ readonly poolId: string; readonly subnet: string }>;
  releasePool(poolId: string, options?: CallOptions): Promise<void>;
  requestAddress(poolId: string, address?: string, options?: CallOptions): Promise<string>;
  releaseAddress(poolId: string, address: string, options?: CallOptions): Promise<void>;
}
