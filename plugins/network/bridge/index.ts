/**
 * `network.bridge`: Docker's bridge driver — a Linux bridge per network, veth pairs into the
 * containers' namespaces, masquerade, isolation between bridges and DNAT for published ports in
 * `KEEL-*` iptables chains (none with `--iptables=false`).
 */
import { coreServices, definePlugin, drivers } from '@keel/sdk';
import { detectIptables } from '@keel/sdk/netutil';
import { BridgeDriver } from './bridge-driver.js';

export { BridgeDriver, BRIDGE_OPTS, macFor, type BridgeDriverOptions } from './bridge-driver.js';

export const bridgeNetworkPlugin = definePlugin({
  id: 'network.bridge',
  sdk: '^1.0.0',
  description: 'Linux bridges, veth pairs, masquerade, isolation and published ports (iptables KEEL-* chains)',
  provides: drivers.network,
  // Host-wide names: a second keeld on the same host (tests, a custom build) picks its own.
  config: {
    schema: {
      type: 'object', additionalProperties: false,
      properties: { linkPrefix: { type: 'string', pattern: '^[a-z]{2}$' }, chainPrefix: { type: 'string', pattern: '^[A-Z][A-Z0-9]{1,11}$' } },
    },
    defaults: { linkPrefix: 'kl', chainPrefix: 'KEEL' } as { linkPrefix: string; chainPrefix: string },
  },
  deps: { config: coreServices.config, log: coreServices.logger },
  async init({ config, log }, { config: own }) {
    const flag = (key: string) => config.get<boolean>(key) !== false;
    return new BridgeDriver({
      iptables: flag('iptables') ? await detectIptables() : undefined,
      mtu: config.get<number>('mtu') ?? 1500,
      ipForward: flag('ip-forward'), icc: flag('icc'), masquerade: flag('ip-masq'), log,
      linkPrefix: own.linkPrefix, chainPrefix: own.chainPrefix,
    });
  },
});
