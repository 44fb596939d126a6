/**
 * The network conformance suite over every in-tree network driver, in-process, on the real host
 * (root only). The bridge driver writes its iptables rules into chains with a per-run prefix so a
 * keeld running beside the tests keeps its own `KEEL-*` chains; macvlan gets a veth end as its
 * parent (this kernel has no `dummy` driver), made and removed per case — never eth0. Links are
 * named `kt…` so a keeld on the host (`kl…`) and these cases never take each other's for leftovers.
 */
import { execFileSync } from 'node:child_process';
import { describeNetworkDriverConformance } from '@keel/sdk/testkit';
import { detectIptables } from '@keel/sdk/netutil';
import { BridgeDriver } from '../../plugins/network/bridge/bridge-driver.js';
import { createHostDriver } from '../../plugins/network/host/index.js';
import { MacvlanDriver } from '../../plugins/network/macvlan/macvlan-driver.js';
import { createNoneDriver } from '../../plugins/network/none/index.js';

const chainPrefix = `KT${process.pid}`;

describeNetworkDriverConformance('bridge', async () => ({
  // ip_forward stays as the host has it: the cases only talk between their own namespaces.
  driver: new BridgeDriver({ iptables: await detectIptables(), mtu: 1500, ipForward: false, icc: true, masquerade: true, chainPrefix, linkPrefix: 'kt' }),
  cleanup: async () => {},
}), { invalidOptions: { 'com.docker.network.driver.mtu': 'lots' }, iptablesMarks: [chainPrefix] });

describeNetworkDriverConformance('host', async () => ({ driver: createHostDriver(), cleanup: async () => {} }), { invalidOptions: { foo: 'bar' } });

describeNetworkDriverConformance('none', async () => ({ driver: createNoneDriver(), cleanup: async () => {} }), { invalidOptions: { foo: 'bar' } });

let parentSeq = 0;
describeNetworkDriverConformance('macvlan', async () => {
  const parent = `ktp${process.pid % 100000}x${parentSeq++}`;
  execFileSync('ip', ['link', 'add', parent, 'type', 'veth', 'peer', 'name', `${parent}p`]);
  execFileSync('ip', ['link', 'set', `${parent}p`, 'up']);
  return {
    driver: new MacvlanDriver(undefined, 'kt'),
    networkOptions: { parent, macvlan_mode: 'bridge' },
    cleanup: async () => execFileSync('ip', ['link', 'del', parent], { stdio: 'ignore' }) && undefined,
  };
}, { invalidOptions: { parent: 'x', macvlan_mode: 'sideways' } });
