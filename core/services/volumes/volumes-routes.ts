/**
 * Docker's volume routes: `POST /volumes/create`, `GET /volumes`, `GET /volumes/{name}`,
 * `DELETE /volumes/{name}`, `POST /volumes/prune`.
 */
import { InvalidArgumentError, queryBool, queryFilters, type HttpRouter } from '@keel/sdk';
import { LIST_FILTERS, PRUNE_FILTERS } from './volume-filters.js';
import type { VolumesService } from './volumes-service.js';

/** The create body (Docker's `VolumeCreateOptions`), checked field by field. */
interface CreateBody {
  readonly Name?: string;
  readonly Driver?: string;
  readonly DriverOpts?: Record<string, string>;
  readonly Labels?: Record<string, string>;
}

function stringMap(value: unknown, field: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw new InvalidArgumentError(`invalid ${field}: expected an object of strings`);
  }
  return value as Record<string, string>;
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new InvalidArgumentError(`invalid ${field}: expected a string`);
  return value;
}

function createBody(body: unknown): CreateBody {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new InvalidArgumentError('invalid volume create request: expected a JSON object');
  const b = body as Record<string, unknown>;
  return {
    Name: optionalString(b.Name, 'Name'), Driver: optionalString(b.Driver, 'Driver'),
    DriverOpts: stringMap(b.DriverOpts, 'DriverOpts'), Labels: stringMap(b.Labels, 'Labels'),
  };
}

/** Registers the volume routes. */
export function registerVolumeRoutes(router: HttpRouter, service: VolumesService): void {
  router.route({ method: 'POST', path: '/volumes/create', handler: async (req, reply) => {
    const b = createBody(req.body);
    const v = await service.create(b.Name, { driver: b.Driver, options: b.DriverOpts, labels: b.Labels });
    reply.status(201).json(await service.inspect(v.name, req.signal));
  } });

  router.route({ method: 'GET', path: '/volumes', handler: async (req) => ({
    Volumes: await service.list(queryFilters(req, LIST_FILTERS), req.signal),
    Warnings: null,
  }) });

  router.route({ method: 'POST', path: '/volumes/prune', handler: (req) => service.prune(queryFilters(req, PRUNE_FILTERS), req.apiVersion) });

  router.route({ method: 'GET', path: '/volumes/:name', handler: (req) => service.inspect(req.params.name!, req.signal) });

  router.route({ method: 'DELETE', path: '/volumes/:name', handler: async (req, reply) => {
    await service.remove(req.params.name!, { force: queryBool(req, 'force') });
    reply.empty();
  } });
}
