import { describe, expect, it } from 'vitest';
import { parseDaemonArgs } from './flags.js';

describe('keeld flags', () => {
  it('maps dockerd flags onto daemon.json keys, only those given', () => {
    const a = parseDaemonArgs(['--data-root', '/d', '-H', 'unix:///a.sock', '-H', 'tcp://127.0.0.1:2375', '-D', '--log-opt', 'max-size=1m', '--iptables=false', '--mtu', '1400', '--add-runtime', 'crun=/usr/bin/crun', '--default-address-pool', 'base=10.10.0.0/16,size=24'], '1.0.0');
    expect(a.flags).toEqual({
      'data-root': '/d', hosts: ['unix:///a.sock', 'tcp://127.0.0.1:2375'], debug: true, 'log-opts': { 'max-size': '1m' }, iptables: false, mtu: 1400,
      runtimes: { crun: { path: '/usr/bin/crun' } }, 'default-address-pools': [{ base: '10.10.0.0/16', size: 24 }],
    });
    expect(a.configFileExplicit).toBe(false);
    expect(a.configFile).toBe('/etc/keel/daemon.json');
  });

  it('rejects bad values with the flag named', () => {
    expect(() => parseDaemonArgs(['--mtu', 'big'], '1')).toThrow('invalid value "big" for --mtu: expected an integer');
    expect(() => parseDaemonArgs(['--iptables=maybe'], '1')).toThrow('invalid value "maybe" for --iptables');
    expect(() => parseDaemonArgs(['--log-opt', 'novalue'], '1')).toThrow('expected KEY=VALUE');
  });

  it('rejects unknown flags', () => {
    const write = process.stderr.write;
    process.stderr.write = (() => true) as never;
    try {
      expect(() => parseDaemonArgs(['--frobnicate'], '1')).toThrow(/unknown option '--frobnicate'/);
    } finally {
      process.stderr.write = write;
    }
  });
});
