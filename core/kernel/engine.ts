/**
 * A running engine: the kernel with a build's plugins, started, and the API server listening
 * last. Used by keeld and by anyone who ships a custom build.
 */
import { mkdir } from 'node:fs/promises';
import type { Logger } from '@keel/sdk';
import { ApiServer } from './api-server.js';
import { API_VERSION, MIN_API_VERSION } from './api-version.js';
import type { EngineBuild } from './build.js';
import { readBuildInfo } from './build-info.js';
import type { DaemonConfig } from './config.js';
import { Kernel } from './kernel.js';
import { assertNotServed } from './listeners.js';

/** What a running engine offers its host process. */
export interface RunningEngine {
  readonly kernel: Kernel;
  readonly server: ApiServer;
  /** SIGHUP: re-read daemon.json, apply reloadable keys; returns the changed keys. */
  reload(): Promise<string[]>;
  /** SIGTERM: stop accepting requests, then stop plugins in reverse order. */
  stop(): Promise<void>;
}

/** Starts an engine: data/exec roots, kernel init and start, then the API server. */
export async function startEngine(build: EngineBuild, config: DaemonConfig, logger: Logger): Promise<RunningEngine> {
  await mkdir(config.get<string>('data-root')!, { recursive: true, mode: 0o711 });
  await mkdir(config.get<string>('exec-root')!, { recursive: true, mode: 0o700 });
  for (const host of config.get<string[]>('hosts')!) await assertNotServed(host);
  const info = readBuildInfo();
  const kernel = new Kernel({ build, config, logger, ...info, apiVersion: API_VERSION, minApiVersion: MIN_API_VERSION });
  await kernel.init();
  await kernel.start();
  let server: ApiServer;
  try {
    server = await ApiServer.start({
      hosts: config.get<string[]>('hosts')!,
      routes: kernel.routes.all(),
      logger,
      version: info.version,
      socketGroup: config.get<string>('group') ?? 'docker',
      experimental: config.get<boolean>('experimental'),
    });
  } catch (err) {
    await kernel.stop();
    throw err;
  }
  kernel.routes.freeze();
  let stopping: Promise<void> | undefined;
  return {
    kernel,
    server,
    reload: () => config.reload(),
    stop: () =>
      (stopping ??= (async () => {
        await server.close();
        await kernel.stop();
      })()),
  };
}
