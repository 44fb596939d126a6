/**
 * A small client of the daemon's Docker API over node:http (no dependencies): JSON calls, streams,
 * and errors that tell the user what to do next.
 */
import http from 'node:http';
import { connectError, DaemonError, UNREACHABLE } from './errors.js';
import type { DaemonAddress } from './hosts.js';

/** The API version keel speaks; every call but `/_ping` is prefixed with it. */
export const API_VERSION = '1.47';

/** A response with its body still to be read. */
export type StreamResponse = http.IncomingMessage;

/** What a request carries. */
export interface RequestOptions {
  readonly query?: Record<string, string | string[] | undefined>;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Raw body stream (tar uploads). */
  readonly upload?: NodeJS.ReadableStream;
  /** Call the unversioned path (`/_ping`). */
  readonly unversioned?: boolean;
}

/** The API client. */
export class ApiClient {
  constructor(readonly address: DaemonAddress, private readonly version: string, private readonly debug?: (line: string) => void) {}

  private path(p: string, o: RequestOptions): string {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(o.query ?? {})) for (const x of [v].flat()) if (x !== undefined) qs.append(k, x);
    const q = qs.toString();
    return `${o.unversioned ? '' : `/v${API_VERSION}`}${p}${q ? `?${q}` : ''}`;
  }

  /** Sends a request; resolves once headers arrived. Status ≥ 400 throws DaemonError. */
  async stream(method: string, p: string, o: RequestOptions = {}): Promise<StreamResponse> {
    const a = this.address;
    const target = a.kind === 'unix' ? { socketPath: a.path } : { host: a.host, port: a.port };
    const body = o.body === undefined ? undefined : Buffer.from(JSON.stringify(o.body));
    // Docker clients send this Host: the daemon must not depend on it, but proxies in between might.
    const headers: Record<string, string> = { Host: 'api.moby.localhost', 'User-Agent': `keel-cli/${this.version}`, ...(body ? { 'Content-Type': 'application/json' } : {}), ...o.headers };
    const path = this.path(p, o);
    this.debug?.(`--> ${method} ${path}`);
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request({ ...target, method, path, headers }, resolve);
      req.on('error', (err: NodeJS.ErrnoException) => reject(UNREACHABLE.has(err.code ?? '') ? connectError(err, a.text) : err));
      if (o.upload) o.upload.pipe(req);
      else req.end(body);
    });
    this.debug?.(`<-- ${res.statusCode} ${res.statusMessage ?? ''}`.trimEnd());
    if ((res.statusCode ?? 500) >= 400) throw await daemonError(res);
    return res;
  }

  /** A JSON call. */
  async json<T = unknown>(method: string, p: string, o: RequestOptions = {}): Promise<T> {
    const text = await readAll(await this.stream(method, p, o));
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

// Docker's error body is {"message": …}; anything else (a proxy's HTML page) is shown as it came.
async function daemonError(res: http.IncomingMessage): Promise<DaemonError> {
  const text = await readAll(res);
  let message = text.trim();
  try {
    message = (JSON.parse(text) as { message?: string }).message ?? message;
  } catch { /* not JSON */ }
  return new DaemonError(res.statusCode ?? 500, message || `HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trimEnd());
}

/** Reads a whole response body as text. */
export async function readAll(res: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
