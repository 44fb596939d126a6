/**
 * A container's mounts from Docker's create body: `-v` binds (`HostConfig.Binds`), `--mount`
 * (`HostConfig.Mounts`), the image's `VOLUME`s (anonymous volumes) and `--volumes-from`, checked
 * with moby's rules and messages (400s) and turned into one ordered plan.
 */
import path from 'node:path';
import { InvalidArgumentError, compareText } from '@keel/sdk';

/** One planned mount. */
export interface MountPlan {
  type: 'bind' | 'volume' | 'tmpfs';
  /** Host path (bind), volume name (volume; '' for a new anonymous one), '' (tmpfs). */
  source: string;
  destination: string;
  readOnly: boolean;
  /** bind propagation (`rprivate` default). */
  propagation?: string;
  /** `-v` mode string as given (`ro,z`), shown in inspect. */
  mode: string;
  /** Volume options. */
  driver?: string;
  driverOptions?: Record<string, string>;
  labels?: Record<string, string>;
  noCopy?: boolean;
  anonymous?: boolean;
  /** tmpfs size in bytes and mode. */
  tmpfsSize?: number;
  tmpfsMode?: number;
  /** A `-v` bind whose host directory is created when missing (Docker's legacy behaviour). */
  createHostPath?: boolean;
}

/** `HostConfig.Mounts` entries (the fields keel reads). */
export interface MountRequest {
  Type?: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  BindOptions?: { Propagation?: string; CreateMountpoint?: boolean } | null;
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string> | null; DriverConfig?: { Name?: string; Options?: Record<string, string> | null } | null } | null;
  TmpfsOptions?: { SizeBytes?: number; Mode?: number } | null;
}

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const PROPAGATIONS = new Set(['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate']);
const MODES = new Set(['ro', 'rw', 'z', 'Z', 'nocopy', 'consistent', 'cached', 'delegated', ...PROPAGATIONS]);

function checkDestination(dst: string, spec: string): string {
  if (!dst || !dst.startsWith('/')) throw new InvalidArgumentError(`invalid mount config: invalid mount path: '${dst}' mount path must be absolute`);
  const clean = path.posix.normalize(dst).replace(/\/+$/, '') || '/';
  if (clean === '/') throw new InvalidArgumentError(`invalid specification: destination can't be '/' in '${spec}'`);
  return clean;
}

/** Parses one `-v` bind (`src:dst[:mode]`). */
export function parseBind(spec: string): MountPlan {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1]) throw new InvalidArgumentError(`invalid volume specification: '${spec}'`);
  const [src, dst, mode = ''] = parts as [string, string, string?];
  const flags = mode ? mode.split(',') : [];
  for (const f of flags) if (!MODES.has(f)) throw new InvalidArgumentError(`invalid mode: ${mode}`);
  if (flags.includes('ro') && flags.includes('rw')) throw new InvalidArgumentError(`invalid mode: ${mode}`);
  const destination = checkDestination(dst, spec);
  const readOnly = flags.includes('ro');
  const propagation = flags.find((f) => PROPAGATIONS.has(f));
  if (src.startsWith('/')) {
    if (flags.includes('nocopy')) throw new InvalidArgumentError(`invalid mode: ${mode}`);
    return { type: 'bind', source: path.posix.normalize(src), destination, readOnly, propagation: propagation ?? 'rprivate', mode, createHostPath: true };
  }
  if (!VOLUME_NAME.test(src)) {
    throw new InvalidArgumentError(`create ${src}: "${src}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
  if (propagation) throw new InvalidArgumentError(`invalid mode: ${mode}`);
  return { type: 'volume', source: src, destination, readOnly, mode, noCopy: flags.includes('nocopy') };
}

/** Parses one `--mount` entry. */
export function parseMount(m: MountRequest): MountPlan {
  const type = m.Type ?? '';
  const bad = (msg: string) => new InvalidArgumentError(`invalid mount config for type "${type}": ${msg}`);
  if (!['bind', 'volume', 'tmpfs'].includes(type)) throw new InvalidArgumentError(`invalid mount config: mount type unknown: "${type}"`);
  const destination = checkDestination(m.Target ?? '', m.Target ?? '');
  const readOnly = !!m.ReadOnly;
  if (type !== 'bind' && m.BindOptions) throw bad('field BindOptions must not be specified');
  if (type !== 'volume' && m.VolumeOptions) throw bad('field VolumeOptions must not be specified');
  if (type !== 'tmpfs' && m.TmpfsOptions) throw bad('field TmpfsOptions must not be specified');
  if (type === 'bind') {
    if (!m.Source) throw bad('field Source must not be empty');
    if (!m.Source.startsWith('/')) throw bad(`invalid mount path: '${m.Source}' mount path must be absolute`);
    const propagation = m.BindOptions?.Propagation || 'rprivate';
    if (!PROPAGATIONS.has(propagation)) throw bad(`invalid propagation mode: ${propagation}`);
    return { type: 'bind', source: path.posix.normalize(m.Source), destination, readOnly, propagation, mode: '', createHostPath: !!m.BindOptions?.CreateMountpoint };
  }
  if (type === 'tmpfs') {
    if (m.Source) throw bad('field Source must not be specified');
    const size = m.TmpfsOptions?.SizeBytes;
    if (size !== undefined && (!Number.isInteger(size) || size < 0)) throw bad('tmpfs size must be a positive number of bytes');
    return { type: 'tmpfs', source: '', destination, readOnly, mode: '', ...(size ? { tmpfsSize: size } : {}), ...(m.TmpfsOptions?.Mode ? { tmpfsMode: m.TmpfsOptions.Mode } : {}) };
  }
  if (m.Source && !VOLUME_NAME.test(m.Source)) throw bad(`invalid volume name "${m.Source}"`);
  const v = m.VolumeOptions ?? {};
  return {
    type: 'volume', source: m.Source ?? '', destination, readOnly, mode: '', anonymous: !m.Source, noCopy: !!v.NoCopy,
    ...(v.DriverConfig?.Name ? { driver: v.DriverConfig.Name } : {}), ...(v.DriverConfig?.Options ? { driverOptions: { ...v.DriverConfig.Options } } : {}),
    ...(v.Labels ? { labels: { ...v.Labels } } : {}),
  };
}

/** Everything that decides a container's mounts. */
export interface MountInputs {
  binds?: string[] | null;
  mounts?: MountRequest[] | null;
  /** The image's and the request's `Volumes` (anonymous volumes). */
  volumes?: Record<string, object> | null;
  /** Mounts of `--volumes-from` containers, already resolved, with their mode (`ro`/`rw`). */
  from?: Array<{ plans: MountPlan[]; mode: string }>;
  /** `--tmpfs` destinations (they win over image volumes). */
  tmpfs?: string[];
  /** The volume driver for volumes that name none (`--volume-driver`). */
  volumeDriver?: string;
}

/** The container's mounts, in mount order (parents before children); duplicates are a 400. */
export function planMounts(inputs: MountInputs): MountPlan[] {
  const byDest = new Map<string, MountPlan>();
  const add = (p: MountPlan, replace = false) => {
    if (byDest.has(p.destination) && !replace) throw new InvalidArgumentError(`Duplicate mount point: ${p.destination}`);
    byDest.set(p.destination, p);
  };
  for (const f of inputs.from ?? []) {
    for (const p of f.plans) byDest.set(p.destination, { ...p, readOnly: f.mode === 'ro' ? true : f.mode === 'rw' ? false : p.readOnly });
  }
  for (const b of inputs.binds ?? []) add(parseBind(b), inputs.from?.some((f) => f.plans.some((p) => p.destination === parseBind(b).destination)));
  for (const m of inputs.mounts ?? []) add(parseMount(m));
  const tmpfs = new Set((inputs.tmpfs ?? []).map((t) => path.posix.normalize(t).replace(/\/+$/, '')));
  for (const dst of Object.keys(inputs.volumes ?? {})) {
    const clean = checkDestination(dst, dst);
    if (byDest.has(clean) || tmpfs.has(clean)) continue;
    byDest.set(clean, { type: 'volume', source: '', destination: clean, readOnly: false, mode: '', anonymous: true });
  }
  const plans = [...byDest.values()].map((p) => (p.type === 'volume' && !p.driver && inputs.volumeDriver ? { ...p, driver: inputs.volumeDriver } : p));
  return plans.sort((a, b) => a.destination.split('/').length - b.destination.split('/').length || compareText(a.destination, b.destination));
}
