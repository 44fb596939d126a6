/**
 * The Docker API server: Node's http.Server on unix sockets and (optionally) TCP, with one
 * find-my-way router answering on every `-H` address. Applies Docker's transport rules:
 * `/v1.xx` prefixes, version range, `_ping` headers, `{"message"}` errors with exactly
 * `Content-Type: application/json`, and `Api-Version`/`Ostype`/`Server` on every response.
 *
 * No web framework: the SDK's ApiRequest/ApiReply are all routes see, so the server needs only a
 * router, JSON bodies (./api-body.ts) and the reply view (./api-reply.ts). A framework cost about
 * 15 MB of the idle daemon and a third of /_ping's time.
 */
import http from 'node:http';
import FindMyWay from 'find-my-way';
import { EngineError, InvalidArgumentError, NotFoundError, toEngineError, type Logger } from '@keel/sdk';
import { readJsonBody } from './api-body.js';
import { sendBody, toApiReply, toApiRequest, type OwnReply, type RawExtras } from './api-reply.js';
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
 * `/_ping` (GET and HEAD), answered before routing: clients and health probes call it constantly,
 * and it needs nothing from a route. Prefixes outside the served version range, and other
 * methods, go on to the router for its error.
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

/** The routed API: `dispatch` answers one request (also an upgraded one, see ./hijack.ts). */
export interface ApiApp {
  dispatch(req: http.IncomingMessage, res: http.ServerResponse): void;
}

/** Builds the router with every route. */
export function buildApiApp(opts: Omit<ApiServerOptions, 'hosts'>): ApiApp {
  const log = opts.logger.child({ component: 'api' });
  const router = FindMyWay({ maxParamLength: 1024, onBadUrl: () => undefined });
  const noop = () => undefined;
  for (const route of opts.routes) router.on([...route.methods], route.path, noop, route);
  const server = serverHeader(opts.version);
  const ping = pingFastPath(opts.version, !!opts.experimental);

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, reply: { current?: OwnReply }) => {
    const { version, path: url } = splitVersion(req.url ?? '/');
    if (version) checkApiVersion(version);
    const found = router.find(req.method as FindMyWay.HTTPMethod, url);
    if (!found) throw new NotFoundError('page not found');
    const target = found.store as OwnedRoute | null;
    if (target === null) throw new InvalidArgumentError(`invalid URL: ${url}`);
    const stash = (req as unknown as RawExtras).keelUpgrade;
    const rawBody = !!target.rawBody;
    const body = rawBody ? undefined : stash ? stash.body : await readJsonBody(req);
    const q = url.indexOf('?');
    const apiReq = toApiRequest(req, res, {
      apiVersion: version, path: q < 0 ? url : url.slice(0, q), params: found.params as Record<string, string>,
      query: found.searchParams as Record<string, string | string[]>, body, rawBody,
    });
    const apiReply = (reply.current = toApiReply(req, res));
    const result = await target.handler(apiReq, apiReply);
    if (!apiReply.used() && !res.headersSent && !res.writableEnded) {
      if (result === undefined) apiReply.empty();
      else apiReply.json(result);
    }
  };

  const fail = (req: http.IncomingMessage, res: http.ServerResponse, reply: OwnReply | undefined, err: unknown) => {
    const e = EngineError.is(err) ? err : toEngineError(err);
    // A client that left mid-body is not a daemon failure.
    if (e.kind === 'Internal' && !req.destroyed) log.error({ err, method: req.method, url: req.url }, 'request failed');
    // Too late for an error answer: the stream, or the hijacked connection, ends here.
    if (res.headersSent || reply?.used()) return void res.destroy();
    if (e.httpStatus === 413) res.shouldKeepAlive = false; // the unread body is still on the wire
    res.statusCode = e.httpStatus === 499 ? 400 : e.httpStatus;
    sendBody(res, 'application/json', JSON.stringify({ message: e.message }));
  };

  return {
    dispatch(req, res) {
      if (ping(req, res)) return;
      res.setHeader('Api-Version', API_VERSION);
      res.setHeader('Ostype', 'linux');
      res.setHeader('Server', server);
      const started = performance.now();
      res.once('finish', () => log.debug({ method: req.method, url: req.url, status: res.statusCode, ms: Math.round(performance.now() - started) }, 'request'));
      const reply: { current?: OwnReply } = {};
      handle(req, res, reply).catch((err) => fail(req, res, reply.current, err));
    },
  };
}

/** A running API server. */
export class ApiServer {
  private listeners: Listener[] = [];
  private constructor() {}

  /** Builds the router and listens on every host; refuses a socket another daemon answers on. */
  static async start(opts: ApiServerOptions): Promise<ApiServer> {
    const app = buildApiApp(opts);
    const server = new ApiServer();
    try {
      for (const host of opts.hosts) {
        const httpServer = http.createServer({ maxHeaderSize: 16 * 1024 }, app.dispatch);
        httpServer.headersTimeout = 30_000;
        httpServer.requestTimeout = 0; // streams (events, logs, attach) are long-lived
        httpServer.keepAliveTimeout = 72_000;
        installUpgradeHandler(httpServer, app.dispatch);
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
  }
}
