/**
 * `network.macvlan`: containers appear on the parent interface's LAN with their own MAC
 * (modes bridge, private, vepa, passthru; `-o parent=eth1.20` creates the 802.1q sub-interface).
 */
import { coreServices, definePlugin, drivers } from '@keel/sdk';
import { MacvlanDriver } from './macvlan-driver.js';

export { MacvlanDriver } from './macvlan-driver.js';

export const macvlanNetworkPlugin = definePlugin({
  id: 'network.macvlan',
  sdk: '^1.0.0',
  description: 'macvlan links on a parent interface (bridge/private/vepa/passthru, 802.1q sub-interfaces)',
  provides: drivers.network,
  config: {
    schema: { type: 'object', additionalProperties: false, properties: { linkPrefix: { type: 'string', pattern: '^[a-z]{2}$' } } },
    defaults: { linkPrefix: 'kl' } as { linkPrefix: string },
  },
  deps: { log: coreServices.logger },
  init: ({ log }, { config }) => new MacvlanDriver(log, config.linkPrefix),
});
