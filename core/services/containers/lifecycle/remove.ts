/**
 * `docker rm`: a running container needs `force` (then it is killed first); the read-write layer,
 * the image hold, the container's files and its record go, in that order, so a crash midway
 * leaves a record that a second `rm` finishes.
 */
import { rm } from 'node:fs/promises';
import { ConflictError } from '@keel/sdk';
import type { AttachHub } from './attach-hub.js';
import { removeCgroup } from './cgroup-cleanup.js';
import { containerPaths, publishContainer, type ContainerContext } from './context.js';
import type { Runner } from './runner.js';
import type { Waiters } from './waiters.js';

/** Removes containers. */
export class Remover {
  /** Called before the files go (health checks, exec sessions …). */
  onRemoving: (id: string) => void = () => undefined;

  constructor(private readonly ctx: ContainerContext, private readonly runner: Runner, private readonly waiters: Waiters, private readonly attach: AttachHub) {}

  /** `DELETE /containers/{id}`. */
  async remove(ref: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const c0 = this.ctx.store.get(ref);
    if (c0.State.Running && !opts.force) {
      const what = c0.State.Paused ? 'paused' : 'running';
      throw new ConflictError(`cannot remove container "${c0.Name}": container is ${what}: stop the container before removing or force remove`);
    }
    if (c0.State.Running) {
      const exited = this.waiters.wait(c0.Id, 'next-exit');
      await this.runner.kill(c0.Id, 'SIGKILL').catch(() => undefined);
      if (c0.State.Paused) await this.ctx.runtimes.get(c0.keel.runtime)?.resume(c0.Id).catch(() => undefined);
      await exited;
    }
    await this.runner.exclusive(c0.Id, () => this.destroy(c0.Id, !!opts.volumes));
  }

  /** Removes a stopped container's resources and record (and its anonymous volumes with `volumes`). */
  async destroy(id: string, volumes = false): Promise<void> {
    const c = this.ctx.store.find(id);
    if (!c) return;
    if (c.State.Running) throw new ConflictError(`container ${id} is running`);
    this.runner.cancelRestart(id);
    this.onRemoving(id);
    this.attach.endPending(id);
    const rec = await this.ctx.store.update(id, (r) => Object.assign(r.State, { Status: 'removing', Restarting: false }));
    const files = containerPaths(this.ctx, id);
    await this.ctx.runtimes.get(c.keel.runtime)?.delete(id, { force: true }).catch(() => undefined);
    await removeCgroup(c.keel.cgroupsPath);
    await this.ctx.networks.detach(id).catch(() => undefined);
    const storage = this.ctx.storage.get(c.keel.storage);
    if (storage && (await storage.exists(id))) await storage.remove(id);
    await this.ctx.images.release(id);
    await this.ctx.mounts.release(id, c.keel.mounts ?? [], volumes);
    await rm(files.bundle, { recursive: true, force: true });
    await rm(files.data, { recursive: true, force: true });
    await rm(files.exitFile, { force: true });
    await this.ctx.store.delete(id);
    publishContainer(this.ctx, rec, 'destroy');
    this.waiters.notify(id, 'removed', { StatusCode: rec.State.ExitCode, Error: null });
  }
}
