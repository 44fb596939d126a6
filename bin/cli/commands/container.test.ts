import { describe, expect, it } from 'vitest';
import { containerRows, demux, portsText } from './container.js';

describe('keel container views', () => {
  it('prints ports and rows like docker ps', () => {
    expect(portsText([{ IP: '127.0.0.1', PublicPort: 8080, PrivatePort: 80, Type: 'tcp' }, { PrivatePort: 53, Type: 'udp' }])).toBe('127.0.0.1:8080->80/tcp, 53/udp');
    const rows = containerRows([{ Id: 'a'.repeat(64), Image: 'busybox', Command: 'sh -c "sleep 1000; echo done"', Created: Math.floor(Date.now() / 1000) - 3 * 3600 - 60, Status: 'Up 3 hours', Ports: [], Names: ['/web'] }]);
    expect(rows[0]).toEqual(['a'.repeat(12), 'busybox', JSON.stringify('sh -c "sleep 1000; …'), '3 hours ago', 'Up 3 hours', '', 'web']);
  });

  it('splits the multiplexed stream and keeps a partial frame for the next chunk', () => {
    const frame = (s: number, t: string) => Buffer.concat([Buffer.from([s, 0, 0, 0]), Buffer.from([0, 0, 0, t.length]), Buffer.from(t)]);
    const got: Array<[number, string]> = [];
    const whole = Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, 'more')]);
    const rest = demux(whole.subarray(0, whole.length - 2), (s, p) => got.push([s, p.toString()]));
    expect(got).toEqual([[1, 'out\n'], [2, 'err\n']]);
    expect(demux(Buffer.concat([rest, whole.subarray(whole.length - 2)]), (s, p) => got.push([s, p.toString()])).length).toBe(0);
    expect(got.at(-1)).toEqual([1, 'more']);
  });
});
