/** The whole CLI, in-process, against a fake daemon on a temporary unix socket (and on TCP). */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './main.js';

const EVENT = '{"Type":"image","Action":"load","Actor":{"ID":"sha256:x","Attributes":{"name":"a:b","by":"me"}},"scope":"local","time":1795415987,"timeNano":1795415987123456789}\n';
const PLUGINS = [
  { id: 'storage.overlay2', kind: 'storage', name: 'overlay2', status: 'skipped', reason: `no overlayfs in this kernel: ${'x'.repeat(80)}`, required: false },
  { id: 'core.system', kind: 'service', name: 'core.system', status: 'running', required: true },
];

interface Seen { method?: string; url?: string; headers: http.IncomingHttpHeaders }

function fakeDaemon(seen: Seen[]): http.Server {
  return http.createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, headers: req.headers });
    const json = (status: number, body: unknown) => { res.writeHead(status, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(body)); };
    const url = req.url ?? '';
    if (url === '/_ping') { res.writeHead(200, { 'Api-Version': '1.47', Server: 'Docker/keel-9 (linux)' }); return res.end('OK'); }
    if (url === '/v1.47/version') return json(200, { Version: '9.9.9', ApiVersion: '1.47', MinAPIVersion: '1.40', Os: 'linux', Arch: 'amd64', Platform: { Name: 'fake keel' } });
    if (url === '/v1.47/_engine/plugins') return json(200, PLUGINS);
    if (url === '/v1.47/system/df') return json(200, { LayersSize: 2_000_000, Images: [{ Size: 2_000_000 }], Containers: [], Volumes: [], BuildCache: [] });
    if (url.startsWith('/v1.47/events')) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      // Split mid-line, as a real stream may deliver it.
      res.write(EVENT.slice(0, 40));
      res.write(EVENT.slice(40));
      // `until` absent: keep the stream open like a live daemon does.
      return url.includes('until=') ? res.end() : undefined;
    }
    if (url === '/v1.47/info') return json(200, { Containers: 0, NCPU: 4, MemTotal: 1024 ** 3, Warnings: ['WARNING: No swap limit support'] });
    if (url === '/v1.47/images/json') return json(500, { message: 'disk on fire' });
    if (url === '/v1.47/images/nope/json') { res.writeHead(502); return res.end('<html>bad gateway</html>'); }
    return json(404, { message: `page not found: ${url}` });
  });
}

describe('keel against a fake daemon', () => {
  let dir: string;
  let sock: string;
  let server: http.Server;
  let tcpServer: http.Server;
  const seen: Seen[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'keel-cli-'));
    sock = path.join(dir, 'd.sock');
    server = fakeDaemon(seen);
    tcpServer = fakeDaemon(seen);
    await new Promise<void>((r) => server.listen(sock, r));
    await new Promise<void>((r) => tcpServer.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    server.closeAllConnections();
    tcpServer.closeAllConnections();
    await Promise.all([server, tcpServer].map((s) => new Promise((r) => s.close(r))));
    await rm(dir, { recursive: true, force: true });
  });

  const cli = async (args: string[], opts: { env?: NodeJS.ProcessEnv; signal?: AbortSignal; onOut?: (s: string) => void } = {}) => {
    let out = '';
    let err = '';
    const env = opts.env ?? { KEEL_HOST: `unix://${sock}` };
    const signal = opts.signal ?? new AbortController().signal;
    const code = await runCli(args, { out: (s) => { out += s; opts.onOut?.(s); }, err: (s) => (err += s), env, signal, version: '1.2.3' });
    return { code, out, err };
  };

  it('sends Docker\'s headers on versioned paths', async () => {
    expect((await cli(['plugin', 'ls', '-q'])).code).toBe(0);
    const last = seen.at(-1)!;
    expect(last.url).toBe('/v1.47/_engine/plugins');
    expect(last.headers).toMatchObject({ host: 'api.moby.localhost', 'user-agent': 'keel-cli/1.2.3' });
  });

  it('plugin ls: table, truncation, filters, -q and json', async () => {
    const r = await cli(['plugin', 'ls']);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID {17}KIND {6}NAME {10}STATUS {4}REASON$/);
    expect(lines[1]).toMatch(/^storage\.overlay2 {3}storage {3}overlay2 {6}skipped {3}no overlayfs in this kernel: x+…$/);
    expect(lines[1]!.split('   ').at(-1)).toHaveLength(60);
    expect((await cli(['plugin', 'ls', '--no-trunc'])).out).toContain(`: ${'x'.repeat(80)}\n`);
    expect((await cli(['plugin', 'list', '--filter', 'status=skipped', '-q'])).out).toBe('storage.overlay2\n');
    expect((await cli(['plugin', 'ls', '-f', 'kind=service', '-q'])).out).toBe('core.system\n');
    expect(JSON.parse((await cli(['plugin', 'ls', '--format', 'json'])).out)).toEqual(PLUGINS);
  });

  it('version prints both halves, or JSON', async () => {
    const r = await cli(['version']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Client:\n Version:\s+1\.2\.3\n/);
    expect(r.out).toMatch(/\nServer: fake keel\n Engine:\n  Version:\s+9\.9\.9\n  API version:\s+1\.47 \(minimum version 1\.40\)\n/);
    const j = JSON.parse((await cli(['version', '--format', 'json'])).out);
    expect(j).toMatchObject({ Client: { Version: '1.2.3', ApiVersion: '1.47' }, Server: { Version: '9.9.9' } });
  });

  it('info prints figures on stdout and warnings on stderr', async () => {
    const r = await cli(['info']);
    expect(r).toMatchObject({ code: 0, err: 'WARNING: No swap limit support\n' });
    expect(r.out).toContain(' CPUs: 4\n Total Memory: 1GiB\n');
    expect(JSON.parse((await cli(['info', '--format', 'json'])).out)).toMatchObject({ NCPU: 4 });
  });

  it('system ping reads the negotiation headers from the unversioned path', async () => {
    expect(await cli(['system', 'ping'])).toMatchObject({ code: 0, out: 'OK (API 1.47, keeld 9)\n' });
    expect(seen.at(-1)!.url).toBe('/_ping');
  });

  it('system df prints a small table', async () => {
    expect((await cli(['system', 'df'])).out).toBe('TYPE            TOTAL   SIZE\nImages          1       2MB\nContainers      0       0B\nLocal Volumes   0       0B\nBuild Cache     0       0B\n');
  });

  it('events renders the stream and sends since/until/filters as the API wants', async () => {
    const before = Math.floor(Date.now() / 1000);
    const r = await cli(['events', '--since', '10m', '--until', '200', '--filter', 'type=image', '--filter', 'type=daemon']);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toBe('2026-11-23T06:39:47.123456789Z image load sha256:x (by=me, name=a:b)\n');
    const q = new URL(seen.at(-1)!.url!, 'http://x').searchParams;
    expect(Number(q.get('since'))).toBeGreaterThanOrEqual(before - 600);
    expect(Number(q.get('since'))).toBeLessThanOrEqual(before - 599);
    expect(q.get('until')).toBe('200');
    expect(JSON.parse(q.get('filters')!)).toEqual({ type: { image: true, daemon: true } });
    expect((await cli(['events', '--until', '200', '--format', 'json'])).out).toBe(EVENT);
  });

  it('events on a live stream ends cleanly when interrupted', async () => {
    const ac = new AbortController();
    const r = await cli(['events'], { signal: ac.signal, onOut: () => ac.abort() });
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain('image load sha256:x');
  });

  it('prints daemon errors and exits 1', async () => {
    expect(await cli(['image', 'ls'])).toMatchObject({ code: 1, out: '', err: 'Error response from daemon: disk on fire\n' });
    expect(await cli(['image', 'inspect', 'nope'])).toMatchObject({ code: 1, err: 'Error response from daemon: <html>bad gateway</html>\n' });
  });

  it('explains an unreachable daemon, after the client half of version', async () => {
    const r = await cli(['version'], { env: { KEEL_HOST: `unix://${dir}/nobody.sock` } });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^Client:\n/);
    expect(r.out).not.toContain('Server');
    expect(r.err).toBe(`Cannot connect to the keel daemon at unix://${dir}/nobody.sock. Is keeld running?\nStart it with: sudo scripts/setup.sh  (or: sudo keeld)\nOr point keel at a running daemon with -H, KEEL_HOST or DOCKER_HOST.\n`);
  });

  it('refuses a connection on TCP with the same help', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as AddressInfo;
    await new Promise((r) => closed.close(r));
    const r = await cli(['-H', `tcp://127.0.0.1:${port}`, 'system', 'ping']);
    expect(r).toMatchObject({ code: 1, out: '' });
    expect(r.err).toContain(`Cannot connect to the keel daemon at tcp://127.0.0.1:${port}. Is keeld running?`);
  });

  it('talks plain HTTP over tcp://', async () => {
    const { port } = tcpServer.address() as AddressInfo;
    expect(await cli(['system', 'ping'], { env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` } })).toMatchObject({ code: 0, out: expect.stringMatching(/^OK \(API 1\.47/) });
  });

  it('-H wins over the environment; a bad one is a readable error', async () => {
    expect((await cli(['-H', `unix://${sock}`, 'system', 'ping'], { env: { KEEL_HOST: 'unix:///nonexistent.sock' } })).code).toBe(0);
    expect(await cli(['-H', 'ftp://x', 'info'])).toMatchObject({ code: 1, out: '', err: 'Error: invalid host "ftp://x": use unix:///path/to/keel.sock or tcp://HOST:PORT\n' });
  });

  it('-D prints each request and its status', async () => {
    const r = await cli(['-D', 'system', 'ping']);
    expect(r.err).toBe('--> GET /_ping\n<-- 200 OK\n');
  });

  it('help exits 0 with examples; mistakes exit 1 without a stack', async () => {
    const help = await cli(['plugin', 'ls', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('Examples:\n  keel plugin ls\n');
    expect((await cli([])).out).toContain('Usage: keel');
    const bad = await cli(['plugin', 'ls', '--format', '{{.ID}}']);
    expect(bad).toMatchObject({ code: 1, err: 'Error: unsupported --format "{{.ID}}": use json (or leave it out for text)\n' });
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain("unknown command 'frobnicate'");
    expect(unknown.err).not.toMatch(/\n\s+at /);
  });
});
