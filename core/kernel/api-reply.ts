/**
 * Adapts fastify's request/reply to the SDK's server-neutral ApiRequest/ApiReply, including
 * streaming (NDJSON with back-pressure, raw bytes) and connection hijacking for attach/exec.
 */
import { once } from 'node:events';
import type { Duplex, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiReply, ApiRequest, HttpMethod } from '@keel/sdk';
import { API_VERSION } from './api-version.js';
import type { UpgradeStash } from './hijack.js';

/** Fields the server stashes on the raw request. */
export interface RawExtras {
  keelApiVersion?: string;
  keelUpgrade?: UpgradeStash;
}

/** Builds the SDK request view. */
export function toApiRequest(req: FastifyRequest, reply: FastifyReply, rawBody: boolean): ApiRequest {
  const ac = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) ac.abort(new Error('client disconnected'));
  });
  const extras = req.raw as unknown as RawExtras;
  return {
    method: req.method as HttpMethod,
    path: req.url.split('?')[0]!,
    apiVersion: extras.keelApiVersion ?? API_VERSION,
    params: (req.params ?? {}) as Record<string, string>,
    query: (req.query ?? {}) as Record<string, string | string[]>,
    headers: req.headers,
    body: rawBody ? undefined : (extras.keelUpgrade ? extras.keelUpgrade.body : req.body),
    bodyStream: rawBody ? req.raw : undefined,
    signal: ac.signal,
  };
}

/** Builds the SDK reply view. */
export function toApiReply(req: FastifyRequest, reply: FastifyReply): ApiReply & { used(): boolean } {
  let used = false;
  const mark = () => {
    used = true;
  };
  const api: ApiReply & { used(): boolean } = {
    used: () => used,
    status(code) {
      reply.code(code);
      return api;
    },
    header(name, value) {
      reply.header(name, value);
      return api;
    },
    json(value) {
      mark();
      void reply.header('content-type', 'application/json').send(Buffer.from(JSON.stringify(value)));
    },
    text(value, contentType = 'text/plain; charset=utf-8') {
      mark();
      void reply.header('content-type', contentType).send(value);
    },
    empty() {
      mark();
      if (reply.statusCode === 200) reply.code(204);
      void reply.send();
    },
    async ndjson(items, contentType = 'application/json') {
      mark();
      const raw = startStream(reply, contentType);
      const it = items[Symbol.asyncIterator]();
      const onClose = () => void it.return?.();
      raw.once('close', onClose);
      try {
        for (;;) {
          const next = await it.next();
          if (next.done || raw.destroyed) break;
          if (!raw.write(`${JSON.stringify(next.value)}\n`)) await Promise.race([once(raw, 'drain'), once(raw, 'close')]);
        }
      } finally {
        raw.off('close', onClose);
        raw.end();
      }
    },
    async stream(body: Readable, contentType: string) {
      mark();
      const raw = startStream(reply, contentType);
      await pipeline(body, raw).catch(() => raw.destroy());
    },
    hijack(contentType: string): Duplex {
      mark();
      reply.hijack();
      const stash = (req.raw as unknown as RawExtras).keelUpgrade;
      const socket = (stash?.socket ?? req.raw.socket) as Duplex;
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

function startStream(reply: FastifyReply, contentType: string) {
  reply.hijack();
  const raw = reply.raw;
  raw.statusCode = reply.statusCode;
  for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) raw.setHeader(k, v as string);
  raw.setHeader('content-type', contentType);
  raw.flushHeaders();
  return raw;
}
