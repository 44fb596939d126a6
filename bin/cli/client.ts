/**
 * A small client of the daemon's Docker API over node:http: JSON calls, streams, and errors that
 * tell the user what to do next.
 */
import http from 'node:http';
import type { DaemonAddress } from './hosts.js';

/** The daemon answered with an error (`{"message": …}`). */
export class DaemonError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** The daemon could not be reached; the message says what to do. */
export class ConnectError extends Error {}

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

function connectHelp(err: NodeJS.ErrnoException, address: DaemonAddress): ConnectError {
  const where = `Cannot connect to the keel daemon at ${address.text}.`;
  if (err.code === 'EACCES') return new ConnectError(`${where} Permission denied: run as root, or join the group that owns the socket.`);
  if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
    return new ConnectError(`${where} Is keeld running?\nStart it with: sudo scripts/setup.sh  (or: sudo keeld)${address.text.includes('keel.sock') ? '' : '\nOr point keel at it with -H, KEEL_HOST or DOCKER_HOST.'}`);
  }
  return new ConnectError(`${where} ${err.message}`);
}

/** The API client. */
export class ApiClient {
  constructor(readonly address: DaemonAddress, private readonly version: string, private readonly debug?: (line: string) => void) {}

  private path(p: string, o: RequestOptions): string {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(o.query ?? {})) for (const x of [v].flat()) if (x !== undefined) qs.append(k, x);
    const q = qs.toString();
    return `${o.unversioned ? '' : '/v1.47'}${p}${q ? `?${q}` : ''}`;
  }

  /** Sends a request; resolves once headers arrived. Errors (status ≥ 400) throw DaemonError. */
  async stream(method: string, p: string, o: RequestOptions = {}): Promise<StreamResponse> {
    const target = this.address.kind === 'unix' ? { socketPath: this.address.path } : { host: this.address.host, port: this.address.port };
    const body = o.body === undefined ? undefined : Buffer.from(JSON.stringify(o.body));
    const headers: Record<string, string> = { Host: 'api.moby.localhost', 'User-Agent': `keel-cli/${this.version}`, ...(body ? { 'Content-Type': 'application/json' } : {}), ...o.headers };
    const path = this.path(p, o);
    this.debug?.(`${method} ${path}`);
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request({ ...target, method, path, headers }, resolve);
      req.on('error', (err: NodeJS.ErrnoException) => reject(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ENOTDIR', 'EHOSTUNREACH'].includes(err.code ?? '') ? connectHelp(err, this.address) : err));
      if (o.upload) o.upload.pipe(req);
      else req.end(body);
    });
    if ((res.statusCode ?? 500) >= 400) {
      const text = await readAll(res);
      let message = text.trim();
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message;
      } catch { /* not JSON: show it as it came */ }
      throw new DaemonError(res.statusCode ?? 500, message || `HTTP ${res.statusCode}`);
    }
    return res;
  }

  /** A JSON call. */
  async json<T = unknown>(method: string, p: string, o: RequestOptions = {}): Promise<T> {
    const text = await readAll(await this.stream(method, p, o));
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

/** Reads a whole response body as text. */
export async function readAll(res: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Newline-delimited JSON objects of a stream. */
export async function* jsonLines<T = Record<string, unknown>>(res: NodeJS.ReadableStream): AsyncGenerator<T> {
  let buf = '';
  for await (const c of res) {
    buf += c.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield JSON.parse(line) as T;
    }
  }
  if (buf.trim()) yield JSON.parse(buf) as T;
}
