/**
 * The container routes that work on a container's cgroup: `stats`, `top` and `update`. The
 * container service calls {@link registerCgroupRoutes} once during its init.
 */
import type { HttpRouter } from '@keel/sdk';
import type { ContainerAccess } from '../container-access.js';
import { hostCgroupLayout, type CgroupLayout } from './cgroup-fs.js';
import { registerStatsRoute, StatsSampler } from './stats-routes.js';
import { registerTopRoute } from './top.js';
import { registerUpdateRoute } from './update.js';

export { containerCgroup, cgroupPids, hostCgroupLayout, parseCgroupLayout, type CgroupLayout, type ContainerCgroup } from './cgroup-fs.js';
export type { StatsResponse } from './stats-types.js';

/** Overrides for tests: a fixture cgroup tree, /proc, ps, the host's CPU count. */
export interface CgroupRouteOptions {
  readonly layout?: () => Promise<CgroupLayout>;
  readonly procRoot?: string;
  readonly machineMemory?: number;
  readonly intervalMs?: number;
  readonly ps?: string;
  readonly cpus?: number;
}

/** Registers `GET /containers/:id/stats`, `GET /containers/:id/top` and `POST /containers/:id/update`. */
export function registerCgroupRoutes(router: HttpRouter, access: ContainerAccess, options: CgroupRouteOptions = {}): void {
  const layout = options.layout ?? hostCgroupLayout;
  registerStatsRoute(router, access, new StatsSampler({ layout, procRoot: options.procRoot, machineMemory: options.machineMemory, intervalMs: options.intervalMs }));
  registerTopRoute(router, access, { layout, ps: options.ps });
  registerUpdateRoute(router, access, { cpus: options.cpus });
}
