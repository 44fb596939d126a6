/**
 * An {@link HttpRouter} that records routes and invokes them in-process, so route handlers are
 * tested without a server: `router.invoke({ method: 'GET', path: '/info' })`.
 */
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import { EngineError, toEngineError } from '../errors.js';
import type { ApiReply, HttpMethod, HttpRouter, RouteDefinition } from '../http.js';

/** A request to invoke. */
export interface InvokeRequest {
  readonly method: HttpMethod;
  /** Path without version prefix, with an optional `?query`. */
  readonly path: string;
  readonly body?: unknown;
  readonly bodyStream?: Readable;
  readonly headers?: Record<string, string>;
  /** Stop collecting a streamed (NDJSON) answer after this many items. */
  readonly maxItems?: number;
}

/** What a handler answered. */
export interface InvokeResult {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** JSON/text body; for errors Docker's `{ message }`. */
  readonly body: unknown;
  /** Items of an NDJSON stream. */
  readonly items: unknown[];
}

function match(pattern: string, path: string): Record<string, string> | undefined {
  const p = pattern.split('/');
  const s = path.split('/');
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '*') {
      params['*'] = s.slice(i).join('/');
      return params;
    }
    if (s[i] === undefined) return undefined;
    if (p[i]!.startsWith(':')) params[p[i]!.slice(1)] = decodeURIComponent(s[i]!);
    else if (p[i] !== s[i]) return undefined;
  }
  return p.length === s.length ? params : undefined;
}

/** Records routes; invokes them. */
export class FakeRouter {
  readonly routes: Array<RouteDefinition & { pluginId: string }> = [];

  /** The view a plugin gets. */
  forPlugin(pluginId: string): HttpRouter {
    return { route: (def) => void this.routes.push({ ...def, pluginId }) };
  }

  /** Runs the matching handler; unknown routes answer 404 `page not found` like the server. */
  async invoke(req: InvokeRequest): Promise<InvokeResult> {
    const [path, qs = ''] = req.path.split('?');
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of new URLSearchParams(qs)) query[k] = k in query ? [...([] as string[]).concat(query[k]!), v] : v;
    for (const route of this.routes) {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const params = methods.includes(req.method) ? match(route.path, path!) : undefined;
      if (!params) continue;
      const out = { status: 200, headers: {} as Record<string, string>, body: undefined as unknown, items: [] as unknown[], used: false };
      const reply = fakeReply(out, req.maxItems ?? Infinity);
      try {
        const result = await route.handler(
          { method: req.method, path: path!, apiVersion: '1.47', params, query, headers: req.headers ?? {}, body: req.body, bodyStream: req.bodyStream, signal: new AbortController().signal },
          reply,
        );
        if (!out.used) {
          if (result === undefined) out.status = out.status === 200 ? 204 : out.status;
          else out.body = result;
        }
      } catch (err) {
        const e = toEngineError(err);
        return { status: EngineError.is(e) ? e.httpStatus : 500, headers: {}, body: { message: e.message }, items: [] };
      }
      return { status: out.status, headers: out.headers, body: out.body, items: out.items };
    }
    return { status: 404, headers: {}, body: { message: 'page not found' }, items: [] };
  }
}

function fakeReply(out: { status: number; headers: Record<string, string>; body: unknown; items: unknown[]; used: boolean }, maxItems: number): ApiReply {
  const reply: ApiReply = {
    status: (code) => ((out.status = code), reply),
    header: (name, value) => ((out.headers[name.toLowerCase()] = value), reply),
    json: (value) => void ((out.used = true), (out.body = value)),
    text: (value) => void ((out.used = true), (out.body = value)),
    empty: () => void ((out.used = true), out.status === 200 && (out.status = 204)),
    async ndjson(items) {
      out.used = true;
      for await (const item of items) {
        out.items.push(item);
        if (out.items.length >= maxItems) break;
      }
    },
    async stream(body) {
      out.used = true;
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(Buffer.from(c as Buffer));
      out.body = Buffer.concat(chunks);
    },
    hijack(): Duplex {
      out.used = true;
      return new PassThrough();
    },
  };
  return reply;
}
