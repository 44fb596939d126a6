/**
 * Running containers: start (under conmon), exits (seen in the monitors' exit directory), stop,
 * kill, pause and restart policies. Operations that change whether a container runs are queued
 * per container; exit handling is not, so a stop waiting for an exit can never block it.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConflictError, KeyedQueue, NotFoundError } from '@keel/sdk';
import type { ContainerRecord } from '../container-types.js';
import { containerCgroup, hostCgroupLayout } from '../cgroups/index.js';
import { resizeTerminal } from '../monitor/conmon.js';
import type { AttachHub } from './attach-hub.js';
import { containerPaths, publishContainer, type ContainerContext } from './context.js';
import { removeCgroup } from './cgroup-cleanup.js';
import { readExitFile } from './exit-watcher.js';
import { BackOff, shouldRestart } from './restart-policy.js';
import { parseSignal } from './signals.js';
import { attachRequest } from './network-port.js';
import { containerSpec, writeNetworkFiles } from './spec-files.js';
import type { Waiters } from './waiters.js';

/** Result of start/stop when nothing had to be done (HTTP 304). */
export const NOT_MODIFIED = Symbol('not-modified');

const now = () => new Date().toISOString();

/** Exit code Docker records for a process that could not be started. */
function startFailureCode(message: string): number {
  if (/executable file not found|no such file or directory/i.test(message)) return 127;
  if (/permission denied/i.test(message)) return 126;
  return 128;
}

/** Starts, stops and watches containers. */
export class Runner {
  private readonly ops = new KeyedQueue();
  private readonly starting = new Map<string, Promise<unknown>>();
  private readonly restartTimers = new Map<string, NodeJS.Timeout>();
  private readonly backOff = new BackOff();
  private readonly handlingExit = new Set<string>();
  /** Called after an exit was recorded (health checks stop, auto-remove …). */
  onExited: (c: ContainerRecord) => Promise<void> = async () => undefined;
  /** Called after a start failed (auto-remove). */
  onStartFailed: (c: ContainerRecord) => Promise<void> = async () => undefined;
  /** Called after a start (health checks begin). */
  onStarted: (c: ContainerRecord) => void = () => undefined;

  constructor(private readonly ctx: ContainerContext, private readonly waiters: Waiters, private readonly attach: AttachHub) {}

  /** Runs `fn` after every earlier queued operation on container `id`. */
  exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.ops.run(id, fn);
  }

  /** `docker start`. */
  start(ref: string): Promise<ContainerRecord | typeof NOT_MODIFIED> {
    const id = this.ctx.store.get(ref).Id;
    return this.exclusive(id, async () => {
      const c = this.ctx.store.get(id);
      if (c.State.Paused) throw new ConflictError('cannot start a paused container, try unpause instead');
      if (c.State.Running) return NOT_MODIFIED;
      if (c.State.Status === 'removing' || c.State.Dead) throw new ConflictError(`container ${id} is marked for removal and cannot be started`);
      this.cancelRestart(id);
      return this.run(c, false);
    });
  }

  /** Runs the container; its exit is handled only after this finished (fast processes exit first). */
  private async run(c: ContainerRecord, isRestart: boolean): Promise<ContainerRecord> {
    const started = this.launch(c, isRestart);
    this.starting.set(c.Id, started.catch(() => undefined));
    try {
      const rec = await started;
      // The exit may have been signalled while the record still said "not running".
      const code = await readExitFile(containerPaths(this.ctx, c.Id).exitFile);
      if (code !== undefined) void this.exited(c.Id, code);
      return rec;
    } finally {
      this.starting.delete(c.Id);
    }
  }

  private async launch(c: ContainerRecord, isRestart: boolean): Promise<ContainerRecord> {
    const files = containerPaths(this.ctx, c.Id);
    const storage = this.ctx.storage.require(c.keel.storage);
    const runtime = this.ctx.runtimes.get(c.keel.runtime);
    if (!runtime) throw new ConflictError(`runtime "${c.keel.runtime}" of container ${c.Id} is not available`);
    let rootfsMounted = false;
    let volumesMounted = false;
    let networkAttached = false;
    let mountsAfter = c.keel.mounts;
    try {
      // The root filesystem and the network namespace do not depend on each other: both at once
      // (each waits on a process: mount, unshare and ip).
      const [mounted, attached] = await Promise.allSettled([storage.mount(c.Id), this.ctx.networks.attach(c.Id, attachRequest(c))]);
      rootfsMounted = mounted.status === 'fulfilled';
      networkAttached = attached.status === 'fulfilled';
      if (mounted.status === 'rejected') throw mounted.reason;
      if (attached.status === 'rejected') throw attached.reason;
      const rootfs = mounted.value;
      const net = attached.value;
      await writeNetworkFiles(this.ctx, c, net);
      const spec = await containerSpec(this.ctx, c, rootfs, net.netnsPath);
      const volumes = await this.ctx.mounts.mountAll(c.Id, c.keel.mounts ?? [], rootfs);
      volumesMounted = true;
      (spec.mounts as unknown[]).push(...volumes.spec);
      mountsAfter = volumes.mounts;
      await mkdir(files.bundle, { recursive: true, mode: 0o700 });
      await mkdir(files.exitDir, { recursive: true, mode: 0o700 });
      await writeFile(path.join(files.bundle, 'config.json'), JSON.stringify(spec));
      for (const f of [files.exitFile, path.join(files.data, 'exit'), path.join(files.data, 'oom')]) await rm(f, { force: true });
      await runtime.delete(c.Id, { force: true }).catch(() => undefined); // a leftover of a crashed run
      const { pid } = await this.ctx.conmon.create({
        id: c.Id, name: c.Name.slice(1), bundle: files.bundle, persistDir: files.data, exitDir: files.exitDir, logPath: files.log,
        runtimePath: runtime.path, runtimeArgs: runtime.globalArgs ?? [], tty: !!c.Config.Tty, stdin: !!c.Config.OpenStdin, leaveStdinOpen: !c.Config.StdinOnce,
      });
      const [h, w] = c.HostConfig.ConsoleSize ?? [0, 0];
      if (c.Config.Tty && h && w) await this.resize(c, h, w).catch(() => undefined);
      await this.ctx.logs.start(c, files.data, files.log);
      await this.attach.connectPending(c.Id, files.bundle);
      await runtime.start(c.Id);
      const monitorPid = Number((await readFile(path.join(files.bundle, 'conmon.pid'), 'utf8').catch(() => '0')).trim()) || undefined;
      const rec = await this.ctx.store.update(c.Id, (r) => {
        Object.assign(r.State, { Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: pid, ExitCode: 0, Error: '', StartedAt: now() });
        if (r.State.Health) r.State.Health = { Status: 'starting', FailingStreak: 0, Log: r.State.Health.Log };
        if (isRestart) r.RestartCount++;
        r.keel = { ...r.keel, monitorPid, manuallyStopped: false, hasBeenStarted: true, generation: r.keel.generation + 1, mounts: mountsAfter };
      });
      publishContainer(this.ctx, rec, 'start');
      this.onStarted(rec);
      return rec;
    } catch (err) {
      await runtime.delete(c.Id, { force: true }).catch(() => undefined);
      await removeCgroup(c.keel.cgroupsPath);
      if (volumesMounted) await this.ctx.mounts.unmountAll(c.Id, c.keel.mounts ?? []);
      if (networkAttached) await this.ctx.networks.detach(c.Id).catch(() => undefined);
      await this.ctx.logs.stop(c.Id);
      if (rootfsMounted) await storage.unmount(c.Id).catch(() => undefined);
      this.attach.endPending(c.Id);
      const message = (err as Error).message;
      const code = startFailureCode(message);
      const rec = await this.ctx.store.update(c.Id, (r) => {
        Object.assign(r.State, { Status: r.keel.hasBeenStarted ? 'exited' : 'created', Running: false, Restarting: false, Error: message, ExitCode: code });
      }).catch(() => undefined);
      this.waiters.notify(c.Id, 'exit', { StatusCode: code, Error: { Message: message } });
      if (rec?.HostConfig.AutoRemove) void this.onStartFailed(rec);
      throw err;
    }
  }

  /** Writes a terminal size to the monitor's control fifo (`1 <h> <w>`). */
  async resize(c: ContainerRecord, h: number, w: number): Promise<void> {
    if (!c.Config.Tty) return;
    await resizeTerminal(containerPaths(this.ctx, c.Id).bundle, h, w);
  }

  /** Handles the exit file of container `id` (written by its monitor). */
  async exited(id: string, exitCode: number): Promise<void> {
    if (this.handlingExit.has(id)) return; // inotify may report one file more than once
    this.handlingExit.add(id);
    try {
      await this.recordExit(id, exitCode);
    } finally {
      this.handlingExit.delete(id);
    }
  }

  private async recordExit(id: string, exitCode: number): Promise<void> {
    await this.starting.get(id);
    const c = this.ctx.store.find(id);
    if (!c?.State.Running) return;
    const files = containerPaths(this.ctx, id);
    const oom = existsSync(path.join(files.data, 'oom')) || (await this.oomKilled(c));
    await this.ctx.runtimes.get(c.keel.runtime)?.delete(id, { force: true }).catch((err: Error) => this.ctx.log.warn({ id, err: err.message }, 'runtime delete failed'));
    await this.ctx.mounts.unmountAll(id, c.keel.mounts ?? []);
    // Independent, each waiting on a process (ip, umount): side by side.
    await Promise.all([
      this.ctx.networks.detach(id).catch((err: Error) => this.ctx.log.warn({ id, err: err.message }, 'releasing the network failed')),
      this.ctx.storage.get(c.keel.storage)?.unmount(id).catch(() => undefined),
    ]);
    await this.ctx.logs.finish(c, files.data, files.log); // every line is in the driver before anyone learns of the exit
    await rm(files.exitFile, { force: true });
    const startedAt = Date.parse(c.State.StartedAt);
    const restart = shouldRestart(c, exitCode);
    const rec = await this.ctx.store.update(id, (r) => {
      Object.assign(r.State, { Status: restart ? 'restarting' : 'exited', Running: false, Paused: false, Restarting: restart, Pid: 0, ExitCode: exitCode, OOMKilled: oom, FinishedAt: now() });
      r.keel.monitorPid = undefined;
    });
    if (oom) publishContainer(this.ctx, rec, 'oom');
    publishContainer(this.ctx, rec, 'die', { exitCode: String(exitCode), execDuration: String(Math.max(0, Math.round((Date.now() - startedAt) / 1000))) });
    this.waiters.notify(id, 'exit', { StatusCode: exitCode, Error: null });
    await this.onExited(rec);
    if (restart) this.scheduleRestart(rec, Date.now() - startedAt);
  }

  /** The memory controller counts OOM kills (v1 `memory.oom_control`, v2 `memory.events`) until the runtime deletes the cgroup. */
  private async oomKilled(c: ContainerRecord): Promise<boolean> {
    const cg = containerCgroup(await hostCgroupLayout(), c.keel.cgroupsPath);
    const dir = cg.version === 2 ? cg.dir('') : cg.dir('memory');
    if (!dir) return false;
    const text = await readFile(path.join(dir, cg.version === 2 ? 'memory.events' : 'memory.oom_control'), 'utf8').catch(() => '');
    const kills = /oom_kill (\d+)/.exec(text);
    return !!kills && Number(kills[1]) > 0;
  }

  private scheduleRestart(c: ContainerRecord, ranMs: number): void {
    const delay = this.backOff.next(c.Id, ranMs);
    const timer = setTimeout(() => {
      this.restartTimers.delete(c.Id);
      void this.exclusive(c.Id, async () => {
        const cur = this.ctx.store.find(c.Id);
        if (!cur || !cur.State.Restarting) return;
        await this.run(cur, true);
      }).catch((err: Error) => this.ctx.log.warn({ id: c.Id, err: err.message }, 'restart policy: start failed'));
    }, delay);
    timer.unref();
    this.restartTimers.set(c.Id, timer);
  }

  /** Cancels a pending policy restart; true when there was one. */
  cancelRestart(id: string): boolean {
    const t = this.restartTimers.get(id);
    if (t) clearTimeout(t);
    this.restartTimers.delete(id);
    return !!t;
  }

  /** `docker kill`. */
  async kill(ref: string, signal = 'SIGKILL'): Promise<void> {
    const sig = parseSignal(signal);
    const c = this.ctx.store.get(ref);
    if (!c.State.Running) throw new ConflictError(`Cannot kill container: ${ref}: Container ${c.Id} is not running`);
    const stopSignal = parseSignal(c.Config.StopSignal || 'SIGTERM').number;
    if (sig.number === 9 || sig.number === stopSignal) await this.ctx.store.update(c.Id, (r) => void (r.keel.manuallyStopped = true));
    await this.signal(c, sig.name);
    publishContainer(this.ctx, c, 'kill', { signal: String(sig.number) });
  }

  private async signal(c: ContainerRecord, name: string): Promise<void> {
    const runtime = this.ctx.runtimes.require(c.keel.runtime);
    await runtime.kill(c.Id, name).catch((err: Error) => {
      if (!(err instanceof NotFoundError) && !(err instanceof ConflictError)) throw err;
    });
  }

  /** `docker stop`: the stop signal, then SIGKILL after `timeout` seconds (negative: wait forever). */
  stop(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<typeof NOT_MODIFIED | void> {
    const c0 = this.ctx.store.get(ref);
    return this.exclusive(c0.Id, async () => {
      const c = this.ctx.store.get(c0.Id);
      if (this.cancelRestart(c.Id) || c.State.Restarting) {
        await this.ctx.store.update(c.Id, (r) => Object.assign(r.State, { Status: 'exited', Restarting: false }) && void (r.keel.manuallyStopped = true));
        return;
      }
      if (!c.State.Running) return NOT_MODIFIED;
      await this.ctx.store.update(c.Id, (r) => void (r.keel.manuallyStopped = true));
      const sig = parseSignal(opts.signal || c.Config.StopSignal || 'SIGTERM');
      const timeout = opts.timeout ?? c.Config.StopTimeout ?? this.ctx.settings.stopTimeout;
      const exited = this.waiters.wait(c.Id, 'next-exit');
      if (c.State.Paused) await this.ctx.runtimes.require(c.keel.runtime).resume(c.Id).catch(() => undefined);
      await this.signal(c, sig.name);
      publishContainer(this.ctx, c, 'kill', { signal: String(sig.number) });
      const inTime = timeout < 0 ? await exited.then(() => true) : await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), timeout * 1000).unref())]);
      if (!inTime) {
        await this.signal(c, 'SIGKILL');
        publishContainer(this.ctx, c, 'kill', { signal: '9' });
        await exited;
      }
      publishContainer(this.ctx, this.ctx.store.find(c.Id) ?? c, 'stop');
    });
  }

  /** `docker restart`. */
  async restart(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const c = this.ctx.store.get(ref);
    await this.stop(c.Id, opts);
    await this.start(c.Id);
    publishContainer(this.ctx, this.ctx.store.get(c.Id), 'restart');
  }

  /** `docker pause` / `unpause` (the runtime's freezer). */
  pause(ref: string, pause: boolean): Promise<void> {
    const c0 = this.ctx.store.get(ref);
    return this.exclusive(c0.Id, async () => {
      const c = this.ctx.store.get(c0.Id);
      if (!c.State.Running) throw new ConflictError(`Container ${c.Id} is not running`);
      if (pause && c.State.Paused) throw new ConflictError(`Container ${c.Id} is already paused`);
      if (!pause && !c.State.Paused) throw new ConflictError(`Container ${c.Id} is not paused`);
      const runtime = this.ctx.runtimes.require(c.keel.runtime);
      if (pause) await runtime.pause(c.Id);
      else await runtime.resume(c.Id);
      const rec = await this.ctx.store.update(c.Id, (r) => Object.assign(r.State, { Paused: pause, Status: pause ? 'paused' : 'running' }));
      publishContainer(this.ctx, rec, pause ? 'pause' : 'unpause');
    });
  }

}
