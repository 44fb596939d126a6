/**
 * The SDK's server-neutral ApiRequest/ApiReply over Node's own request and response, including
 * streaming (NDJSON with back-pressure, raw bytes) and connection hijacking for attach/exec.
 */
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ApiReply, ApiRequest, HttpMethod } from '@keel/sdk';
import { API_VERSION } from './api-version.js';
import type { UpgradeStash } from './hijack.js';

/** Fields the server stashes on the raw request. */
export interface RawExtras {
  keelUpgrade?: UpgradeStash;
}

/** What routing found for a request. */
export interface Routed {
  readonly apiVersion?: string;
  /** The path without version prefix and query. */
  readonly path: string;
  readonly params: Record<string, string>;
  readonly query: Record<string, string | string[] | undefined>;
  readonly body: unknown;
  readonly rawBody: boolean;
}

/** Builds the SDK request view; its `signal` aborts when the client leaves before the answer is complete. */
export function toApiRequest(req: IncomingMessage, res: ServerResponse, r: Routed): ApiRequest {
  let ac: AbortController | undefined;
  let gone = false;
  const reason = () => new Error('client disconnected');
  res.once('close', () => {
    if (res.writableFinished) return;
    gone = true;
    ac?.abort(reason());
  });
  return {
    method: req.method as HttpMethod,
    path: r.path,
    apiVersion: r.apiVersion ?? API_VERSION,
    params: r.params,
    query: r.query,
    headers: req.headers,
    body: r.body,
    bodyStream: r.rawBody ? req : undefined,
    get signal() {
      if (!ac) {
        ac = new AbortController();
        if (gone) ac.abort(reason());
      }
      return ac.signal;
    },
  };
}

/** Sends a complete body with its exact content type (no charset appended: the docker CLI compares it). */
export function sendBody(res: ServerResponse, contentType: string, body: string | Buffer): void {
  res.setHeader('content-type', contentType);
  res.setHeader('content-length', typeof body === 'string' ? Buffer.byteLength(body) : body.length);
  res.end(body);
}

/** The SDK reply view, plus whether the handler answered (`used`). */
export type OwnReply = ApiReply & { used(): boolean };

/** Builds the SDK reply view. */
export function toApiReply(req: IncomingMessage, res: ServerResponse): OwnReply {
  let used = false;
  const mark = () => {
    used = true;
  };
  const api: OwnReply = {
    used: () => used,
    status(code) {
      res.statusCode = code;
      return api;
    },
    header(name, value) {
      res.setHeader(name, value);
      return api;
    },
    json(value) {
      mark();
      sendBody(res, 'application/json', JSON.stringify(value) ?? 'null');
    },
    text(value, contentType = 'text/plain; charset=utf-8') {
      mark();
      sendBody(res, contentType, value);
    },
    empty() {
      mark();
      if (res.statusCode === 200) res.statusCode = 204;
      res.end();
    },
    async ndjson(items, contentType = 'application/json') {
      mark();
      startStream(res, contentType);
      const it = items[Symbol.asyncIterator]();
      const onClose = () => void it.return?.();
      res.once('close', onClose);
      try {
        for (;;) {
          const next = await it.next();
          if (next.done || res.destroyed) break;
          if (!res.write(`${JSON.stringify(next.value)}\n`)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
        }
      } finally {
        res.off('close', onClose);
        res.end();
      }
    },
    async stream(body: Readable, contentType: string) {
      mark();
      startStream(res, contentType);
      await pipeline(body, res).catch(() => res.destroy());
    },
    hijack(contentType: string): Duplex {
      mark();
      const stash = (req as unknown as RawExtras).keelUpgrade;
      const socket = (stash?.socket ?? req.socket) as Duplex;
      const head = stash
        ? `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n`
        : `HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\n`;
      socket.write(`${head}Api-Version: ${API_VERSION}\r\n\r\n`);
      if (stash?.head.length) socket.unshift(stash.head);
      return socket;
    },
  };
  return api;
}

function startStream(res: ServerResponse, contentType: string): void {
  res.setHeader('content-type', contentType);
  res.flushHeaders();
}
