/**
 * Finds a container's cgroup directories from the cgroup path given to the runtime
 * (`linux.cgroupsPath`, e.g. `/keel/<id>`), on a cgroup v1 (or hybrid) host and on a pure v2 host.
 * The layout is read from mountinfo rather than assumed: controllers may be co-mounted
 * (`cpu,cpuacct`) or mounted apart, and a hybrid host's cgroup2 mount holds no controllers.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** v1 controllers keel reads or that runc writes; other super options (`rw`, `name=…`) are not controllers. */
const V1_CONTROLLERS = new Set([
  'cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'net_cls', 'net_prio', 'blkio',
  'perf_event', 'hugetlb', 'pids', 'rdma', 'misc',
]);

/** One cgroup filesystem mount. */
export interface CgroupMount {
  /** Where it is mounted. */
  readonly mountPoint: string;
  /** The cgroup this mount shows as its root (`/` unless inside a cgroup namespace). */
  readonly root: string;
}

/** The host's cgroup layout. */
export interface CgroupLayout {
  /** 2 only when the unified hierarchy is the one that holds the controllers. */
  readonly version: 1 | 2;
  /** v1: controller → mount. */
  readonly v1: ReadonlyMap<string, CgroupMount>;
  /** The cgroup2 mount (on a hybrid host it exists but has no controllers). */
  readonly v2?: CgroupMount;
}

// mountinfo escapes space, tab, newline and backslash as octal.
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));

/** Parses `/proc/self/mountinfo` text into a cgroup layout. */
export function parseCgroupLayout(mountinfo: string): CgroupLayout {
  const v1 = new Map<string, CgroupMount>();
  let v2: CgroupMount | undefined;
  for (const line of mountinfo.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    const fields = pre.split(' ');
    const [fsType, , superOptions = ''] = post.split(' ');
    const mount = { mountPoint: unescape(fields[4] ?? ''), root: unescape(fields[3] ?? '/') };
    if (fsType === 'cgroup2') {
      // The first cgroup2 mount wins; /sys/fs/cgroup itself beats a later bind mount elsewhere.
      if (!v2 || mount.mountPoint === '/sys/fs/cgroup') v2 = mount;
    } else if (fsType === 'cgroup') {
      for (const opt of superOptions.split(',')) if (V1_CONTROLLERS.has(opt) && !v1.has(opt)) v1.set(opt, mount);
    }
  }
  // A hybrid host keeps its controllers on v1; a host with no v1 controllers is a v2 host.
  const version = v1.size === 0 && v2 ? 2 : 1;
  return { version, v1, ...(v2 ? { v2 } : {}) };
}

let hostLayout: Promise<CgroupLayout> | undefined;

/** The host's layout, read once (mounts of /sys/fs/cgroup do not change under a running daemon). */
export function hostCgroupLayout(): Promise<CgroupLayout> {
  hostLayout ??= readFile('/proc/self/mountinfo', 'utf8').then(parseCgroupLayout);
  return hostLayout;
}

/** Where one container's cgroup lives. */
export interface ContainerCgroup {
  readonly version: 1 | 2;
  /** The directory of `controller` (v1), or the unified directory whatever the name (v2); undefined when that controller is not mounted. */
  dir(controller: string): string | undefined;
}

/**
 * A cgroup path as the runtime uses it: absolute, relative to the hierarchy's root. Normalising
 * it as an absolute path also stops `..` from reaching the filesystem above the mount.
 */
export function normalizeCgroupsPath(cgroupsPath: string): string {
  const p = path.posix.normalize(`/${cgroupsPath}`);
  return p.length > 1 ? p.replace(/\/$/, '') : p;
}

function under(mount: CgroupMount, cgroupsPath: string): string {
  // Inside a cgroup namespace the mount's root is a sub-cgroup; paths below it are shown relative to it.
  const rel = mount.root !== '/' && (cgroupsPath === mount.root || cgroupsPath.startsWith(`${mount.root}/`))
    ? cgroupsPath.slice(mount.root.length)
    : cgroupsPath;
  return path.join(mount.mountPoint, rel);
}

/** The directories of the cgroup at `cgroupsPath`. */
export function containerCgroup(layout: CgroupLayout, cgroupsPath: string): ContainerCgroup {
  const p = normalizeCgroupsPath(cgroupsPath);
  if (layout.version === 2) {
    const dir = layout.v2 ? under(layout.v2, p) : undefined;
    return { version: 2, dir: () => dir };
  }
  return { version: 1, dir: (c) => { const m = layout.v1.get(c); return m ? under(m, p) : undefined; } };
}

/**
 * Every process in the cgroup and its sub-cgroups (a container may make its own, e.g. systemd
 * inside it). Empty when the cgroup is gone.
 */
export async function cgroupPids(cg: ContainerCgroup): Promise<number[]> {
  // On v1 any controller holds the same processes; pids, memory or freezer are always mounted with runc.
  const dir = cg.version === 2 ? cg.dir('') : (cg.dir('pids') ?? cg.dir('memory') ?? cg.dir('freezer') ?? cg.dir('cpu'));
  if (!dir) return [];
  const out = new Set<number>();
  const walk = async (d: string): Promise<void> => {
    const text = await readFile(path.join(d, 'cgroup.procs'), 'utf8').catch(() => '');
    for (const l of text.split('\n')) if (/^\d+$/.test(l.trim())) out.add(Number(l.trim()));
    const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries) if (e.isDirectory()) await walk(path.join(d, e.name));
  };
  await walk(dir);
  return [...out].sort((a, b) => a - b);
}
