import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BridgeDriver, macFor } from './bridge-driver.js';
import { firewallDocument } from './bridge-firewall.js';

describe('bridge firewall rules', () => {
  const nets = [
    { bridge: 'br-a', subnets: ['10.1.0.0/24'], internal: false, icc: true, masquerade: true },
    { bridge: 'br-i', subnets: ['10.2.0.0/24'], internal: true, icc: false, masquerade: true },
  ];
  const doc = firewallDocument(nets, [{ bridge: 'br-a', containerIp: '10.1.0.2', ports: [
    { protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 18080, containerPort: 80 },
    { protocol: 'udp', hostIp: '0.0.0.0', hostPort: 5353, containerPort: 53 },
  ] }]);
  const lines = doc.split('\n');

  it('publishes ports with DNAT (loopback included), accepts them in forwarding and masquerades host sources', () => {
    expect(lines).toContain('-A KEEL-DNAT -d 127.0.0.1/32 ! -i br-a -p tcp -m tcp --dport 18080 -j DNAT --to-destination 10.1.0.2:80');
    expect(lines).toContain('-A KEEL-DNAT ! -i br-a -p udp -m udp --dport 5353 -j DNAT --to-destination 10.1.0.2:53');
    expect(lines).toContain('-A KEEL-PORTS -d 10.1.0.2/32 ! -i br-a -o br-a -p tcp -m tcp --dport 80 -j ACCEPT');
    expect(lines).toContain('-A KEEL-POSTROUTING -o br-a -m addrtype --src-type LOCAL -j MASQUERADE');
    expect(lines).toContain('-A KEEL-POSTROUTING -s 10.1.0.0/24 ! -o br-a -j MASQUERADE');
  });

  it('isolates bridges from each other and internal networks from everything; icc off drops same-bridge traffic', () => {
    expect(lines).toContain('-A KEEL-ISOLATION-1 -i br-a ! -o br-a -j KEEL-ISOLATION-2');
    expect(lines).toContain('-A KEEL-ISOLATION-2 -o br-i -j DROP');
    expect(lines).toContain('-A KEEL-FORWARD -i br-i ! -o br-i -j DROP');
    expect(lines).toContain('-A KEEL-FORWARD -i br-i -o br-i -j DROP');
    expect(doc).not.toMatch(/-s 10\.2\.0\.0\/24 .*MASQUERADE/);
    expect(lines.filter((l) => l === 'COMMIT')).toHaveLength(2);
  });

  it('derives MAC addresses from IPv4 addresses as Docker does', () => {
    expect(macFor('172.17.0.2/16')).toBe('02:42:ac:11:00:02');
    expect(macFor(undefined)).toMatch(/^02:42(:[0-9a-f]{2}){4}$/);
  });
});

describe.skipIf(process.getuid?.() !== 0)('bridge driver with --iptables=false', () => {
  it('plumbs the bridge and ports but writes no rule at all', async () => {
    const save = () => execFileSync('iptables-save', [], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('-A')).sort();
    const before = save();
    const d = new BridgeDriver({ iptables: undefined, mtu: 1500, ipForward: false, icc: true, masquerade: true, linkPrefix: 'kt' });
    const networkId = randomBytes(32).toString('hex');
    const endpointId = randomBytes(32).toString('hex');
    try {
      await d.createNetwork({ networkId, name: 'x', options: {}, ipv4: [{ subnet: '10.221.0.0/24', gateway: '10.221.0.1' }], ipv6: [], internal: false, noFirewall: true });
      await d.createEndpoint({ networkId, endpointId, address: '10.221.0.2/24', options: {} });
      await d.programPorts({ networkId, endpointId, containerIp: '10.221.0.2', ports: [{ protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 18081, containerPort: 80 }] });
      expect(save()).toEqual(before);
    } finally {
      await d.deleteEndpoint(networkId, endpointId);
      await d.deleteNetwork(networkId);
    }
    expect(execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' })).not.toMatch(/ktb-|ktv-/);
  });
});
