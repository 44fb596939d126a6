/**
 * What a container's OCI spec needs from the host and its root filesystem at start: the user
 * database inside the rootfs (read without following links out of it), `--device` nodes, the
 * /etc/hostname, /etc/hosts and /etc/resolv.conf the network service made, and the spec itself.
 */
import { constants } from 'node:fs';
import { open, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError } from '@keel/sdk';
import { InRootResolver } from '@keel/sdk/tar';
import { capsFromMask } from '../spec/defaults.js';
import { buildOciSpec } from '../spec/oci-spec.js';
import type { ContainerHostConfig, ContainerRecord } from '../container-types.js';
import { containerPaths, type ContainerContext } from './context.js';

/** Reads `/etc/<name>` of a root filesystem; '' when missing or a symlink (never followed out). */
export async function readEtcFile(rootfs: string, name: string): Promise<string> {
  try {
    const etc = await new InRootResolver(rootfs).dir('etc', 'etc', false);
    if (!etc) return '';
    const fh = await open(path.join(etc.host, name), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const st = await fh.stat();
      return st.isFile() && st.size < 16 << 20 ? await fh.readFile('utf8') : '';
    } finally {
      await fh.close();
    }
  } catch {
    return '';
  }
}

/** Host device nodes named by `--device`, as the spec needs them; 400 in Docker's words when missing. */
export async function hostDevices(host: ContainerHostConfig): Promise<Record<string, { type: 'c' | 'b'; major: number; minor: number; mode: number }>> {
  const out: Record<string, { type: 'c' | 'b'; major: number; minor: number; mode: number }> = {};
  for (const d of host.Devices ?? []) {
    const st = await stat(d.PathOnHost).catch(() => undefined);
    if (!st || (!st.isCharacterDevice() && !st.isBlockDevice())) {
      throw new InvalidArgumentError(`error gathering device information while adding custom device "${d.PathOnHost}": ${st ? 'not a device node' : 'no such file or directory'}`);
    }
    const rdev = st.rdev;
    out[d.PathOnHost] = { type: st.isCharacterDevice() ? 'c' : 'b', major: (rdev >> 8) & 0xfff, minor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00), mode: st.mode };
  }
  return out;
}

/** Writes the /etc files the network service made for the container. */
export async function writeNetworkFiles(ctx: ContainerContext, c: ContainerRecord, net: { hosts: string; resolvConf: string; hostname: string }): Promise<void> {
  const files = containerPaths(ctx, c.Id);
  await writeFile(files.hostname, net.hostname.endsWith('\n') ? net.hostname : `${net.hostname}\n`);
  await writeFile(files.hosts, net.hosts);
  await writeFile(files.resolvConf, net.resolvConf);
}

let bounding: Promise<Set<string>> | undefined;

/** The daemon's capability bounding set (read once). */
export function daemonBoundingCaps(): Promise<Set<string>> {
  bounding ??= readFile('/proc/self/status', 'utf8').then((s) => capsFromMask(/^CapBnd:\s*([0-9a-f]+)/m.exec(s)?.[1] ?? ''), () => new Set<string>());
  return bounding;
}

/** The container's OCI spec, rooted at its mounted rootfs. */
export async function containerSpec(ctx: ContainerContext, c: ContainerRecord, rootfs: string, netnsPath?: string): Promise<Record<string, unknown>> {
  const files = containerPaths(ctx, c.Id);
  const spec = buildOciSpec(c.Config, c.HostConfig, {
    id: c.Id, image: {}, passwd: await readEtcFile(rootfs, 'passwd'), group: await readEtcFile(rootfs, 'group'),
    goArch: ctx.settings.goArch, kernel: ctx.settings.kernel, cgroupsPath: c.keel.cgroupsPath, initPath: ctx.settings.initPath,
    hostDevices: await hostDevices(c.HostConfig), boundingCaps: await daemonBoundingCaps(), ...(netnsPath ? { netnsPath } : {}),
  }) as { root: { path: string }; mounts: Array<Record<string, unknown>>; hostname?: string };
  spec.root.path = rootfs;
  for (const [dst, src] of [['/etc/resolv.conf', files.resolvConf], ['/etc/hostname', files.hostname], ['/etc/hosts', files.hosts]] as const) {
    spec.mounts.push({ destination: dst, type: 'bind', source: src, options: ['rbind', 'rprivate', ...(c.HostConfig.ReadonlyRootfs ? ['ro'] : [])] });
  }
  return spec;
}
