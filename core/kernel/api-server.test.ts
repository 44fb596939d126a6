import net from 'node:net';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject, type InjectOptions } from 'light-my-request';
import { ConflictError, queryBool, queryFilters, type RouteDefinition } from '@keel/sdk';
import { createFakeLogger } from '@keel/sdk/testkit';
import { MAX_JSON_BODY } from './api-body.js';
import { ApiServer, buildApiApp, pingFastPath, type ApiApp } from './api-server.js';
import type { OwnedRoute } from './route-table.js';

const own = (r: RouteDefinition): OwnedRoute => ({ ...r, pluginId: 'test.routes', methods: Array.isArray(r.method) ? r.method : [r.method as never] });

const routes: OwnedRoute[] = [
  own({ method: 'GET', path: '/things/json', handler: (req) => ({ all: queryBool(req, 'all'), filters: queryFilters(req, ['name']), v: req.apiVersion }) }),
  own({ method: 'POST', path: '/things/create', handler: (req, reply) => void reply.status(201).json({ got: req.body ?? null }) }),
  own({ method: 'DELETE', path: '/things/:id', handler: (req) => { throw new ConflictError(`thing ${req.params.id} is in use`); } }),
  own({ method: 'GET', path: '/images/*', handler: (req) => ({ name: req.params['*'] }) }),
  own({ method: 'POST', path: '/things/crash', handler: () => { throw new TypeError('undefined is not a function'); } }),
  own({
    method: 'POST', path: '/things/:id/attach',
    handler: (_req, reply) => {
      const sock = reply.hijack('application/vnd.docker.raw-stream');
      sock.on('data', (d: Buffer) => sock.write(d.toString().toUpperCase()));
      // Output written after the client's half-close must still arrive.
      sock.on('end', () => setTimeout(() => sock.end('BYE\n'), 20));
    },
  }),
];

describe('API transport rules (inject)', () => {
  let app: ApiApp;
  const call = (o: InjectOptions) => inject(app.dispatch, o);
  beforeAll(() => { app = buildApiApp({ routes, logger: createFakeLogger(), version: '9.9.9' }); });

  it('answers HEAD and GET /_ping with the headers the docker CLI reads', async () => {
    for (const method of ['HEAD', 'GET'] as const) {
      const r = await call({ method, url: '/_ping' });
      expect(r.statusCode).toBe(200);
      expect(r.headers['api-version']).toBe('1.47');
      expect(r.headers['ostype']).toBe('linux');
      expect(r.headers['server']).toBe('Docker/keel-9.9.9 (linux)');
      expect(r.body).toBe(method === 'GET' ? 'OK' : '');
    }
  });

  it('answers /_ping on the fast path with the same headers, and leaves other paths and versions to the router', async () => {
    const http = await import('node:http');
    const ping = pingFastPath('9.9.9', false);
    const server = http.createServer((req, res) => ping(req, res) || void res.writeHead(404).end('routed'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const get = (p: string, method = 'GET') => new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      http.request({ host: '127.0.0.1', port, path: p, method }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c)).on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      }).on('error', reject).end();
    });
    try {
      for (const url of ['/_ping', '/v1.47/_ping', '/v1.40/_ping']) {
        const r = await get(url);
        expect(r).toMatchObject({ status: 200, body: 'OK', headers: { 'api-version': '1.47', ostype: 'linux', server: 'Docker/keel-9.9.9 (linux)', swarm: 'inactive' } });
      }
      expect(await get('/_ping', 'HEAD')).toMatchObject({ status: 200, body: '' });
      for (const url of ['/v1.12/_ping', '/v1.99/_ping', '/x/_ping', '/_pingx']) expect((await get(url)).body).toBe('routed');
      expect((await get('/_ping', 'POST')).body).toBe('routed');
    } finally {
      server.close();
    }
  });

  it('serves routes with and without version prefixes in the served range', async () => {
    for (const url of ['/things/json?all=1', '/v1.47/things/json?all=1', '/v1.40/things/json?all=1']) {
      const r = await call({ url });
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-type']).toBe('application/json');
    }
    expect((await call({ url: '/v1.41/things/json?all=0' })).json()).toMatchObject({ all: false, v: '1.41' });
  });

  it.each([
    ['/v1.48/things/json', 'client version 1.48 is too new. Maximum supported API version is 1.47'],
    ['/v1.39/things/json', 'client version 1.39 is too old. Minimum supported API version is 1.40, please upgrade your client to a newer version'],
  ])('refuses %s with Docker\'s message', async (url, message) => {
    const r = await call({ url });
    expect(r.statusCode).toBe(400);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.json()).toEqual({ message });
  });

  it('answers unknown routes with 404 page not found', async () => {
    const r = await call({ url: '/v1.47/nope' });
    expect([r.statusCode, r.headers['content-type'], r.json()]).toEqual([404, 'application/json', { message: 'page not found' }]);
  });

  it('maps EngineError kinds to statuses; unexpected errors are 500 with their message', async () => {
    expect((await call({ method: 'DELETE', url: '/v1.47/things/x' })).statusCode).toBe(409);
    const crash = await call({ method: 'POST', url: '/things/crash' });
    expect(crash.statusCode).toBe(500);
    expect(crash.json()).toEqual({ message: 'undefined is not a function' });
  });

  it('accepts empty JSON bodies, refuses malformed ones and prototype poisoning with 400', async () => {
    const empty = await call({ method: 'POST', url: '/things/create', headers: { 'content-type': 'application/json' }, payload: '' });
    expect([empty.statusCode, empty.json()]).toEqual([201, { got: null }]);
    const bad = await call({ method: 'POST', url: '/things/create', headers: { 'content-type': 'application/json' }, payload: '{"a":' });
    expect([bad.statusCode, bad.headers['content-type']]).toEqual([400, 'application/json']);
    expect(bad.json().message).toMatch(/invalid JSON body/);
    const proto = await call({ method: 'POST', url: '/things/create', headers: { 'content-type': 'application/json' }, payload: '{"__proto__":{"admin":true}}' });
    expect(proto.statusCode).toBe(400);
  });

  it('parses JSON with a charset, ignores other content types, refuses constructor.prototype and bodies over the limit', async () => {
    const post = (payload: string, ct: string) => call({ method: 'POST', url: '/things/create', headers: { 'content-type': ct }, payload });
    expect((await post('{"a":1}', 'application/json; charset=utf-8')).json()).toEqual({ got: { a: 1 } });
    expect((await post('{"a":1}', 'text/plain')).json()).toEqual({ got: null });
    expect((await post('{"a":{"constructor":{"prototype":{"x":1}}}}', 'application/json')).statusCode).toBe(400);
    expect((await post('{"constructor":"fine"}', 'application/json')).json()).toEqual({ got: { constructor: 'fine' } });
    const big = await post(`{"a":"${'x'.repeat(MAX_JSON_BODY)}"}`, 'application/json');
    expect([big.statusCode, big.headers['content-type'], big.json().message]).toEqual([413, 'application/json', expect.stringMatching(/larger than/)]);
  });

  it('routes image names with slashes and colons unescaped', async () => {
    const r = await call({ url: '/v1.47/images/localhost:5000/team/app:v1/json' });
    expect(r.json()).toEqual({ name: 'localhost:5000/team/app:v1/json' });
  });

  it('parses filters in map and list form and rejects unknown keys', async () => {
    const q = (f: string) => call({ url: `/things/json?filters=${encodeURIComponent(f)}` });
    expect((await q('{"name":{"web":true}}')).json().filters).toEqual({ name: ['web'] });
    expect((await q('{"name":["a","b"]}')).json().filters).toEqual({ name: ['a', 'b'] });
    const bad = await q('{"colour":["red"]}');
    expect([bad.statusCode, bad.json()]).toEqual([400, { message: "invalid filter 'colour'" }]);
  });
});

describe('API server on a unix socket', () => {
  let dir: string;
  let server: ApiServer;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'keel-api-'));
    server = await ApiServer.start({ hosts: [`unix://${dir}/api.sock`], routes, logger: createFakeLogger(), version: '1' });
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the socket with mode 0660 and refuses a second server on it', async () => {
    expect((await stat(`${dir}/api.sock`)).mode & 0o777).toBe(0o660);
    await expect(ApiServer.start({ hosts: [`unix://${dir}/api.sock`], routes: [], logger: createFakeLogger(), version: '1' })).rejects.toThrow(/another daemon is already listening/);
  });

  it('replaces a stale socket file left by a crash', async () => {
    const stale = `${dir}/stale.sock`;
    await writeFile(stale, '');
    const s2 = await ApiServer.start({ hosts: [`unix://${stale}`], routes: [], logger: createFakeLogger(), version: '1' });
    await s2.close();
    await expect(stat(stale)).rejects.toThrow(/ENOENT/);
  });

  it('hijacks with 101, keeps stdin bytes sent with the headers, and writes after half-close', async () => {
    const sock = net.connect(`${dir}/api.sock`);
    await new Promise((r) => sock.once('connect', r));
    const chunks: Buffer[] = [];
    sock.on('data', (c) => chunks.push(c));
    const ended = new Promise((r) => sock.once('end', r));
    // Headers and the first stdin bytes in one write, then half-close.
    sock.end('POST /v1.47/things/abc/attach?stream=1&stdin=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: text/plain\r\n\r\nhello\n');
    await ended;
    const text = Buffer.concat(chunks).toString();
    expect(text).toMatch(/^HTTP\/1\.1 101 UPGRADED\r\n/);
    expect(text).toContain('Content-Type: application/vnd.docker.raw-stream');
    expect(text.endsWith('HELLO\nBYE\n')).toBe(true);
  });
});
