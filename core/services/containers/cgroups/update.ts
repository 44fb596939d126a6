/**
 * `POST /containers/{id}/update`: merges new resource limits and a restart policy into the
 * container's HostConfig, and applies the limits to a running (or paused) container through its
 * runtime. If the runtime refuses, the old HostConfig is put back, so the record never claims
 * limits that are not in force.
 */
import { cpus as hostCpus } from 'node:os';
import { ConflictError, InternalError, NotSupportedError, toEngineError, type HttpRouter } from '@keel/sdk';
import type { ContainerAccess } from '../container-access.js';
import type { ContainerHostConfig } from '../container-types.js';
import { parseUpdateBody, planUpdate } from './update-rules.js';

/** Options for tests. */
export interface UpdateDeps {
  /** CPUs of the host (NanoCpus and cpuset checks); default: the host's. */
  readonly cpus?: number;
}

/** Docker's answer. */
export interface UpdateResult {
  Warnings: string[];
}

/** Updates one container; see the module comment. */
export async function updateContainer(access: ContainerAccess, ref: string, rawBody: unknown, deps: UpdateDeps = {}): Promise<UpdateResult> {
  const body = parseUpdateBody(rawBody);
  const cpus = deps.cpus ?? hostCpus().length;
  const c0 = access.get(ref);
  if (c0.State.Status === 'removing' || c0.State.Dead) {
    throw new ConflictError(`Cannot update container ${c0.Id}: container is marked for removal and cannot be "update"`);
  }
  // Validate before touching the record, then merge again into the record as it is when written.
  planUpdate(c0.Id, c0.HostConfig, body, cpus);
  let before: ContainerHostConfig = c0.HostConfig;
  let live: Record<string, unknown> = {};
  const c = await access.update(c0.Id, (r) => {
    before = structuredClone(r.HostConfig);
    const plan = planUpdate(r.Id, r.HostConfig, body, cpus);
    r.HostConfig = plan.hostConfig;
    live = plan.live;
  });
  // Stopped (or restarting) containers get their new limits on the next start.
  if (c.State.Running && !c.State.Restarting) {
    const runtime = access.runtime(c);
    const restore = () => access.update(c.Id, (r) => void (r.HostConfig = before)).catch(() => undefined);
    if (!runtime.capabilities.update) {
      await restore();
      throw new NotSupportedError(`Cannot update container ${c.Id}: runtime ${c.keel.runtime} cannot update a running container`);
    }
    try {
      await runtime.update(c.Id, live);
    } catch (err) {
      await restore();
      throw new InternalError(`Cannot update container ${c.Id}: ${toEngineError(err).message}`, { cause: err });
    }
  }
  access.publish(c, 'update');
  return { Warnings: [] };
}

/** Registers `POST /containers/:id/update`. */
export function registerUpdateRoute(router: HttpRouter, access: ContainerAccess, deps: UpdateDeps = {}): void {
  router.route({
    method: 'POST',
    path: '/containers/:id/update',
    handler: (req) => updateContainer(access, req.params.id!, req.body, deps),
  });
}
