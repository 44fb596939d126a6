/**
 * Builds a plugin's DI scope: the kernel's core services, bound to the plugin where they are
 * plugin-scoped (logger, paths, state, hooks, httpRouter), registered under their ref ids.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { coreServices, type ConfigService, type EngineInfo, type EnginePaths, type EventBus, type Logger, type StateStore } from '@keel/sdk';
import type { DiScope } from './di.js';
import type { HookRegistry } from './hooks.js';
import type { RouteTable } from './route-table.js';

/** The engine-wide pieces plugin scopes are made from. */
export interface KernelServices {
  readonly logger: Logger;
  readonly config: ConfigService;
  readonly dataRoot: string;
  readonly execRoot: string;
  readonly state: StateStore;
  readonly events: EventBus;
  readonly hooks: HookRegistry;
  readonly routes: RouteTable;
  readonly engine: EngineInfo;
}

/** Creates the plugin's directories and a child scope with its bound core services. */
export async function createPluginScope(root: DiScope, pluginId: string, k: KernelServices): Promise<DiScope> {
  const paths: EnginePaths = Object.freeze({
    dataRoot: k.dataRoot,
    execRoot: k.execRoot,
    pluginRoot: path.join(k.dataRoot, 'plugins', pluginId),
    pluginRunRoot: path.join(k.execRoot, 'plugins', pluginId),
  });
  await Promise.all([mkdir(paths.pluginRoot, { recursive: true, mode: 0o700 }), mkdir(paths.pluginRunRoot, { recursive: true, mode: 0o700 })]);
  const scope = root.child();
  scope.provideValue(coreServices.logger.id, k.logger.child({ plugin: pluginId }));
  scope.provideValue(coreServices.config.id, k.config);
  scope.provideValue(coreServices.paths.id, paths);
  scope.provideFactory(coreServices.state.id, () => k.state.namespace(pluginId));
  scope.provideValue(coreServices.events.id, k.events);
  scope.provideFactory(coreServices.hooks.id, () => k.hooks.forPlugin(pluginId));
  scope.provideFactory(coreServices.httpRouter.id, () => k.routes.forPlugin(pluginId));
  scope.provideValue(coreServices.engine.id, k.engine);
  return scope;
}

/** True when `refId` is one of the kernel's own services. */
export function isCoreServiceId(refId: string): boolean {
  return Object.values(coreServices).some((r) => r.id === refId);
}
