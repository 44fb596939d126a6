/**
 * The networks the daemon makes itself: `bridge` on the Linux bridge `keel0` (or `--bridge`),
 * its subnet from `--bip`/`--fixed-cidr` or else the first default pool that overlaps no host
 * route; `host`; and `none`. Made once and kept (like docker0, the default bridge outlives the
 * daemon so live-restored containers keep their network); missing drivers skip theirs.
 */
import type { ConfigService, DriverSet, Logger, NetworkDriver } from '@keel/sdk';
import { canonicalCidr, DEFAULT_BRIDGE_NAME } from '@keel/sdk/netutil';
import type { NetworkCreateBody, NetworksService } from './network-service.js';
import type { NetworkStore } from './network-store.js';

/** The bridge network's create body from the daemon configuration. */
export function defaultBridgeBody(config: ConfigService): NetworkCreateBody {
  const bip = config.get<string>('bip');
  const fixed = config.get<string>('fixed-cidr');
  const mtu = config.get<number>('mtu');
  return {
    Name: 'bridge', Driver: 'bridge',
    IPAM: { Driver: 'default', Config: bip ? [{ Subnet: canonicalCidr(bip), Gateway: bip.split('/')[0], IPRange: fixed || undefined }] : [] },
    Options: {
      'com.docker.network.bridge.default_bridge': 'true',
      'com.docker.network.bridge.enable_icc': String(config.get<boolean>('icc') !== false),
      'com.docker.network.bridge.enable_ip_masquerade': String(config.get<boolean>('ip-masq') !== false),
      'com.docker.network.bridge.host_binding_ipv4': config.get<string>('ip') || '0.0.0.0',
      'com.docker.network.bridge.name': config.get<string>('bridge') || DEFAULT_BRIDGE_NAME,
      'com.docker.network.driver.mtu': String(mtu ?? 1500),
    },
  };
}

/** Creates the predefined networks that are missing. */
export async function ensurePredefined(service: NetworksService, store: NetworkStore, drivers: DriverSet<NetworkDriver>, config: ConfigService, log: Logger): Promise<void> {
  const wanted: NetworkCreateBody[] = [defaultBridgeBody(config), { Name: 'host', Driver: 'host' }, { Name: 'none', Driver: 'none' }];
  for (const body of wanted) {
    if (!drivers.get(body.Driver!) || store.find(body.Name!)) continue;
    if (body.Name === 'bridge' && config.get<string>('bridge') === 'none') continue;
    await service.create(body, true).catch((err: unknown) => log.error({ err, network: body.Name }, `predefined network ${body.Name} could not be created`));
  }
}
