/**
 * Routes registered by plugins through `coreServices.httpRouter`, collected until the API server
 * listens. Each route remembers its plugin; a second registration of the same method and path
 * is an error naming both plugins.
 */
import { ConflictError, type HttpMethod, type HttpRouter, type RouteDefinition } from '@keel/sdk';

/** A route with its owner. */
export interface OwnedRoute extends RouteDefinition {
  readonly pluginId: string;
  readonly methods: readonly HttpMethod[];
}

/** The engine's route table. */
export class RouteTable {
  private readonly routes: OwnedRoute[] = [];
  private readonly owners = new Map<string, string>();
  private frozen = false;

  /** A router bound to `pluginId`. */
  forPlugin(pluginId: string): HttpRouter {
    return { route: (def) => this.add(pluginId, def) };
  }

  /** No more routes (the server is listening). */
  freeze(): void {
    this.frozen = true;
  }

  /** Every route, in registration order. */
  all(): readonly OwnedRoute[] {
    return this.routes;
  }

  private add(pluginId: string, def: RouteDefinition): void {
    if (this.frozen) throw new ConflictError(`plugin ${pluginId} cannot add route ${def.path} after the API server started`);
    const methods = (Array.isArray(def.method) ? def.method : [def.method]) as HttpMethod[];
    for (const m of methods) {
      const key = `${m} ${def.path}`;
      const owner = this.owners.get(key);
      if (owner) throw new ConflictError(`route ${key} of plugin ${pluginId} is already served by ${owner}`);
      this.owners.set(key, pluginId);
    }
    this.routes.push({ ...def, pluginId, methods });
  }
}
