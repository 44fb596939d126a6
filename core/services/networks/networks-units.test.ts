/**
 * Pure parts of the network service: the DNS wire format, /etc/hosts and resolv.conf contents,
 * published-port parsing and reservation, and the default IPAM driver (no root needed).
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '@keel/sdk/testkit';
import { DefaultIpam } from '../../../plugins/ipam/default/default-ipam.js';
import { hostsFile, resolvConfFile, type ContainerFilesInput } from './container-files.js';
import { buildAnswer, parseQuery, RCODE, TYPE_A } from './dns-message.js';
import { PortAllocator, wantedPorts } from './port-allocator.js';

function query(name: string, type = TYPE_A): Buffer {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  return Buffer.concat([Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, type, 0, 1])]);
}

describe('dns message', () => {
  it('reads the question and answers with A records pointing back at it', () => {
    const q = parseQuery(query('Web.Example'))!;
    expect(q).toMatchObject({ id: 0x1234, name: 'web.example', type: TYPE_A, klass: 1, rd: true });
    const a = buildAnswer(query('Web.Example'), q, RCODE.noError, ['10.1.2.3']);
    expect(a.readUInt16BE(0)).toBe(0x1234);
    expect(a.readUInt16BE(2) & 0x800f).toBe(0x8000);
    expect(a.readUInt16BE(6)).toBe(1);
    expect([...a.subarray(a.length - 4)]).toEqual([10, 1, 2, 3]);
    expect(buildAnswer(query('x'), parseQuery(query('x'))!, RCODE.refused).readUInt16BE(2) & 0xf).toBe(5);
  });

  it('ignores responses, truncated messages and several questions', () => {
    const resp = query('a');
    resp.writeUInt16BE(0x8100, 2);
    expect(parseQuery(resp)).toBeUndefined();
    expect(parseQuery(query('abc').subarray(0, 14))).toBeUndefined();
    const two = query('a');
    two.writeUInt16BE(2, 4);
    expect(parseQuery(two)).toBeUndefined();
  });
});

const files = (over: Partial<ContainerFilesInput> = {}): ContainerFilesInput => ({
  hostNetwork: false, hostname: 'c1', addresses: ['172.18.0.2'], extraHosts: [], linkHosts: [], dns: [], dnsSearch: [], dnsOptions: [],
  hostResolv: 'nameserver 127.0.0.53\nnameserver 10.0.0.1\nsearch corp.example\noptions edns0\n', hostHosts: '127.0.0.1 localhost\n1.2.3.4 myhost\n', ...over,
});

describe('container files', () => {
  it('hosts: localhost lines, --add-host (host-gateway too), links, the container itself', () => {
    const text = hostsFile(files({ extraHosts: ['db:10.0.0.9', 'gw:host-gateway', 'v6:[fd00::1]'], hostGateway: '172.17.0.1', linkHosts: [{ ip: '172.17.0.5', names: ['alias', 'other'] }], domainname: 'example' }));
    expect(text).toMatch(/^127\.0\.0\.1\tlocalhost$/m);
    expect(text).toMatch(/^10\.0\.0\.9\tdb$/m);
    expect(text).toMatch(/^172\.17\.0\.1\tgw$/m);
    expect(text).toMatch(/^fd00::1\tv6$/m);
    expect(text).toMatch(/^172\.17\.0\.5\talias other$/m);
    expect(text).toMatch(/^172\.18\.0\.2\tc1\.example c1$/m);
    expect(hostsFile(files({ hostNetwork: true, extraHosts: ['x:1.1.1.1'] }))).toBe('127.0.0.1 localhost\n1.2.3.4 myhost\n1.1.1.1\tx\n');
  });

  it('resolv.conf: the embedded DNS on user networks, host servers without loopback otherwise, --dns overrides', () => {
    expect(resolvConfFile(files({ embeddedDns: '172.18.0.1' }))).toBe('nameserver 172.18.0.1\nsearch corp.example\noptions edns0 ndots:0\n');
    expect(resolvConfFile(files())).toBe('nameserver 10.0.0.1\nsearch corp.example\noptions edns0\n');
    expect(resolvConfFile(files({ hostResolv: 'nameserver 127.0.0.53\n' }))).toBe('nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
    expect(resolvConfFile(files({ dns: ['9.9.9.9'], dnsSearch: ['a.b'], dnsOptions: ['ndots:2'] }))).toBe('nameserver 9.9.9.9\nsearch a.b\noptions ndots:2\n');
  });
});

describe('published ports', () => {
  it('parses bindings, ranges, udp and -P', () => {
    expect(wantedPorts({ '80/tcp': [{ HostIp: '', HostPort: '8080' }], '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }], '90/tcp': [{ HostPort: '9000-9010' }] }, true, ['80/tcp', '443/tcp'])).toEqual([
      { protocol: 'tcp', containerPort: 80, hostIp: '0.0.0.0', range: [8080, 8080] },
      { protocol: 'udp', containerPort: 53, hostIp: '127.0.0.1', range: undefined },
      { protocol: 'tcp', containerPort: 90, hostIp: '0.0.0.0', range: [9000, 9010] },
      { protocol: 'tcp', containerPort: 443, hostIp: '0.0.0.0' },
    ]);
    expect(() => wantedPorts({ '80/tcp': [{ HostPort: '99999' }] }, false, [])).toThrow(/1-65535/);
    expect(() => wantedPorts({ '80/xdp': [] }, false, [])).toThrow(/protocol/);
  });

  it('reserves ports all or nothing; a port held elsewhere is a conflict naming it', async () => {
    const ports = new PortAllocator();
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const taken = (busy.address() as net.AddressInfo).port;
    try {
      const [p] = await ports.allocate('a', [{ protocol: 'tcp', containerPort: 80, hostIp: '127.0.0.1' }]);
      await expect(ports.allocate('b', [{ protocol: 'tcp', containerPort: 81, hostIp: '127.0.0.1', range: [p!.hostPort, p!.hostPort] }])).rejects.toThrow(/port is already allocated/);
      await expect(ports.allocate('c', [{ protocol: 'udp', containerPort: 1, hostIp: '127.0.0.1' }, { protocol: 'tcp', containerPort: 2, hostIp: '127.0.0.1', range: [taken, taken] }]))
        .rejects.toThrow(`Bind for 127.0.0.1:${taken} failed: address already in use`);
      ports.release('a');
      expect(await ports.allocate('b', [{ protocol: 'tcp', containerPort: 81, hostIp: '127.0.0.1', range: [p!.hostPort, p!.hostPort] }])).toHaveLength(1);
    } finally {
      ports.releaseAll();
      busy.close();
    }
  });
});

describe('default IPAM', () => {
  const open = async (state = new MemoryStateStore(), routes: string[] = []) => {
    const ipam = new DefaultIpam({ state, pools: [{ base: '10.50.0.0/16', size: 24 }], hostRoutes: async () => routes });
    await ipam.open();
    return ipam;
  };

  it('picks pools that overlap neither pools in use nor host routes', async () => {
    const ipam = await open(undefined, ['10.50.0.0/24', '10.50.2.5']);
    expect((await ipam.requestPool({ v6: false })).subnet).toBe('10.50.1.0/24');
    expect((await ipam.requestPool({ v6: false, exclude: ['10.50.3.0/24'] })).subnet).toBe('10.50.4.0/24');
    await expect(ipam.requestPool({ v6: false, subnet: '10.50.1.128/25' })).rejects.toThrow(/overlaps/);
    expect((await ipam.requestPool({ v6: true })).subnet).toMatch(/^fd00:6b65:656c::\/64$/);
  });

  it('hands out addresses in order from the range, skips the gateway, refuses taken ones and persists them', async () => {
    const state = new MemoryStateStore();
    const ipam = await open(state);
    const pool = await ipam.requestPool({ v6: false, subnet: '10.60.0.0/24', ipRange: '10.60.0.0/30' });
    expect(pool.gateway).toBe('10.60.0.1');
    expect(await ipam.requestAddress(pool.poolId)).toBe('10.60.0.2/24');
    expect(await ipam.requestAddress(pool.poolId)).toBe('10.60.0.3/24');
    await expect(ipam.requestAddress(pool.poolId)).rejects.toThrow(/no available/);
    await expect(ipam.requestAddress(pool.poolId, '10.60.0.3')).rejects.toThrow(/already in use/);
    expect(await ipam.requestAddress(pool.poolId, '10.60.0.200')).toBe('10.60.0.200/24');
    await ipam.releaseAddress(pool.poolId, '10.60.0.2/24');
    const again = await open(state);
    expect(await again.requestAddress(pool.poolId)).toBe('10.60.0.2/24');
    await again.releasePool(pool.poolId);
    await expect(again.requestAddress(pool.poolId)).rejects.toThrow(/no IPAM pool/);
  });
});
