import { describe, expect, it } from 'vitest';
import { canonicalCidr, cidrContains, cidrOverlaps, formatIp, parseCidr, parseIp } from './cidr.js';
import { checkIfName, linkName } from './names.js';

describe('cidr', () => {
  it('parses and formats IPv4 and IPv6 (shortest form, embedded IPv4)', () => {
    expect(formatIp(parseIp('10.0.3.7'))).toBe('10.0.3.7');
    expect(formatIp(parseIp('fd00:0:0:0:0:0:0:1'))).toBe('fd00::1');
    expect(formatIp(parseIp('::ffff:1.2.3.4'))).toBe('::ffff:102:304');
    expect(formatIp(parseIp('2001:db8:0:1:0:0:0:0'))).toBe('2001:db8:0:1::');
    expect(() => parseIp('300.1.1.1')).toThrow(/invalid IP/);
  });

  it('canonicalises, contains and overlaps', () => {
    expect(canonicalCidr('10.0.3.7/16')).toBe('10.0.0.0/16');
    expect(canonicalCidr('fd00::5/64')).toBe('fd00::/64');
    expect(parseCidr('192.0.2.1').prefix).toBe(32);
    expect(cidrContains('10.0.0.0/16', '10.0.255.1')).toBe(true);
    expect(cidrContains('10.0.0.0/16', '10.1.0.1')).toBe(false);
    expect(cidrContains('10.0.0.0/16', '10.0.0.0/8')).toBe(false);
    expect(cidrOverlaps('10.0.0.0/8', '10.200.0.0/24')).toBe(true);
    expect(cidrOverlaps('172.17.0.0/16', '172.18.0.0/16')).toBe(false);
    expect(cidrOverlaps('fd00::/8', '10.0.0.0/8')).toBe(false);
    expect(() => parseCidr('10.0.0.0/33')).toThrow(/invalid CIDR/);
  });

  it('names host links within IFNAMSIZ and checks user-given names', () => {
    expect(linkName('v', 'abcdef0123456789')).toBe('klv-abcdef01234');
    expect(linkName('v', 'abcdef0123456789').length).toBeLessThanOrEqual(15);
    expect(() => checkIfName('a-name-that-is-too-long', 'bridge name')).toThrow(/at most 15/);
    expect(() => checkIfName('bad name', 'bridge name')).toThrow();
  });
});
