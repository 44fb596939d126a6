/**
 * `network.host`: containers share the host's network namespace. Nothing is created on the host;
 * the network service gives such containers no namespace path (the OCI spec then has no network
 * namespace entry) and the host's own /etc/hosts and resolv.conf.
 */
import { definePlugin, drivers } from '@keel/sdk';
import { PassiveNetworkDriver } from '@keel/sdk/netutil';

/** The host driver. */
export const createHostDriver = () => new PassiveNetworkDriver({ scope: 'local', usesNamespaces: false, needsIpam: false, singleton: true }, 'host');

export const hostNetworkPlugin = definePlugin({
  id: 'network.host',
  sdk: '^1.0.0',
  description: "containers use the host's network namespace",
  provides: drivers.network,
  init: createHostDriver,
});
