import { describe, expect, it } from 'vitest';
import { DEFAULT_CAPS } from './defaults.js';
import { buildOciSpec, capabilities, type CreateConfig, type CreateHostConfig, type SpecContext } from './oci-spec.js';
import { ociResources } from './resources.js';
import { DEFAULT_SECCOMP_PROFILE, toOciSeccomp } from './seccomp.js';
import { resolveUser } from './user.js';

const passwd = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\nwww:x:33:33::/var/www:/bin/sh\n';
const group = 'root:x:0:\nwww-data:x:33:\naudio:x:29:www\nstaff:x:50:www,root\n';
const ctx: SpecContext = { id: 'a'.repeat(64), image: { Env: ['PATH=/bin:/usr/bin', 'A=image'], Cmd: ['sh'] }, passwd, group, goArch: 'amd64', kernel: '6.18.44', cgroupsPath: '/keel/aaa' };
const spec = (c: CreateConfig = {}, h: CreateHostConfig = {}, x: Partial<SpecContext> = {}) => buildOciSpec(c, h, { ...ctx, ...x }) as any;

describe('OCI spec: process', () => {
  it('takes the image command, merges env, sets hostname and HOSTNAME', () => {
    const s = spec({ Env: ['A=mine', 'B=2'] });
    expect(s.process.args).toEqual(['sh']);
    expect(s.process.env).toEqual(['PATH=/bin:/usr/bin', 'A=mine', 'B=2', `HOSTNAME=${'a'.repeat(12)}`]);
    expect(s.hostname).toBe('a'.repeat(12));
    expect(s.process.cwd).toBe('/');
  });

  it('follows Docker\'s entrypoint/cmd rules', () => {
    expect(spec({ Cmd: ['echo', 'hi'] }).process.args).toEqual(['echo', 'hi']);
    expect(spec({ Entrypoint: ['/bin/env'] }).process.args).toEqual(['/bin/env']);
    expect(spec({ Entrypoint: ['/bin/env'], Cmd: ['X=1'] }).process.args).toEqual(['/bin/env', 'X=1']);
    expect(spec({}, {}, { image: { Entrypoint: ['/init'], Cmd: ['serve'] } }).process.args).toEqual(['/init', 'serve']);
    expect(() => spec({}, {}, { image: {} })).toThrow('no command specified');
  });

  it('adds PATH when the image has none, TERM for a tty, and an init', () => {
    const s = spec({ Tty: true }, { Init: true }, { image: { Cmd: ['sh'] }, initPath: '/usr/bin/tini-static' });
    expect(s.process.env[0]).toBe('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    expect(s.process.env).toContain('TERM=xterm');
    expect(s.process.terminal).toBe(true);
    expect(s.process.args).toEqual(['/sbin/docker-init', '--', 'sh']);
    expect(s.mounts).toContainEqual({ destination: '/sbin/docker-init', type: 'bind', source: '/usr/bin/tini-static', options: ['rbind', 'ro'] });
  });

  it('resolves users and groups from the container\'s files', () => {
    expect(resolveUser('www', passwd, group)).toEqual({ uid: 33, gid: 33, additionalGids: [29, 50] });
    expect(resolveUser('1000:1000', passwd, group)).toEqual({ uid: 1000, gid: 1000 });
    expect(resolveUser('nobody:www-data', passwd, group, ['audio', '7'])).toEqual({ uid: 65534, gid: 33, additionalGids: [7, 29] });
    expect(resolveUser(undefined, passwd, group)).toEqual({ uid: 0, gid: 0, additionalGids: [50] });
    expect(() => resolveUser('ghost', passwd, group)).toThrow('unable to find user ghost: no matching entries in passwd file');
    expect(() => resolveUser('www:ghosts', passwd, group)).toThrow('unable to find group ghosts');
  });
});

describe('OCI spec: security', () => {
  it('grants Docker\'s default capabilities, with adds and drops', () => {
    expect(capabilities({})).toEqual([...DEFAULT_CAPS].sort());
    expect(capabilities({ CapAdd: ['net_admin'], CapDrop: ['CAP_CHOWN'] })).toContain('CAP_NET_ADMIN');
    expect(capabilities({ CapAdd: ['net_admin'], CapDrop: ['CAP_CHOWN'] })).not.toContain('CAP_CHOWN');
    expect(capabilities({ CapDrop: ['ALL'], CapAdd: ['CAP_KILL'] })).toEqual(['CAP_KILL']);
    expect(capabilities({ CapAdd: ['ALL'] }).length).toBe(41);
    expect(() => capabilities({ CapAdd: ['FLY'] })).toThrow('unknown capability: "CAP_FLY"');
  });

  it('applies the default seccomp profile, masked paths and read-only /sys', () => {
    const s = spec();
    expect(s.linux.seccomp.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(s.linux.seccomp.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    expect(s.linux.maskedPaths).toContain('/proc/kcore');
    expect(s.mounts.find((m: any) => m.destination === '/sys').options).toContain('ro');
    expect(s.process.noNewPrivileges).toBe(false);
  });

  it('keeps seccomp rules by capability, arch and kernel as moby does', () => {
    const allowed = (caps: string[], arch = 'amd64', kernel = '6.1') => new Set(toOciSeccomp(DEFAULT_SECCOMP_PROFILE, caps, arch, kernel).syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW').flatMap((r) => r.names));
    expect(allowed([...DEFAULT_CAPS]).has('read')).toBe(true);
    expect(allowed([...DEFAULT_CAPS]).has('mount')).toBe(false);
    expect(allowed([...DEFAULT_CAPS, 'CAP_SYS_ADMIN']).has('mount')).toBe(true);
    expect(allowed([...DEFAULT_CAPS]).has('ptrace')).toBe(true);
    expect(allowed([...DEFAULT_CAPS], 'amd64', '4.4').has('ptrace')).toBe(false);
    expect(allowed([...DEFAULT_CAPS], 'amd64').has('arch_prctl')).toBe(true);
    expect(allowed([...DEFAULT_CAPS], 'arm64').has('arch_prctl')).toBe(false);
  });

  it('honours --privileged, seccomp=unconfined, a custom profile and no-new-privileges', () => {
    const p = spec({}, { Privileged: true });
    expect([p.linux.seccomp, p.linux.maskedPaths, p.linux.resources.devices]).toEqual([undefined, undefined, [{ allow: true, access: 'rwm' }]]);
    expect(spec({}, { SecurityOpt: ['seccomp=unconfined'] }).linux.seccomp).toBeUndefined();
    expect(spec({}, { SecurityOpt: ['seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]}'] }).linux.seccomp.defaultAction).toBe('SCMP_ACT_ALLOW');
    expect(spec({}, { SecurityOpt: ['no-new-privileges'] }).process.noNewPrivileges).toBe(true);
    expect(spec({}, { SecurityOpt: ['no-new-privileges:true'] }).process.noNewPrivileges).toBe(true);
    expect(() => spec({}, { SecurityOpt: ['seccomp={bad'] })).toThrow(/invalid seccomp profile/);
    expect(() => spec({}, { SecurityOpt: ['frobnicate=1'] })).toThrow('invalid --security-opt: "frobnicate=1"');
  });
});

describe('OCI spec: host config', () => {
  it('picks namespaces from the network/pid/ipc/uts modes', () => {
    const types = (h: CreateHostConfig, x: Partial<SpecContext> = {}) => spec({}, h, x).linux.namespaces;
    expect(types({ NetworkMode: 'none' }).map((n: any) => n.type)).toEqual(['mount', 'pid', 'ipc', 'uts', 'network']);
    expect(types({ NetworkMode: 'host', PidMode: 'host' }).map((n: any) => n.type)).toEqual(['mount', 'ipc', 'uts']);
    expect(types({}, { netnsPath: '/run/netns/x' }).at(-1)).toEqual({ type: 'network', path: '/run/netns/x' });
  });

  it('sets read-only rootfs, shm size, tmpfs, ulimits, sysctls and devices', () => {
    const s = spec({}, {
      ReadonlyRootfs: true, ShmSize: 1 << 20, Tmpfs: { '/run': 'size=1m' }, Ulimits: [{ Name: 'nofile', Soft: 100, Hard: 200 }],
      Sysctls: { 'net.ipv4.ip_forward': '1' }, Devices: [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rw' }],
    }, { hostDevices: { '/dev/fuse': { type: 'c', major: 10, minor: 229, mode: 0o20666 } } });
    expect(s.root).toEqual({ path: 'rootfs', readonly: true });
    expect(s.mounts.find((m: any) => m.destination === '/dev/shm').options).toContain(`size=${1 << 20}`);
    expect(s.mounts.find((m: any) => m.destination === '/run').options).toContain('size=1m');
    expect(s.process.rlimits).toEqual([{ type: 'RLIMIT_NOFILE', soft: 100, hard: 200 }]);
    expect(s.linux.sysctl).toEqual({ 'net.ipv4.ip_forward': '1' });
    expect(s.linux.devices).toEqual([{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 }]);
    expect(s.linux.resources.devices).toContainEqual({ allow: true, type: 'c', major: 10, minor: 229, access: 'rw' });
  });

  it('rejects bad ulimits, sysctls and devices with Docker\'s words', () => {
    expect(() => spec({}, { Ulimits: [{ Name: 'bananas', Soft: 1, Hard: 1 }] })).toThrow('invalid ulimit type: bananas');
    expect(() => spec({}, { Ulimits: [{ Name: 'nofile', Soft: 2, Hard: 1 }] })).toThrow(/soft limit must be less than or equal/);
    expect(() => spec({}, { Sysctls: { 'kernel.panic': '1' } })).toThrow("sysctl 'kernel.panic' is not allowed");
    expect(() => spec({}, { NetworkMode: 'host', Sysctls: { 'net.core.somaxconn': '1' } })).toThrow(/not allowed in host network namespace/);
    expect(() => spec({}, { Devices: [{ PathOnHost: '/dev/nope' }] })).toThrow(/error gathering device information/);
  });

  it('maps resources with Docker\'s defaults and checks', () => {
    expect(ociResources({ Memory: 64 << 20 })).toEqual({ memory: { limit: 64 << 20, swap: 128 << 20 } });
    expect(ociResources({ Memory: 64 << 20, MemorySwap: -1 })).toEqual({ memory: { limit: 64 << 20, swap: -1 } });
    expect(ociResources({ NanoCpus: 1.5e9, CpuShares: 512, CpusetCpus: '0-1', PidsLimit: 100, BlkioWeight: 300 })).toEqual({
      cpu: { period: 100000, quota: 150000, shares: 512, cpus: '0-1' }, pids: { limit: 100 }, blockIO: { weight: 300 },
    });
    expect(() => ociResources({ Memory: 1024 })).toThrow('Minimum memory limit allowed is 6MB');
    expect(() => ociResources({ Memory: 64 << 20, MemorySwap: 32 << 20 })).toThrow(/larger than memory limit/);
    expect(() => ociResources({ NanoCpus: 1e9, CpuQuota: 1000 })).toThrow(/Nano CPUs and CPU Period cannot both be set/);
    expect(() => ociResources({ CpusetCpus: '0-a' })).toThrow(/Invalid value 0-a for cpuset cpus/);
    expect(() => ociResources({ BlkioWeight: 5 })).toThrow(/Range of blkio weight/);
  });
});
