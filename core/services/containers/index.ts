/**
 * `core.containers`: Docker's container API over the OCI runtime plugins, each container under
 * its own conmon monitor so it outlives the daemon (live restore is always on). Records in the
 * state store; bundles and sockets under the plugin's run root; logs, exit and hosts files under
 * its data root.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { coreServices, definePlugin, drivers, goArch, NotSupportedError } from '@keel/sdk';
import { imageBackendRef, imagesHooks } from '../images/index.js';
import { networkBackendRef } from '../networks/index.js';
import { volumeBackendRef } from '../volumes/index.js';
import { systemHooks } from '../system/index.js';
import { registerCgroupRoutes } from './cgroups/index.js';
import { removeCgroup } from './lifecycle/cgroup-cleanup.js';
import { ContainerService } from './container-service.js';
import { registerFsRoutes } from './fs/fs-routes.js';
import { ContainerStore } from './container-store.js';
import { LogPipeline } from './logging/log-pipeline.js';
import { Conmon } from './monitor/conmon.js';
import { ContainerMounts } from './mounts/container-mounts.js';
import { ExitWatcher } from './lifecycle/exit-watcher.js';
import { containerNetworkPort } from './lifecycle/network-connect.js';
import { restoreContainers } from './lifecycle/restore.js';
import { configuredRuntimes, withConfiguredRuntimes } from './lifecycle/runtimes.js';
import { imageVeto } from './image-veto.js';
import { registerContainerRoutes } from './routes/container-routes.js';
import { registerExecRoutes } from './routes/exec-routes.js';
import { registerStreamRoutes } from './routes/stream-routes.js';

export type { ContainerAccess } from './container-access.js';
export type { ContainerRecord } from './container-types.js';

/** Plugin config (daemon.json `plugins["core.containers"]`). */
export interface ContainersConfig {
  /** The monitor binary. */
  readonly conmon?: string;
  /** Seconds `docker stop` waits by default. */
  readonly stopTimeout: number;
}

const first = (paths: string[]) => paths.find((p) => existsSync(p));

/** The containers service plugin. */
export const containersServicePlugin = definePlugin({
  id: 'core.containers',
  sdk: '^1.0.0',
  description: 'Docker container API: create, start, attach, exec, logs, stop, rm … under conmon monitors',
  config: {
    schema: { type: 'object', properties: { conmon: { type: 'string' }, stopTimeout: { type: 'integer', minimum: 0 } }, additionalProperties: false },
    defaults: { stopTimeout: 10 } as ContainersConfig,
  },
  deps: {
    storage: drivers.storage, runtimes: drivers.runtime, logDrivers: drivers.log, images: imageBackendRef, volumes: volumeBackendRef, networks: networkBackendRef, state: coreServices.state, paths: coreServices.paths,
    events: coreServices.events, hooks: coreServices.hooks, router: coreServices.httpRouter, log: coreServices.logger, daemon: coreServices.config,
  },
  async init({ storage, runtimes, logDrivers, images, volumes, networks, state, paths, events, hooks, router, log, daemon }, { config, lifecycle }) {
    const conmonPath = config.conmon ?? first(['/usr/bin/conmon', '/usr/libexec/podman/conmon', '/usr/local/bin/conmon']);
    if (!conmonPath) throw new NotSupportedError('conmon is not installed (apt-get install conmon): containers need their monitor');
    const store = new ContainerStore(state.namespace('containers'));
    const broken = await store.open();
    if (broken.length) log.warn({ broken }, 'container records that could not be read were skipped');
    const cgroupParent = (daemon.get<string>('cgroup-parent') || '/keel').replace(/\/+$/, '');
    const allRuntimes = withConfiguredRuntimes(runtimes, configuredRuntimes(daemon.get('runtimes'), path.join(paths.pluginRunRoot, 'runtimes')));
    const ctx = {
      store, images, storage, runtimes: allRuntimes, events, log, conmon: new Conmon(conmonPath), mounts: new ContainerMounts(volumes), networks,
      logs: new LogPipeline(logDrivers, { driver: logDrivers.defaultName() ?? 'json-file', options: daemon.get<Record<string, string>>('log-opts') ?? {} }, log), dataRoot: paths.pluginRoot, runRoot: paths.pluginRunRoot,
      settings: {
        cgroupParent: cgroupParent.startsWith('/') ? cgroupParent : `/${cgroupParent}`, goArch: goArch(), kernel: os.release(),
        initPath: daemon.get<string>('init-path') || first(['/usr/bin/tini-static', '/usr/bin/docker-init', '/usr/bin/tini']), stopTimeout: config.stopTimeout,
      },
    };
    await mkdir(path.join(paths.pluginRunRoot, 'bundles'), { recursive: true, mode: 0o700 });
    const svc = new ContainerService(ctx);
    networks.registerContainers(containerNetworkPort(ctx, networks));
    registerContainerRoutes(router, svc);
    registerStreamRoutes(router, svc);
    registerExecRoutes(router, svc);
    registerCgroupRoutes(router, svc);
    registerFsRoutes(router, svc, { images });
    hooks.tap(imagesHooks, 'beforeDelete', (req) => imageVeto(store.list(), req));
    hooks.tap(systemHooks, 'info', (info) => {
      const all = store.list();
      const running = all.filter((c) => c.State.Running && !c.State.Paused).length;
      const paused = all.filter((c) => c.State.Paused).length;
      const known = (info.Runtimes ?? {}) as Record<string, unknown>;
      const extra = Object.fromEntries(allRuntimes.names().filter((n) => !(n in known)).map((n) => [n, { path: allRuntimes.get(n)!.path }]));
      return { ...info, Runtimes: { ...known, ...extra }, Containers: all.length, ContainersRunning: running, ContainersPaused: paused, ContainersStopped: all.length - running - paused };
    });
    hooks.tap(systemHooks, 'df', async (df) => ({ ...df, Containers: await svc.listView({ all: true, limit: -1, size: true, filters: {} }) }));
    const watcher = new ExitWatcher(path.join(paths.pluginRunRoot, 'exits'), (id, code) => {
      void svc.runner.exited(id, code).catch((err: Error) => log.error({ id, err: err.message }, 'recording a container exit failed'));
    });
    lifecycle.onStart(async () => {
      const report = await restoreContainers(ctx, svc.runner);
      await volumes.retainUsers(store.list().map((c) => c.Id));
      await watcher.start();
      for (const c of store.list()) if (c.State.Running) svc.health.start(c);
      if (Object.values(report).some(Boolean)) log.info(report, 'containers restored');
    });
    // Containers keep running: stopping the daemon only stops watching them (live restore).
    lifecycle.onStop(async () => {
      watcher.stop();
      svc.health.stopAll();
      await ctx.logs.stopAll(); // positions saved: the next daemon resumes collecting
      // keel's own default parent goes when no container is left in it (rmdir fails while one
      // runs: live restore); a configured `cgroup-parent` is the administrator's and stays.
      if (!daemon.get<string>('cgroup-parent')) await removeCgroup(ctx.settings.cgroupParent);
    });
  },
});
