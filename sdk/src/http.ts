/**
 * The HTTP routing surface service plugins use to serve Docker API paths, independent of the
 * server library. Paths are registered without the `/v1.xx` prefix; the API server serves each
 * route with and without it and checks the version.
 * @packageDocumentation
 */
import type { Readable, Duplex } from 'node:stream';
import { InvalidArgumentError } from './errors.js';

/** HTTP methods routes may use. */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

/** A request as a route handler sees it. */
export interface ApiRequest {
  /** The HTTP method. */
  readonly method: HttpMethod;
  /** The path without the version prefix, e.g. `/containers/abc/json`. */
  readonly path: string;
  /** The API version the client asked for (`1.47` when unprefixed). */
  readonly apiVersion: string;
  /** Path parameters (`:id`, and `*` for a greedy tail). */
  readonly params: Readonly<Record<string, string>>;
  /** Query string values; repeated keys give arrays. */
  readonly query: Readonly<Record<string, string | string[] | undefined>>;
  /** Request headers, lower-cased. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The parsed JSON body (undefined for an empty body or for `rawBody` routes). */
  readonly body: unknown;
  /** The raw body stream, for routes declared with `rawBody: true` (tar uploads). */
  readonly bodyStream?: Readable;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
}

/** How a route answers. A handler may also just return a value: it is sent as JSON with 200. */
export interface ApiReply {
  /** Sets the status code. */
  status(code: number): ApiReply;
  /** Sets a response header. */
  header(name: string, value: string): ApiReply;
  /** Sends a JSON body. */
  json(value: unknown): void;
  /** Sends a plain text body. */
  text(value: string, contentType?: string): void;
  /** Sends no body (204 unless another status was set). */
  empty(): void;
  /**
   * Streams newline-delimited JSON: headers are flushed at once, then one object per item; the
   * stream ends when the iterable ends or the client leaves. Back-pressure is honoured.
   */
  ndjson(items: AsyncIterable<unknown>, contentType?: string): Promise<void>;
  /** Streams raw bytes (e.g. a tar) with the given content type. */
  stream(body: Readable, contentType: string): Promise<void>;
  /**
   * Takes over the connection (attach/exec): answers `101 UPGRADED` when the client asked for an
   * upgrade, else `200`, and returns the socket with any bytes that arrived early already unshifted.
   */
  hijack(contentType: string): Duplex;
}

/** A route handler. */
export type RouteHandler = (req: ApiRequest, reply: ApiReply) => unknown;

/** A route. */
export interface RouteDefinition {
  /** Method(s). */
  readonly method: HttpMethod | readonly HttpMethod[];
  /** Path with `:name` params and an optional trailing `*` (greedy: image names contain `/`). */
  readonly path: string;
  /** Hand the handler the raw body stream instead of parsing JSON (tar uploads). */
  readonly rawBody?: boolean;
  /** Lowest API version this route exists in (default: the server's minimum). */
  readonly minApiVersion?: string;
  /** The handler. */
  readonly handler: RouteHandler;
}

/** `coreServices.httpRouter`: registers routes during `init`; frozen when the server listens. */
export interface HttpRouter {
  /** Adds a route; a duplicate method+path is an error naming both plugins. */
  route(definition: RouteDefinition): void;
}

const FALSE_WORDS = new Set(['', '0', 'no', 'false', 'none']);

/** One query value (the last one when repeated). */
export function queryString(req: Pick<ApiRequest, 'query'>, name: string): string | undefined {
  const v = req.query[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

/** A query boolean by moby's rule: absent → `fallback`; "", 0, no, false, none → false; else true. */
export function queryBool(req: Pick<ApiRequest, 'query'>, name: string, fallback = false): boolean {
  const v = queryString(req, name);
  if (v === undefined) return fallback;
  return !FALSE_WORDS.has(v.trim().toLowerCase());
}

/** A query integer; absent → `fallback`; not an integer → 400 naming the parameter. */
export function queryInt(req: Pick<ApiRequest, 'query'>, name: string, fallback?: number): number | undefined {
  const v = queryString(req, name);
  if (v === undefined || v === '') return fallback;
  if (!/^-?\d+$/.test(v.trim())) throw new InvalidArgumentError(`invalid value for ${name}: "${v}" is not an integer`);
  return Number.parseInt(v, 10);
}

/**
 * Docker's `filters` query: JSON in the map form `{"k":{"v":true}}` or the legacy list form
 * `{"k":["v"]}`. Returns key → values. Malformed JSON → 400. `allowed` rejects unknown keys
 * with Docker's message.
 */
export function queryFilters(req: Pick<ApiRequest, 'query'>, allowed?: readonly string[]): Record<string, string[]> {
  const raw = queryString(req, 'filters');
  if (raw === undefined || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InvalidArgumentError(`invalid filter: ${raw} is not valid JSON`);
  }
  if (parsed === null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidArgumentError('invalid filter: expected a JSON object');
  const out: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (allowed && !allowed.includes(key)) throw new InvalidArgumentError(`invalid filter '${key}'`);
    if (Array.isArray(value)) out[key] = value.map(String);
    else if (value && typeof value === 'object') out[key] = Object.entries(value).filter(([, on]) => on === true).map(([k]) => k);
    else throw new InvalidArgumentError(`invalid filter: values of '${key}' must be a list or a map of booleans`);
  }
  return out;
}

/**
 * A Docker timestamp in a query (`since`/`until`): Unix seconds with an optional fraction
 * (`1795361357.000000001`). Returns seconds as a number; malformed → 400.
 */
export function queryTimestamp(req: Pick<ApiRequest, 'query'>, name: string): number | undefined {
  const v = queryString(req, name);
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+(\.\d+)?$/.test(v.trim())) throw new InvalidArgumentError(`invalid value for ${name}: "${v}" is not a Unix timestamp`);
  return Number(v);
}
