/**
 * `ipam.default`: Docker's default IPAM driver — subnets from daemon.json `default-address-pools`
 * (or Docker's defaults) that overlap no host route, addresses persisted across restarts.
 */
import { coreServices, definePlugin, drivers } from '@keel/sdk';
import { routeDestinations } from '@keel/sdk/netutil';
import { DefaultIpam, DOCKER_DEFAULT_POOLS, type AddressPool } from './default-ipam.js';

export { DefaultIpam, DOCKER_DEFAULT_POOLS, type AddressPool, type DefaultIpamOptions } from './default-ipam.js';

export const defaultIpamPlugin = definePlugin({
  id: 'ipam.default',
  sdk: '^1.0.0',
  description: 'subnets from the default address pools that overlap no host route; addresses persisted',
  provides: drivers.ipam,
  deps: { state: coreServices.state, config: coreServices.config },
  async init({ state, config }) {
    const pools = config.get<AddressPool[]>('default-address-pools');
    const ipam = new DefaultIpam({ state, pools: pools?.length ? pools : DOCKER_DEFAULT_POOLS, hostRoutes: () => routeDestinations() });
    await ipam.open();
    return ipam;
  },
});
