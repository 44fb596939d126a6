/**
 * A container's mounts over its life: at create, volumes are created (named or anonymous) and
 * referenced, bind sources checked; at start, volumes are mounted (image content copied into a
 * new, empty volume once, as Docker does) and the OCI mounts built; at exit, volumes unmounted;
 * at removal, references dropped and anonymous volumes removed when asked (`rm -v`, `--rm`).
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { InvalidArgumentError } from '@keel/sdk';
import { InRootResolver } from '@keel/sdk/tar';
import type { MountPlan } from './mount-plan.js';

const run = promisify(execFile);

/** What the container service needs of the volume service. */
export interface VolumePort {
  /** The named volume (created when missing), or a new anonymous one when `name` is undefined. */
  ensure(name: string | undefined, o: { driver?: string; options?: Record<string, string>; labels?: Record<string, string>; anonymous?: boolean }): Promise<{ name: string; driver: string; mountpoint?: string }>;
  /** Records that `containerId` uses the volume (removal is refused while any container does). */
  reference(name: string, containerId: string): Promise<void>;
  dereference(name: string, containerId: string): Promise<void>;
  mount(name: string, containerId: string): Promise<string>;
  unmount(name: string, containerId: string): Promise<void>;
  /** Removes a volume nobody references. */
  remove(name: string): Promise<void>;
}

/** A planned mount after create: volumes have names. */
export interface ResolvedMount extends MountPlan {
  /** Host directory of a volume, when the driver said. */
  mountpoint?: string;
  /** Image content was copied in already (or not wanted). */
  populated?: boolean;
}

/** An OCI runtime-spec mount. */
export interface SpecMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

/** Manages containers' mounts. */
export class ContainerMounts {
  constructor(private readonly volumes: VolumePort) {}

  /** Create time: volumes exist and are referenced, bind sources exist. Undone on failure. */
  async prepare(containerId: string, plans: MountPlan[]): Promise<ResolvedMount[]> {
    const done: ResolvedMount[] = [];
    try {
      for (const p of plans) {
        if (p.type === 'bind') {
          const st = await stat(p.source).catch(() => undefined);
          if (!st && p.createHostPath) await mkdir(p.source, { recursive: true, mode: 0o755 });
          else if (!st) throw new InvalidArgumentError(`invalid mount config for type "bind": bind source path does not exist: ${p.source}`);
          done.push({ ...p });
        } else if (p.type === 'volume') {
          const v = await this.volumes.ensure(p.source || undefined, { driver: p.driver, options: p.driverOptions, labels: p.labels, anonymous: !p.source });
          await this.volumes.reference(v.name, containerId);
          done.push({ ...p, source: v.name, driver: v.driver, anonymous: p.anonymous || !p.source, ...(v.mountpoint ? { mountpoint: v.mountpoint } : {}), populated: !!p.noCopy });
        } else {
          done.push({ ...p });
        }
      }
      return done;
    } catch (err) {
      await this.release(containerId, done, true);
      throw err;
    }
  }

  /** Removal: references dropped; anonymous volumes removed with `removeAnonymous`. */
  async release(containerId: string, mounts: readonly ResolvedMount[], removeAnonymous: boolean): Promise<void> {
    for (const m of mounts) {
      if (m.type !== 'volume') continue;
      await this.volumes.dereference(m.source, containerId).catch(() => undefined);
      if (removeAnonymous && m.anonymous) await this.volumes.remove(m.source).catch(() => undefined);
    }
  }

  /**
   * Start time: mounts the volumes, copies image content into new empty ones, and returns the
   * OCI mounts plus the list with `populated` updated (to persist).
   */
  async mountAll(containerId: string, mounts: readonly ResolvedMount[], rootfs: string): Promise<{ spec: SpecMount[]; mounts: ResolvedMount[] }> {
    const spec: SpecMount[] = [];
    const out: ResolvedMount[] = [];
    const mounted: string[] = [];
    try {
      for (const m of mounts) {
        const next = { ...m };
        if (m.type === 'tmpfs') {
          const opts = ['nosuid', 'nodev', ...(m.readOnly ? ['ro'] : []), ...(m.tmpfsSize ? [`size=${m.tmpfsSize}`] : []), ...(m.tmpfsMode ? [`mode=${m.tmpfsMode.toString(8)}`] : [])];
          spec.push({ destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: opts });
        } else {
          let source = m.source;
          if (m.type === 'volume') {
            source = await this.volumes.mount(m.source, containerId);
            mounted.push(m.source);
            next.mountpoint = source;
            if (!m.populated) {
              await copyUp(rootfs, m.destination, source);
              next.populated = true;
            }
          }
          spec.push({ destination: m.destination, type: 'bind', source, options: ['rbind', m.readOnly ? 'ro' : 'rw', m.propagation ?? 'rprivate'] });
        }
        out.push(next);
      }
      return { spec, mounts: out };
    } catch (err) {
      for (const name of mounted) await this.volumes.unmount(name, containerId).catch(() => undefined);
      throw err;
    }
  }

  /** Exit time: the volumes are unmounted (drivers unmount on the last user). */
  async unmountAll(containerId: string, mounts: readonly ResolvedMount[]): Promise<void> {
    for (const m of mounts) if (m.type === 'volume') await this.volumes.unmount(m.source, containerId).catch(() => undefined);
  }
}

/** Copies what the image has at `destination` into an empty volume, owners and modes kept. */
async function copyUp(rootfs: string, destination: string, volume: string): Promise<void> {
  if ((await readdir(volume).catch(() => ['?'])).length) return;
  const rel = destination.replace(/^\/+/, '');
  const dir = await new InRootResolver(rootfs).dir(rel, rel, false).catch(() => null);
  if (!dir) return;
  if (!(await readdir(dir.host)).length) return;
  await run('cp', ['-a', '--', `${dir.host}/.`, `${volume}/`]);
  // The volume's root takes the image directory's owner and mode, like Docker's copy-up.
  const st = await stat(dir.host);
  await run('chown', [`${st.uid}:${st.gid}`, volume]);
  await run('chmod', [(st.mode & 0o7777).toString(8), volume]);
}

/** Docker's `Mounts` entries of inspect and ps. */
export function inspectMounts(mounts: readonly ResolvedMount[] | undefined): Array<Record<string, unknown>> {
  return (mounts ?? []).map((m) => {
    if (m.type === 'volume') return { Type: 'volume', Name: m.source, Source: m.mountpoint ?? '', Destination: m.destination, Driver: m.driver ?? 'local', Mode: m.mode || 'z', RW: !m.readOnly, Propagation: '' };
    if (m.type === 'bind') return { Type: 'bind', Source: m.source, Destination: m.destination, Mode: m.mode, RW: !m.readOnly, Propagation: m.propagation ?? 'rprivate' };
    return { Type: 'tmpfs', Source: '', Destination: m.destination, Mode: '', RW: !m.readOnly, Propagation: '' };
  });
}
