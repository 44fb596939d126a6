import { describe, expect, it } from 'vitest';
import { cgroupLayout, runtimeMessage } from './index.js';

const line = (point: string, fs: string) => `30 1 0:26 / ${point} rw,nosuid - ${fs} ${fs} rw`;

describe('cgroup layout', () => {
  it('tells v2, v1 and hybrid hosts apart', async () => {
    expect(await cgroupLayout([line('/', 'ext4'), line('/sys/fs/cgroup', 'cgroup2')].join('\n'))).toBe('v2');
    expect(await cgroupLayout([line('/sys/fs/cgroup', 'tmpfs'), line('/sys/fs/cgroup/memory', 'cgroup')].join('\n'))).toBe('v1');
    expect(await cgroupLayout([line('/sys/fs/cgroup', 'tmpfs'), line('/sys/fs/cgroup/memory', 'cgroup'), line('/sys/fs/cgroup/unified', 'cgroup2')].join('\n'))).toBe('hybrid');
  });
});

describe('runtime error messages', () => {
  it('takes runc\'s msg= and crun\'s plain text', () => {
    expect(runtimeMessage('time="2026-11-23T07:00:00Z" level=error msg="container \\"x\\" does not exist"\n')).toBe('container "x" does not exist');
    expect(runtimeMessage('cgroups in hybrid mode not supported, drop all controllers from cgroupv2\n')).toBe('cgroups in hybrid mode not supported, drop all controllers from cgroupv2');
    expect(runtimeMessage('')).toBe('runtime failed');
  });
});
