/**
 * A conversation with one repository of one registry: the endpoint is chosen by pinging `/v2/`
 * (HTTPS first; plain HTTP only for insecure registries; mirrors fall through), then requests
 * carry the authorization the registry's challenge asks for — HTTP basic, or a bearer token from
 * the `WWW-Authenticate: Bearer realm=…,service=…,scope=…` token server, fetched again with a
 * wider scope when the registry says the token is not enough.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { AuthConfig } from './auth-config.js';
import { discard, NetworkError, readBody, type HttpClient } from './http-client.js';
import { badResponse, errorListText, unauthorized } from './registry-errors.js';
import type { RegistryEndpoint, RegistryHosts } from './registry-hosts.js';

/** One `WWW-Authenticate` challenge. */
export interface Challenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/** Parses `WWW-Authenticate` (`Bearer realm="…",service="…"`, `Basic realm="…"`). */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const values = Array.isArray(header) ? header : header ? [header] : [];
  return values.flatMap((v) => {
    const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(v);
    if (!m) return [];
    const params: Record<string, string> = {};
    for (const p of m[2]!.matchAll(/([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) params[p[1]!.toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
    return [{ scheme: m[1]!.toLowerCase(), params }];
  });
}

/** What a session needs. */
export interface SessionOptions {
  readonly http: HttpClient;
  readonly hosts: RegistryHosts;
  /** Registry as references name it (`127.0.0.1:5000`, `docker.io`). */
  readonly domain: string;
  /** Repository path (`library/busybox`); empty for a login. */
  readonly repo: string;
  /** `pull`, or `pull,push`. */
  readonly actions: string;
  readonly auth?: AuthConfig;
  readonly signal?: AbortSignal;
}

/** A request body, made again when a request is repeated after an authentication round. */
export type BodyFactory = () => Buffer | Readable | undefined;

const basic = (a: AuthConfig) => `Basic ${Buffer.from(`${a.username ?? ''}:${a.password ?? ''}`).toString('base64')}`;

/** A session with one repository. */
export class RegistrySession {
  private authorization?: string;
  private challenge?: Challenge;
  private readonly scopes = new Set<string>();

  private constructor(readonly o: SessionOptions, readonly endpoint: RegistryEndpoint) {
    // A login has no repository: its token is for the registry alone.
    if (o.repo) this.scopes.add(`repository:${o.repo}:${o.actions}`);
  }

  /** Pings the registry's endpoints in order and authenticates with the first that answers. */
  static async open(o: SessionOptions): Promise<RegistrySession> {
    let lastError: unknown;
    for (const ep of await o.hosts.endpoints(o.domain)) {
      try {
        const res = await o.http.send({ method: 'GET', url: `${ep.origin}/v2/`, tls: ep.tls, signal: o.signal, stallMs: 15_000 });
        discard(res);
        if (ep.mirror && res.statusCode !== 200 && res.statusCode !== 401) continue;
        const s = new RegistrySession(o, ep);
        s.challenge = res.statusCode === 401 ? pickChallenge(parseChallenges(res.headers['www-authenticate'])) : undefined;
        await s.authenticate();
        return s;
      } catch (err) {
        if (!(err instanceof NetworkError)) throw err;
        lastError = err;
      }
    }
    throw lastError ?? badResponse(`no endpoint for registry ${o.domain}`);
  }

  /** The URL of a registry path under this repository (`/manifests/latest`) or absolute (`/v2/…`). */
  url(p: string): string {
    return /^https?:/.test(p) ? p : p.startsWith('/v2/') ? `${this.endpoint.origin}${p}` : `${this.endpoint.origin}/v2/${this.o.repo}${p}`;
  }

  /** Asks for more access in later tokens (cross-repository mounts read from another repository). */
  async addScope(scope: string): Promise<void> {
    if (this.scopes.has(scope)) return;
    this.scopes.add(scope);
    await this.authenticate();
  }

  /**
   * Sends a request with this session's authorization. A 401 with a new challenge (expired token,
   * insufficient scope) authenticates again and repeats the request once. GET and HEAD follow
   * redirects (blob storage), dropping the authorization when the origin changes.
   */
  async request(method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', p: string, opts: { headers?: Record<string, string>; body?: BodyFactory; stallMs?: number } = {}): Promise<IncomingMessage> {
    for (let attempt = 0; ; attempt++) {
      let url = this.url(p);
      let auth = this.authorization;
      for (let hops = 0; ; hops++) {
        const res = await this.o.http.send({
          method, url, tls: this.endpoint.tls, signal: this.o.signal, stallMs: opts.stallMs,
          headers: { ...opts.headers, ...(auth ? { Authorization: auth } : {}) }, body: opts.body?.(),
        });
        const status = res.statusCode ?? 0;
        if ((method === 'GET' || method === 'HEAD') && [301, 302, 303, 307, 308].includes(status) && res.headers.location && hops < 5) {
          discard(res);
          const next = new URL(res.headers.location, url);
          if (next.origin !== new URL(url).origin) auth = undefined;
          url = next.href;
          continue;
        }
        if (status !== 401 || attempt > 0) return res;
        const fresh = pickChallenge(parseChallenges(res.headers['www-authenticate']));
        if (!fresh) return res;
        discard(res);
        if (fresh.params.scope) for (const s of fresh.params.scope.split(' ')) this.scopes.add(s);
        this.challenge = fresh;
        await this.authenticate();
        break;
      }
    }
  }

  private async authenticate(): Promise<void> {
    const c = this.challenge;
    const a = this.o.auth;
    if (!c) return;
    if (c.scheme === 'basic') {
      this.authorization = a?.username ? basic(a) : undefined;
      return;
    }
    if (c.scheme !== 'bearer') return;
    if (a?.registrytoken) {
      this.authorization = `Bearer ${a.registrytoken}`;
      return;
    }
    this.authorization = `Bearer ${await this.fetchToken(c)}`;
  }

  /** Gets a token from the challenge's realm for this session's scopes. */
  private async fetchToken(c: Challenge): Promise<string> {
    const realm = c.params.realm;
    if (!realm || !/^https?:\/\//.test(realm)) throw badResponse(`registry ${this.o.domain} asks for a token but names no valid realm`);
    const a = this.o.auth;
    const url = new URL(realm);
    const form = new URLSearchParams();
    if (c.params.service) (a?.identitytoken ? form : url.searchParams).set('service', c.params.service);
    for (const s of this.scopes) (a?.identitytoken ? form : url.searchParams).append('scope', s);
    const tls = url.origin === this.endpoint.origin ? this.endpoint.tls : await this.o.hosts.tlsFor(url.host, await this.o.hosts.isInsecure(url.host));
    let res: IncomingMessage;
    if (a?.identitytoken) {
      // An OAuth2 refresh token from an earlier login is exchanged, not sent as a password.
      form.set('grant_type', 'refresh_token');
      form.set('refresh_token', a.identitytoken);
      form.set('client_id', 'keel');
      res = await this.o.http.send({ method: 'POST', url: url.href, tls, signal: this.o.signal, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: Buffer.from(form.toString()) });
    } else {
      res = await this.o.http.send({ method: 'GET', url: url.href, tls, signal: this.o.signal, headers: a?.username ? { Authorization: basic(a) } : {} });
    }
    const body = await readBody(res, 1 << 20);
    if (res.statusCode === 401 || res.statusCode === 403) throw unauthorized(errorListText(body) ?? 'unauthorized: incorrect username or password');
    if (res.statusCode !== 200) throw badResponse(`token server ${url.origin} answered ${res.statusCode}${errorListText(body) ? `: ${errorListText(body)}` : ''}`);
    let doc: { token?: unknown; access_token?: unknown };
    try {
      doc = JSON.parse(body.toString('utf8')) as typeof doc;
    } catch {
      throw badResponse(`token server ${url.origin} sent something that is not JSON`);
    }
    const token = typeof doc.token === 'string' && doc.token ? doc.token : doc.access_token;
    if (typeof token !== 'string' || !token) throw badResponse(`token server ${url.origin} sent no token`);
    return token;
  }
}

function pickChallenge(list: Challenge[]): Challenge | undefined {
  return list.find((c) => c.scheme === 'bearer') ?? list.find((c) => c.scheme === 'basic');
}
