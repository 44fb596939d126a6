/**
 * The OCI runtime conformance suite: a real container from a static busybox, driven through the
 * OciRuntime contract. Needs root; skips (with the reason) where the runtime or busybox is absent.
 * @packageDocumentation
 */
import { access, copyFile, mkdir, mkdtemp, readFile, readdir, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OciRuntime, RuntimeState } from '../drivers/runtime.js';

/** What a factory returns. */
export interface RuntimeFixture {
  readonly runtime: OciRuntime;
  cleanup(): Promise<void>;
}

/** Options of the suite. */
export interface RuntimeConformanceOptions {
  /** A statically linked busybox for the test rootfs (default /bin/busybox). */
  readonly busybox?: string;
  /** Why the suite cannot run here, if it cannot (printed, cases skipped). */
  readonly skipReason?: string;
}

/** A minimal OCI spec running `args` in `rootfs`, in its own namespaces and cgroup. */
export function minimalSpec(args: string[], cgroupsPath: string): Record<string, unknown> {
  const caps = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_NET_BIND_SERVICE'];
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false, user: { uid: 0, gid: 0 }, args, cwd: '/', env: ['PATH=/bin'], noNewPrivileges: true,
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
    },
    root: { path: 'rootfs', readonly: false },
    hostname: 'conformance',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    ],
    linux: {
      cgroupsPath,
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: ['/proc/kcore', '/proc/keys'],
      readonlyPaths: ['/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

async function until(fn: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (await fn()) return true;
  return false;
}

/** Registers the conformance cases for one runtime. */
export function describeRuntimeConformance(name: string, factory: () => Promise<RuntimeFixture>, opts: RuntimeConformanceOptions = {}): void {
  const busybox = opts.busybox ?? '/bin/busybox';
  const reason = opts.skipReason ?? (process.getuid?.() !== 0 ? 'containers need root' : undefined);
  if (reason) console.warn(`runtime conformance: ${name} skipped: ${reason}`);
  describe.skipIf(!!reason)(`runtime conformance: ${name}`, () => {
    let fx: RuntimeFixture;
    let rt: OciRuntime;
    let dir: string;
    let seq = 0;
    const ids: string[] = [];
    const parentCgroup = `keel-conformance-${process.pid}`;
    const bundle = async (args: string[]) => {
      const id = `kc${process.pid}-${++seq}`;
      const b = path.join(dir, id);
      await mkdir(path.join(b, 'rootfs/bin'), { recursive: true });
      for (const d of ['proc', 'dev', 'sys', 'tmp']) await mkdir(path.join(b, 'rootfs', d));
      await copyFile(busybox, path.join(b, 'rootfs/bin/busybox'));
      for (const applet of ['sh', 'sleep', 'echo', 'cat']) await symlink('busybox', path.join(b, 'rootfs/bin', applet));
      await writeFile(path.join(b, 'config.json'), JSON.stringify(minimalSpec(args, `/${parentCgroup}/${id}`)));
      ids.push(id);
      return { id, bundle: b };
    };
    const status = async (id: string): Promise<RuntimeState['status'] | undefined> => (await rt.state(id))?.status;

    beforeEach(async () => {
      fx = await factory();
      rt = fx.runtime;
      dir = await mkdtemp(path.join(tmpdir(), 'keel-rtconf-'));
    });
    afterEach(async () => {
      for (const id of ids.splice(0)) await rt.delete(id, { force: true }).catch(() => undefined);
      await fx.cleanup();
      await rm(dir, { recursive: true, force: true });
    });
    afterAll(async () => {
      // Runtimes remove a container's own cgroup; the parent the suite made is ours to remove.
      for (const controller of await readdir('/sys/fs/cgroup').catch(() => [] as string[])) {
        await rmdir(path.join('/sys/fs/cgroup', controller, parentCgroup)).catch(() => undefined);
      }
      await rmdir(path.join('/sys/fs/cgroup', parentCgroup)).catch(() => undefined);
    });

    it('create makes a created container with a pid; start runs it', async () => {
      const c = await bundle(['/bin/sh', '-c', 'echo started > /tmp/out; sleep 30']);
      await rt.create(c);
      const s = await rt.state(c.id);
      expect(s?.status).toBe('created');
      expect(s?.pid).toBeGreaterThan(0);
      await rt.start(c.id);
      expect(await until(async () => (await readFile(path.join(c.bundle, 'rootfs/tmp/out'), 'utf8').catch(() => '')) === 'started\n')).toBe(true);
      expect(await status(c.id)).toBe('running');
    });

    it('kill delivers a signal; a killed container is stopped; delete removes it and its cgroup', async () => {
      const c = await bundle(['/bin/sleep', '30']);
      await rt.create(c);
      await rt.start(c.id);
      await rt.kill(c.id, 'SIGKILL');
      expect(await until(async () => (await status(c.id)) === 'stopped')).toBe(true);
      await rt.delete(c.id);
      expect(await rt.state(c.id)).toBeUndefined();
      for (const root of ['/sys/fs/cgroup/pids', '/sys/fs/cgroup']) {
        await expect(access(path.join(root, parentCgroup, c.id))).rejects.toThrow();
      }
    });

    it('exec runs a process inside the container and waits for it', async () => {
      const c = await bundle(['/bin/sleep', '30']);
      await rt.create(c);
      await rt.start(c.id);
      await rt.exec({ id: c.id, detach: false, process: { args: ['/bin/sh', '-c', 'echo $HOSTNAME-exec > /tmp/exec'], cwd: '/', env: ['PATH=/bin', 'HOSTNAME=conformance'], user: { uid: 0, gid: 0 }, terminal: false } });
      expect(await readFile(path.join(c.bundle, 'rootfs/tmp/exec'), 'utf8')).toBe('conformance-exec\n');
    });

    it('pause freezes and resume thaws', async () => {
      const c = await bundle(['/bin/sleep', '30']);
      await rt.create(c);
      await rt.start(c.id);
      await rt.pause(c.id);
      expect(await status(c.id)).toBe('paused');
      await rt.resume(c.id);
      expect(await status(c.id)).toBe('running');
    });

    it('delete --force removes a running container', async () => {
      const c = await bundle(['/bin/sleep', '30']);
      await rt.create(c);
      await rt.start(c.id);
      await rt.delete(c.id, { force: true });
      expect(await rt.state(c.id)).toBeUndefined();
    });

    it('answers unknown containers with undefined state and NotFound operations', async () => {
      expect(await rt.state('kc-missing')).toBeUndefined();
      await expect(rt.start('kc-missing')).rejects.toMatchObject({ kind: 'NotFound' });
    });
  });
}
