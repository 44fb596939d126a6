import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cgroupPids, containerCgroup, normalizeCgroupsPath, parseCgroupLayout } from './cgroup-fs.js';
import { mountLine, writeTree } from './test-support.js';

const hybrid = [
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  mountLine('/sys/fs/cgroup/cpu,cpuacct', 'cgroup', 'rw,cpu,cpuacct'),
  mountLine('/sys/fs/cgroup/memory', 'cgroup', 'rw,memory'),
  mountLine('/sys/fs/cgroup/pids', 'cgroup', 'rw,pids'),
  mountLine('/sys/fs/cgroup/systemd', 'cgroup', 'rw,xattr,name=systemd'),
  mountLine('/sys/fs/cgroup/unified', 'cgroup2', 'rw,nsdelegate'),
].join('\n');

describe('cgroup layout', () => {
  it('a hybrid host keeps its controllers on v1, co-mounted ones included; name= hierarchies are not controllers', () => {
    const l = parseCgroupLayout(hybrid);
    expect(l.version).toBe(1);
    expect([...l.v1.keys()].sort()).toEqual(['cpu', 'cpuacct', 'memory', 'pids']);
    expect(l.v2?.mountPoint).toBe('/sys/fs/cgroup/unified');
    const cg = containerCgroup(l, '/keel/abc');
    expect(cg.dir('cpuacct')).toBe('/sys/fs/cgroup/cpu,cpuacct/keel/abc');
    expect(cg.dir('memory')).toBe('/sys/fs/cgroup/memory/keel/abc');
    expect(cg.dir('blkio')).toBeUndefined();
  });

  it('a pure v2 host has one directory for every controller', () => {
    const l = parseCgroupLayout(['22 1 0:5 / / rw - ext4 /dev/vda rw', mountLine('/sys/fs/cgroup', 'cgroup2', 'rw,nsdelegate')].join('\n'));
    expect(l.version).toBe(2);
    const cg = containerCgroup(l, 'keel-parent/abc');
    expect(cg.dir('memory')).toBe('/sys/fs/cgroup/keel-parent/abc');
    expect(cg.dir('pids')).toBe('/sys/fs/cgroup/keel-parent/abc');
  });

  it('reads this host: the cgroup layout has a memory controller or a unified mount', async () => {
    const { readFile } = await import('node:fs/promises');
    const l = parseCgroupLayout(await readFile('/proc/self/mountinfo', 'utf8'));
    expect(l.version === 2 ? !!l.v2 : l.v1.has('memory')).toBe(true);
  });

  it('unescapes mount points and maps paths inside a cgroup namespace root', () => {
    const l = parseCgroupLayout(mountLine('/mnt/cg\\040v2', 'cgroup2', 'rw', '/outer'));
    expect(containerCgroup(l, '/outer/keel/x').dir('')).toBe('/mnt/cg v2/keel/x');
    expect(containerCgroup(l, '/keel/x').dir('')).toBe('/mnt/cg v2/keel/x');
  });

  it('cgroup paths cannot climb out of the hierarchy', () => {
    expect(normalizeCgroupsPath('keel//x/')).toBe('/keel/x');
    expect(normalizeCgroupsPath('/keel/../../etc')).toBe('/etc');
    expect(normalizeCgroupsPath('../../etc')).toBe('/etc');
  });
});

describe('cgroup processes', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lists the processes of the cgroup and of its sub-cgroups, sorted and without duplicates', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'keel-cgfs-'));
    await writeTree(dir, {
      'keel/c1/cgroup.procs': '30\n7\n',
      'keel/c1/init.scope/cgroup.procs': '12\n7\n',
      'keel/c2/cgroup.procs': '99\n',
    });
    const l = parseCgroupLayout(mountLine(dir, 'cgroup2'));
    expect(await cgroupPids(containerCgroup(l, '/keel/c1'))).toEqual([7, 12, 30]);
    expect(await cgroupPids(containerCgroup(l, '/keel/gone'))).toEqual([]);
  });

  it('on v1 reads the pids controller', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'keel-cgfs-'));
    await writeTree(dir, { 'pids/keel/c1/cgroup.procs': '5\n', 'memory/keel/c1/cgroup.procs': '6\n' });
    const l = parseCgroupLayout([mountLine(path.join(dir, 'pids'), 'cgroup', 'rw,pids'), mountLine(path.join(dir, 'memory'), 'cgroup', 'rw,memory')].join('\n'));
    expect(await cgroupPids(containerCgroup(l, '/keel/c1'))).toEqual([5]);
  });
});
