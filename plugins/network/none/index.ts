/**
 * `network.none` (Docker's `null` driver): containers get a network namespace of their own with
 * only `lo` in it. The namespace is the network service's; the driver has nothing to plumb.
 */
import { definePlugin, drivers } from '@keel/sdk';
import { PassiveNetworkDriver } from '@keel/sdk/netutil';

/** The none driver. */
export const createNoneDriver = () => new PassiveNetworkDriver({ scope: 'local', usesNamespaces: true, needsIpam: false, singleton: true }, 'null');

export const noneNetworkPlugin = definePlugin({
  id: 'network.none',
  sdk: '^1.0.0',
  description: 'containers get a network namespace with only lo',
  provides: drivers.network,
  init: createNoneDriver,
});
