/**
 * The OCI runtime spec of a container, from Docker's create body (Config + HostConfig) and its
 * image's config: process (args, env, user, caps, rlimits), root, mounts, namespaces, cgroup
 * resources, seccomp and masked paths — Docker's defaults and rules, Docker's error messages.
 */
import { InvalidArgumentError } from '@keel/sdk';
import { ALL_CAPS, DEFAULT_CAPS, DEFAULT_PATH, DEFAULT_SHM_SIZE, MASKED_PATHS, READONLY_PATHS, defaultDeviceRules, defaultMounts, type OciMount } from './defaults.js';
import { ociResources, type ResourceFields } from './resources.js';
import { DEFAULT_SECCOMP_PROFILE, parseSeccompProfile, toOciSeccomp } from './seccomp.js';
import { resolveUser } from './user.js';

/** The `Config` part of a create body (the fields the spec uses). */
export interface CreateConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  WorkingDir?: string;
  Tty?: boolean;
}

/** The `HostConfig` part of a create body (the fields the spec uses). */
export interface CreateHostConfig extends ResourceFields {
  Privileged?: boolean;
  ReadonlyRootfs?: boolean;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  SecurityOpt?: string[] | null;
  ShmSize?: number;
  Init?: boolean | null;
  Ulimits?: Array<{ Name: string; Soft: number; Hard: number }> | null;
  Sysctls?: Record<string, string> | null;
  NetworkMode?: string;
  PidMode?: string;
  IpcMode?: string;
  UTSMode?: string;
  GroupAdd?: string[] | null;
  OomScoreAdj?: number;
  Tmpfs?: Record<string, string> | null;
  Devices?: Array<{ PathOnHost: string; PathInContainer?: string; CgroupPermissions?: string }> | null;
}

/** What the spec needs to know beyond the request. */
export interface SpecContext {
  readonly id: string;
  /** The image's `config` section. */
  readonly image: { Env?: string[] | null; Cmd?: string[] | null; Entrypoint?: string[] | null; WorkingDir?: string; User?: string };
  /** The container's /etc/passwd and /etc/group (empty when absent). */
  readonly passwd: string;
  readonly group: string;
  readonly goArch: string;
  readonly kernel: string;
  readonly cgroupsPath: string;
  /** Network namespace to join (bridge/container networks); none → a new, empty one. */
  readonly netnsPath?: string;
  /** Host path of the init binary (`--init`). */
  readonly initPath?: string;
  /** The daemon's bounding set: `--privileged` and `--cap-add ALL` are limited to it. */
  readonly boundingCaps?: ReadonlySet<string>;
  /** Host devices of `--device`, as stat found them. */
  readonly hostDevices?: Readonly<Record<string, { type: 'c' | 'b'; major: number; minor: number; mode: number }>>;
}

const RLIMITS = ['as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack'];

function capName(c: string): string {
  const up = c.toUpperCase();
  return up === 'ALL' ? 'ALL' : up.startsWith('CAP_') ? up : `CAP_${up}`;
}

/** Docker's capability arithmetic: defaults, plus adds, minus drops (`ALL` on either side). */
export function capabilities(h: CreateHostConfig): string[] {
  if (h.Privileged) return [...ALL_CAPS];
  const add = (h.CapAdd ?? []).map(capName);
  const drop = (h.CapDrop ?? []).map(capName);
  for (const c of [...add, ...drop]) if (c !== 'ALL' && !ALL_CAPS.includes(c)) throw new InvalidArgumentError(`unknown capability: "${c}"`);
  let caps = add.includes('ALL') ? [...ALL_CAPS] : [...new Set([...DEFAULT_CAPS, ...add])];
  if (drop.includes('ALL')) caps = add.filter((c) => c !== 'ALL');
  else caps = caps.filter((c) => !drop.includes(c) || add.includes(c));
  return caps.sort();
}

function mergeEnv(image: readonly string[], mine: readonly string[]): string[] {
  const out = new Map<string, string>();
  for (const e of [...image, ...mine]) out.set(e.split('=')[0]!, e);
  return [...out.values()];
}

function securityOpts(opts: readonly string[]): { seccomp?: string; noNewPrivileges: boolean } {
  let seccomp: string | undefined;
  let noNewPrivileges = false;
  for (const o of opts) {
    const [key, value = ''] = o.includes('=') ? [o.slice(0, o.indexOf('=')), o.slice(o.indexOf('=') + 1)] : o.split(':');
    if (key === 'seccomp') seccomp = value;
    else if (key === 'no-new-privileges') noNewPrivileges = value === '' || value === 'true';
    else if (key !== 'apparmor' && key !== 'label') throw new InvalidArgumentError(`invalid --security-opt: "${o}"`);
  }
  return { seccomp, noNewPrivileges };
}

function sysctls(values: Record<string, string>, hostNetwork: boolean): Record<string, string> {
  for (const k of Object.keys(values)) {
    const ipc = /^(kernel\.(msgmax|msgmnb|msgmni|sem|shmall|shmmax|shmmni|shm_rmid_forced)|fs\.mqueue\.)/.test(k);
    const net = k.startsWith('net.');
    if (!ipc && !net) throw new InvalidArgumentError(`sysctl '${k}' is not allowed`);
    if (net && hostNetwork) throw new InvalidArgumentError(`sysctl '${k}' not allowed in host network namespace`);
  }
  return { ...values };
}

/** Builds the OCI spec. */
export function buildOciSpec(config: CreateConfig, host: CreateHostConfig, ctx: SpecContext): Record<string, unknown> {
  const entrypoint = config.Entrypoint ?? ctx.image.Entrypoint ?? [];
  const cmd = config.Cmd ?? (config.Entrypoint ? [] : ctx.image.Cmd ?? []);
  let args = [...entrypoint, ...cmd];
  if (!args.length) throw new InvalidArgumentError('no command specified');
  const hostname = (config.Hostname || ctx.id.slice(0, 12)).slice(0, 63);
  const hostNet = host.NetworkMode === 'host';
  const mounts: OciMount[] = defaultMounts(host.ShmSize || DEFAULT_SHM_SIZE, !!host.Privileged);
  if (host.Init && ctx.initPath) {
    args = ['/sbin/docker-init', '--', ...args];
    mounts.push({ destination: '/sbin/docker-init', type: 'bind', source: ctx.initPath, options: ['rbind', 'ro'] });
  }
  for (const [dst, opts] of Object.entries(host.Tmpfs ?? {})) mounts.push({ destination: dst, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', ...(opts ? opts.split(',') : [])] });
  const env = mergeEnv(ctx.image.Env ?? [], config.Env ?? []);
  if (!env.some((e) => e.startsWith('PATH='))) env.unshift(DEFAULT_PATH);
  if (!env.some((e) => e.startsWith('HOSTNAME='))) env.push(`HOSTNAME=${hostname}`);
  if (config.Tty && !env.some((e) => e.startsWith('TERM='))) env.push('TERM=xterm');
  const allCaps = host.Privileged || (host.CapAdd ?? []).some((c) => c.toUpperCase() === 'ALL');
  const caps = allCaps && ctx.boundingCaps ? capabilities(host).filter((c) => ctx.boundingCaps!.has(c)) : capabilities(host);
  const sec = securityOpts(host.SecurityOpt ?? []);
  const rlimits = (host.Ulimits ?? []).map((u) => {
    if (!RLIMITS.includes(u.Name)) throw new InvalidArgumentError(`invalid ulimit type: ${u.Name}`);
    if (u.Soft > u.Hard) throw new InvalidArgumentError(`ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`);
    return { type: `RLIMIT_${u.Name.toUpperCase()}`, soft: u.Soft, hard: u.Hard };
  });
  const namespaces: Array<{ type: string; path?: string }> = [{ type: 'mount' }];
  if (host.PidMode !== 'host') namespaces.push({ type: 'pid' });
  if (host.IpcMode !== 'host') namespaces.push({ type: 'ipc' });
  if (host.UTSMode !== 'host') namespaces.push({ type: 'uts' });
  if (!hostNet) namespaces.push(ctx.netnsPath ? { type: 'network', path: ctx.netnsPath } : { type: 'network' });
  const devices = (host.Devices ?? []).map((d) => {
    const info = ctx.hostDevices?.[d.PathOnHost];
    if (!info) throw new InvalidArgumentError(`error gathering device information while adding custom device "${d.PathOnHost}": no such file or directory`);
    return { path: d.PathInContainer || d.PathOnHost, type: info.type, major: info.major, minor: info.minor, fileMode: info.mode & 0o777, uid: 0, gid: 0, perms: d.CgroupPermissions || 'rwm' };
  });
  const deviceRules = host.Privileged ? [{ allow: true, access: 'rwm' }] : [...defaultDeviceRules(), ...devices.map((d) => ({ allow: true, type: d.type, major: d.major, minor: d.minor, access: d.perms }))];
  const seccompProfile = host.Privileged || sec.seccomp === 'unconfined' ? undefined : sec.seccomp ? parseSeccompProfile(sec.seccomp) : DEFAULT_SECCOMP_PROFILE;
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: !!config.Tty, user: resolveUser(config.User || ctx.image.User, ctx.passwd, ctx.group, host.GroupAdd ?? []), args, env,
      cwd: config.WorkingDir || ctx.image.WorkingDir || '/', capabilities: { bounding: caps, effective: caps, permitted: caps },
      ...(rlimits.length ? { rlimits } : {}), noNewPrivileges: sec.noNewPrivileges, ...(host.OomScoreAdj ? { oomScoreAdj: host.OomScoreAdj } : {}),
    },
    root: { path: 'rootfs', readonly: !!host.ReadonlyRootfs },
    hostname: host.UTSMode === 'host' ? undefined : hostname,
    ...(config.Domainname ? { domainname: config.Domainname } : {}),
    mounts,
    linux: {
      cgroupsPath: ctx.cgroupsPath,
      namespaces,
      resources: { ...ociResources(host), devices: deviceRules },
      ...(devices.length ? { devices: devices.map(({ perms: _p, ...d }) => d) } : {}),
      ...(host.Sysctls && Object.keys(host.Sysctls).length ? { sysctl: sysctls(host.Sysctls, hostNet) } : {}),
      ...(seccompProfile ? { seccomp: toOciSeccomp(seccompProfile, caps, ctx.goArch, ctx.kernel) } : {}),
      ...(host.Privileged ? {} : { maskedPaths: [...MASKED_PATHS], readonlyPaths: [...READONLY_PATHS] }),
    },
  };
}
