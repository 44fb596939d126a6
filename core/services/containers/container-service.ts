/**
 * The containers service: glue between the record store, the runner (start/stop/exits), the
 * remover, exec sessions and the views. It is the {@link ContainerAccess} route modules get.
 */
import type { OciRuntime, StorageDriver } from '@keel/sdk';
import { ConflictError, InvalidArgumentError, NotFoundError } from '@keel/sdk';
import type { ContainerAccess } from './container-access.js';
import type { ContainerRecord } from './container-types.js';
import { validName, type ContainerStore } from './container-store.js';
import { ExecService } from './exec/exec-service.js';
import { HealthChecker } from './health/health-checker.js';
import { AttachHub } from './lifecycle/attach-hub.js';
import { publishContainer, type ContainerContext } from './lifecycle/context.js';
import { createContainer, type CreateBody } from './lifecycle/create.js';
import { Remover } from './lifecycle/remove.js';
import { Runner } from './lifecycle/runner.js';
import { Waiters, type WaitResult } from './lifecycle/waiters.js';
import { inspectView } from './views/inspect-view.js';
import { filterContainers, listEntry } from './views/list-view.js';

/** `GET /containers/json` options. */
export interface ListOptions {
  readonly all: boolean;
  readonly limit: number;
  readonly size: boolean;
  readonly filters: Record<string, string[]>;
}

/** The service. */
export class ContainerService implements ContainerAccess {
  readonly store: ContainerStore;
  readonly waiters = new Waiters();
  readonly attach = new AttachHub();
  readonly runner: Runner;
  readonly remover: Remover;
  readonly exec: ExecService;
  readonly health: HealthChecker;

  constructor(readonly ctx: ContainerContext) {
    this.store = ctx.store;
    this.runner = new Runner(ctx, this.waiters, this.attach);
    this.remover = new Remover(ctx, this.runner, this.waiters, this.attach);
    this.exec = new ExecService(ctx);
    this.health = new HealthChecker({ store: this.store, probe: (c, cmd, t) => this.exec.probe(c, cmd, t), publish: (c, a) => this.publish(c, a) });
    this.remover.onRemoving = (id) => {
      this.exec.forget(id);
      this.health.stop(id);
    };
    this.runner.onStarted = (c) => this.health.start(c);
    const autoRemove = async (c: ContainerRecord) => {
      if (c.HostConfig.AutoRemove && !c.State.Restarting) await this.remover.remove(c.Id, { volumes: true }).catch((err: Error) => ctx.log.warn({ id: c.Id, err: err.message }, 'auto-remove failed'));
    };
    this.runner.onExited = async (c) => {
      this.health.stop(c.Id);
      await autoRemove(c);
    };
    this.runner.onStartFailed = autoRemove;
  }

  create(body: CreateBody, name: string | undefined) {
    return createContainer(this.ctx, body, name);
  }

  get(ref: string): ContainerRecord {
    return this.store.get(ref);
  }

  list(): ContainerRecord[] {
    return this.store.list();
  }

  /** `GET /containers/json`. */
  async listView(opts: ListOptions): Promise<Array<Record<string, unknown>>> {
    let list = this.store.list().sort((a, b) => Date.parse(b.Created) - Date.parse(a.Created) || (a.Id < b.Id ? 1 : -1));
    const showAll = opts.all || opts.limit > 0 || !!opts.filters.status?.length || !!opts.filters.exited?.length;
    if (!showAll) list = list.filter((c) => c.State.Running || c.State.Restarting);
    list = filterContainers(list, opts.filters, {
      find: (ref) => this.store.find(ref),
      imageIds: (ref) => {
        try {
          return [this.ctx.images.resolve(ref).id];
        } catch {
          return [];
        }
      },
    });
    if (opts.limit > 0) list = list.slice(0, opts.limit);
    const out: Array<Record<string, unknown>> = [];
    for (const c of list) out.push(listEntry(c, opts.size ? await this.size(c) : undefined, this.ctx.networks.settings(c.Id)));
    return out;
  }

  private async size(c: ContainerRecord): Promise<{ rw: number; rootFs: number }> {
    const rw = await this.storage(c).usage(c.Id).then((u) => u.size, () => 0);
    let image = 0;
    try {
      image = this.ctx.images.resolve(c.Image).size ?? 0;
    } catch {
      /* the image was removed (rmi -f); its layers are still held */
    }
    return { rw, rootFs: rw + image };
  }

  async inspect(ref: string, size: boolean): Promise<Record<string, unknown>> {
    const c = this.store.get(ref);
    return inspectView(c, this.ctx, size ? await this.size(c) : undefined, this.ctx.networks.settings(c.Id));
  }

  async rename(ref: string, newName: string): Promise<void> {
    if (!newName) throw new InvalidArgumentError('Neither old nor new names may be empty');
    const c = this.store.get(ref);
    const name = validName(newName);
    if (name === c.Name) throw new InvalidArgumentError('Renaming a container with the same name as its current name');
    this.store.reserveName(name);
    try {
      const rec = await this.store.update(c.Id, (r) => void (r.Name = name));
      this.publish(rec, 'rename', { oldName: c.Name });
    } finally {
      this.store.releaseName(name);
    }
  }

  /** `POST /containers/{id}/wait`. Rejects (before the headers) when the container is unknown. */
  wait(ref: string, condition: 'not-running' | 'next-exit' | 'removed', signal?: AbortSignal): Promise<WaitResult> {
    const c = this.store.get(ref);
    if (condition === 'not-running') {
      if (!c.State.Running && !c.State.Restarting) return Promise.resolve({ StatusCode: c.State.ExitCode, Error: null });
      return this.waiters.wait(c.Id, 'next-exit', signal);
    }
    return this.waiters.wait(c.Id, condition, signal);
  }

  /** `POST /containers/prune`. */
  async prune(filters: Record<string, string[]>): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
    const until = filters.until?.[0];
    const cutoff = until ? (/^\d+(\.\d+)?$/.test(until) ? Number(until) * 1000 : Date.parse(until)) : undefined;
    if (cutoff !== undefined && Number.isNaN(cutoff)) throw new InvalidArgumentError(`invalid filter 'until=${until}'`);
    const deleted: string[] = [];
    let space = 0;
    for (const c of this.store.list()) {
      if (c.State.Running || c.State.Restarting) continue;
      if (cutoff !== undefined && Date.parse(c.Created) >= cutoff) continue;
      const labels = c.Config.Labels ?? {};
      const has = (l: string) => (l.includes('=') ? labels[l.split('=')[0]!] === l.slice(l.indexOf('=') + 1) : l in labels);
      if (!(filters.label ?? []).every(has) || (filters['label!'] ?? []).some(has)) continue;
      space += (await this.size(c)).rw;
      await this.remover.remove(c.Id).then(() => deleted.push(c.Id), () => undefined);
    }
    if (deleted.length) this.ctx.events.publish({ type: 'container', action: 'prune', actor: { ID: '', Attributes: { reclaimed: String(space) } } });
    return { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: space };
  }

  // ContainerAccess

  async mountRootfs(c: ContainerRecord): Promise<string> {
    return this.storage(c).mount(c.Id);
  }

  async unmountRootfs(c: ContainerRecord): Promise<void> {
    await this.storage(c).unmount(c.Id);
  }

  storage(c: ContainerRecord): StorageDriver {
    return this.ctx.storage.require(c.keel.storage);
  }

  runtime(c: ContainerRecord): OciRuntime {
    const rt = this.ctx.runtimes.get(c.keel.runtime);
    if (!rt) throw new ConflictError(`runtime "${c.keel.runtime}" of container ${c.Id} is not available`);
    return rt;
  }

  update(id: string, change: (c: ContainerRecord) => void): Promise<ContainerRecord> {
    if (!this.store.find(id)) throw new NotFoundError(`No such container: ${id}`);
    return this.store.update(id, change);
  }

  publish(c: ContainerRecord, action: string, attributes?: Record<string, string>): void {
    publishContainer(this.ctx, c, action, attributes);
  }
}
