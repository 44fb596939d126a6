/**
 * HTTP(S) to registries over node:http/https (undici's current major needs Node 22): one
 * keep-alive agent per origin and TLS material, a stall timeout (a silent connection is treated
 * as dropped, so downloads can resume), bounded body reads, and network errors worded like
 * Docker's (`Get "https://host/v2/": <cause>`).
 */
import { createHash } from 'node:crypto';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { UnavailableError } from '@keel/sdk';
import type { TlsMaterial } from './registry-hosts.js';

/** One request. */
export interface HttpRequest {
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer | Readable;
  readonly tls: TlsMaterial;
  readonly signal?: AbortSignal;
  /** Milliseconds without any byte before the connection counts as dropped (default 30 s). */
  readonly stallMs?: number;
}

/** A network-level failure (no HTTP answer), which callers may retry or fall back from. */
export class NetworkError extends UnavailableError {
  constructor(message: string, readonly errno?: string, options?: { cause?: unknown }) {
    super(message, { code: 'ERR_REGISTRY_NETWORK', ...options });
  }
}

const title = (m: string) => m[0] + m.slice(1).toLowerCase();

/** OpenSSL's texts as users know them from Docker. */
function plain(err: Error & { code?: string }): string {
  if (/wrong version number|packet length too long/.test(err.message)) return 'http: server gave HTTP response to HTTPS client';
  return err.message.replace(/^[^:]*:error:[0-9A-F]+:SSL routines:[^:]*:([^:]+):.*$/s, 'tls: $1');
}

/** Keep-alive agents, one per origin and TLS material. */
export class HttpClient {
  private readonly agents = new Map<string, http.Agent>();

  private agentFor(url: URL, tls: TlsMaterial): http.Agent {
    const id = createHash('sha256').update(JSON.stringify([url.origin, tls.rejectUnauthorized, tls.ca?.length ?? 0, tls.ca?.at(-1) ?? '', tls.cert?.toString('base64') ?? ''])).digest('hex');
    let agent = this.agents.get(id);
    if (!agent) {
      agent = url.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, maxSockets: 16, ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.cert ? { cert: tls.cert, key: tls.key } : {}), rejectUnauthorized: tls.rejectUnauthorized })
        : new http.Agent({ keepAlive: true, maxSockets: 16 });
      this.agents.set(id, agent);
    }
    return agent;
  }

  /** Sends a request; resolves with the response (any status), rejects with {@link NetworkError}. */
  send(req: HttpRequest): Promise<IncomingMessage> {
    const url = new URL(req.url);
    const mod = url.protocol === 'https:' ? https : http;
    const describe = (err: Error & { code?: string }) => `${title(req.method)} "${url.origin}${url.pathname}": ${plain(err)}`;
    return new Promise((resolve, reject) => {
      const r = mod.request(url, { method: req.method, headers: { 'User-Agent': 'keel', ...req.headers }, agent: this.agentFor(url, req.tls), signal: req.signal }, (res) => {
        // A stalled body is a dropped connection too: destroy it so the reader sees an error.
        res.setTimeout(req.stallMs ?? 30_000, () => res.destroy(new NetworkError(`${describe(new Error('connection stalled'))}`, 'ETIMEDOUT')));
        resolve(res);
      });
      r.setTimeout(req.stallMs ?? 30_000, () => r.destroy(Object.assign(new Error('timeout waiting for the registry'), { code: 'ETIMEDOUT' })));
      r.on('error', (err: Error & { code?: string }) => reject(req.signal?.aborted ? err : new NetworkError(describe(err), err.code, { cause: err })));
      if (!req.body) r.end();
      else if (Buffer.isBuffer(req.body)) r.end(req.body);
      else {
        req.body.on('error', (err) => r.destroy(err));
        req.body.pipe(r);
      }
    });
  }

  /** Closes every idle connection. */
  close(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }
}

/** Reads a whole response body, refusing more than `max` bytes. */
export async function readBody(res: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(res.headers['content-length'] ?? NaN);
  if (declared > max) {
    res.destroy();
    throw new Error(`response of ${declared} bytes is larger than the ${max} allowed`);
  }
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > max) {
      res.destroy();
      throw new Error(`response is larger than the ${max} bytes allowed`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** Throws the body away so the connection can be reused. */
export function discard(res: IncomingMessage): void {
  res.resume();
}
