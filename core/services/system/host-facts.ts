/**
 * Facts about the host for `/info` and `/version`, read from the kernel's own files rather than
 * by spawning tools. Static facts are read once; counters on each call.
 */
import { access, readFile, readdir } from 'node:fs/promises';
import os from 'node:os';

/** Facts that do not change while the daemon runs. */
export interface HostFacts {
  readonly kernelVersion: string;
  readonly operatingSystem: string;
  readonly osVersion: string;
  /** `uname -m` style: x86_64, aarch64. */
  readonly architecture: string;
  /** Go style (what Docker reports in /version): amd64, arm64. */
  readonly goArch: string;
  readonly ncpu: number;
  readonly memTotal: number;
  readonly cgroupVersion: '1' | '2';
  readonly cgroup: {
    readonly memory: boolean;
    readonly swap: boolean;
    readonly cpuCfs: boolean;
    readonly cpuShares: boolean;
    readonly cpuset: boolean;
    readonly pids: boolean;
    readonly oomKillDisable: boolean;
  };
}

const ARCH: Record<string, [string, string]> = { x64: ['x86_64', 'amd64'], arm64: ['aarch64', 'arm64'], arm: ['armv7l', 'arm'], ppc64: ['ppc64le', 'ppc64le'], s390x: ['s390x', 's390x'], riscv64: ['riscv64', 'riscv64'] };

const exists = (p: string) => access(p).then(() => true, () => false);

async function osRelease(): Promise<{ pretty: string; version: string }> {
  try {
    const text = await readFile('/etc/os-release', 'utf8');
    const get = (k: string) => new RegExp(`^${k}="?([^"\\n]*)"?$`, 'm').exec(text)?.[1];
    return { pretty: get('PRETTY_NAME') ?? 'Linux', version: get('VERSION_ID') ?? '' };
  } catch {
    return { pretty: 'Linux', version: '' };
  }
}

/** Reads the static host facts. */
export async function readHostFacts(cgroupRoot = '/sys/fs/cgroup'): Promise<HostFacts> {
  const v2 = await exists(`${cgroupRoot}/cgroup.controllers`);
  const controllers = v2 ? (await readFile(`${cgroupRoot}/cgroup.controllers`, 'utf8').catch(() => '')).split(/\s+/) : [];
  const v1 = (ctl: string, file: string) => exists(`${cgroupRoot}/${ctl}/${file}`);
  const has = async (ctl: string, file: string) => (v2 ? controllers.includes(ctl) : v1(ctl, file));
  const [rel, memory, swap, cpuCfs, cpuShares, cpuset, pids, oom] = await Promise.all([
    osRelease(),
    has('memory', 'memory.limit_in_bytes'),
    v2 ? has('memory', '') : v1('memory', 'memory.memsw.limit_in_bytes'),
    has('cpu', 'cpu.cfs_period_us'),
    has('cpu', 'cpu.shares'),
    has('cpuset', 'cpuset.cpus'),
    has('pids', 'pids.max'),
    v2 ? Promise.resolve(false) : v1('memory', 'memory.oom_control'),
  ]);
  const [architecture, goArch] = ARCH[process.arch] ?? [process.arch, process.arch];
  return Object.freeze({
    kernelVersion: os.release(),
    operatingSystem: rel.pretty,
    osVersion: rel.version,
    architecture,
    goArch,
    ncpu: os.cpus().length,
    memTotal: os.totalmem(),
    cgroupVersion: v2 ? '2' : '1',
    cgroup: Object.freeze({ memory, swap, cpuCfs, cpuShares, cpuset, pids, oomKillDisable: oom }),
  });
}

/** Reads a 0/1 sysctl; false when absent. */
export async function sysctlOn(name: string): Promise<boolean> {
  const text = await readFile(`/proc/sys/${name.replace(/\./g, '/')}`, 'utf8').catch(() => '0');
  return text.trim() === '1';
}

/** Open file descriptors of this process. */
export async function openFds(): Promise<number> {
  return (await readdir('/proc/self/fd').catch(() => [])).length;
}
