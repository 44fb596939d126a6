/**
 * The Docker API server: fastify for routing, served on unix sockets and (optionally) TCP by our
 * own http.Servers so one router answers on every `-H` address. Applies Docker's transport rules:
 * `/v1.xx` prefixes, version range, `_ping` headers, `{"message"}` errors with exactly
 * `Content-Type: application/json`, and `Api-Version`/`Ostype`/`Server` on every response.
 */
import http from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { EngineError, InvalidArgumentError, NotFoundError, toEngineError, type Logger } from '@keel/sdk';
import { toApiReply, toApiRequest, type RawExtras } from './api-reply.js';
import { API_VERSION, checkApiVersion, servedApiVersion, splitVersion } from './api-version.js';
import { installUpgradeHandler } from './hijack.js';
import { listenOn, type Listener } from './listeners.js';
import type { OwnedRoute } from './route-table.js';

/** Options of the API server. */
export interface ApiServerOptions {
  readonly hosts: readonly string[];
  readonly routes: readonly OwnedRoute[];
  readonly logger: Logger;
  readonly version: string;
  /** Group that may use the unix socket (dockerd's `group`); ignored when it does not exist. */
  readonly socketGroup?: string;
  readonly experimental?: boolean;
}

function sendError(reply: FastifyReply, err: EngineError): void {
  void reply.code(err.httpStatus === 499 ? 400 : err.httpStatus).header('content-type', 'application/json').send(Buffer.from(JSON.stringify({ message: err.message })));
  // A Buffer, not a string: fastify would append '; charset=utf-8', and the docker CLI compares the header exactly.
}

/** Maps fastify's own errors (body parsing, limits) to Docker-style client errors. */
function fromFastifyError(err: Error & { statusCode?: number; code?: string }): EngineError {
  if (EngineError.is(err)) return err;
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    const e = new InvalidArgumentError(err.message, { code: err.code, cause: err });
    if (err.statusCode !== 400) Object.defineProperty(e, 'httpStatus', { value: err.statusCode });
    return e;
  }
  return toEngineError(err);
}

/** The `Server` header of every answer. */
const serverHeader = (version: string) => `Docker/keel-${version} (linux)`;

/** What `/_ping` answers besides the headers every answer has. */
function pingHeaders(experimental: boolean): Record<string, string> {
  return {
    'Docker-Experimental': String(experimental), 'Builder-Version': '1', Swarm: 'inactive',
    'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache', 'Content-Type': 'text/plain; charset=utf-8',
  };
}

/**
 * `/_ping` answered before routing: clients (and health probes) call it constantly, and it needs
 * nothing from a route (the same headers fastify's `/_ping` sends). Prefixes outside the served
 * version range still go through fastify for its error.
 */
export function pingFastPath(version: string, experimental: boolean): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  const headers = { 'Api-Version': API_VERSION, Ostype: 'linux', Server: serverHeader(version), ...pingHeaders(experimental), 'Content-Length': '2' };
  return (req, res) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !req.url?.endsWith('/_ping')) return false;
    const { version: v, path } = splitVersion(req.url);
    if (path !== '/_ping' || (v && !servedApiVersion(v))) return false;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : 'OK');
    return true;
  };
}

/** Builds the fastify app with every route. */
export async function buildApiApp(opts: Omit<ApiServerOptions, 'hosts'>): Promise<FastifyInstance> {
  const log = opts.logger.child({ component: 'api' });
  const app = Fastify({
    logger: false,
    routerOptions: { maxParamLength: 1024 },
    exposeHeadRoutes: false,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    rewriteUrl(req) {
      const { version, path } = splitVersion(req.url ?? '/');
      if (version) (req as unknown as RawExtras).keelApiVersion = version;
      return path;
    },
  });
  const server = serverHeader(opts.version);
  app.addHook('onRequest', async (req, reply) => {
    reply.header('Api-Version', API_VERSION).header('Ostype', 'linux').header('Server', server);
    const version = (req.raw as unknown as RawExtras).keelApiVersion;
    if (version) checkApiVersion(version);
  });
  app.addHook('onResponse', async (req, reply) => {
    log.debug({ method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });
  app.setErrorHandler((err, _req, reply) => {
    const e = fromFastifyError(err as Error);
    if (e.kind === 'Internal') log.error({ err }, 'request failed');
    sendError(reply, e);
  });
  app.setNotFoundHandler((_req, reply) => sendError(reply, new NotFoundError('page not found')));

  // JSON bodies: Docker clients send empty bodies with a JSON content type; accept them.
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if ((body as string).trim() === '') return done(null, undefined);
    jsonParser(req, body as string, (err, value) => done(err ? new InvalidArgumentError(`invalid JSON body: ${err.message}`) : null, value));
  });
  // Other content types (attach's empty text/plain) are left unread on JSON routes.
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));

  const ping = (req: FastifyRequest, reply: FastifyReply) => {
    void reply.headers(pingHeaders(!!opts.experimental)).send(req.method === 'HEAD' ? '' : 'OK');
  };
  app.get('/_ping', ping);
  app.head('/_ping', ping);

  const register = (scope: FastifyInstance, route: OwnedRoute) => {
    scope.route({
      method: [...route.methods],
      url: route.path,
      handler: async (req, reply) => {
        const apiReq = toApiRequest(req, reply, !!route.rawBody);
        const apiReply = toApiReply(req, reply);
        const result = await route.handler(apiReq, apiReply);
        if (!apiReply.used() && !reply.sent) {
          if (result === undefined) apiReply.empty();
          else apiReply.json(result);
        }
        return reply;
      },
    });
  };
  for (const route of opts.routes.filter((r) => !r.rawBody)) register(app, route);
  // Raw-body routes (tar uploads) get their own scope where no parser consumes the stream.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    for (const route of opts.routes.filter((r) => r.rawBody)) register(scope, route);
  });
  await app.ready();
  return app;
}

/** A running API server. */
export class ApiServer {
  private listeners: Listener[] = [];
  private constructor(private readonly app: FastifyInstance) {}

  /** Builds the app and listens on every host; refuses a socket another daemon answers on. */
  static async start(opts: ApiServerOptions): Promise<ApiServer> {
    const app = await buildApiApp(opts);
    const server = new ApiServer(app);
    try {
      for (const host of opts.hosts) {
        const ping = pingFastPath(opts.version, !!opts.experimental);
        const httpServer = http.createServer({ maxHeaderSize: 16 * 1024 }, (req, res) => ping(req, res) || app.routing(req, res));
        httpServer.headersTimeout = 30_000;
        httpServer.requestTimeout = 0; // streams (events, logs, attach) are long-lived
        httpServer.keepAliveTimeout = 72_000;
        installUpgradeHandler(httpServer, (req, res) => app.routing(req, res));
        server.listeners.push(await listenOn(httpServer, host, { logger: opts.logger, socketGroup: opts.socketGroup }));
      }
    } catch (err) {
      await server.close();
      throw err;
    }
    return server;
  }

  /** The addresses served, e.g. `unix:///run/keel/keel.sock`. */
  addresses(): string[] {
    return this.listeners.map((l) => l.address);
  }

  /** Stops accepting connections, ends idle ones, removes socket files. */
  async close(): Promise<void> {
    await Promise.all(this.listeners.map((l) => l.close()));
    this.listeners = [];
    await this.app.close();
  }
}
