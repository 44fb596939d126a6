import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatEvent } from './commands/system.js';
import { imageRows } from './commands/image.js';
import { ago, binarySize, decimalSize, encodeFilters, parseTimeArg, table } from './format.js';
import { DEFAULT_HOST, parseHost, pickHost } from './hosts.js';
import { runCli } from './main.js';
import { ProgressRenderer } from './progress.js';

describe('host resolution', () => {
  it('prefers -H, then KEEL_HOST, then DOCKER_HOST, then the default', () => {
    expect(pickHost('unix:///a', { KEEL_HOST: 'unix:///b', DOCKER_HOST: 'unix:///c' })).toBe('unix:///a');
    expect(pickHost(undefined, { KEEL_HOST: 'unix:///b', DOCKER_HOST: 'unix:///c' })).toBe('unix:///b');
    expect(pickHost(undefined, { DOCKER_HOST: 'unix:///c' })).toBe('unix:///c');
    expect(pickHost(undefined, {})).toBe(DEFAULT_HOST);
  });
  it('parses unix and tcp addresses and explains bad ones', () => {
    expect(parseHost('unix:///run/keel/keel.sock')).toMatchObject({ kind: 'unix', path: '/run/keel/keel.sock' });
    expect(parseHost('tcp://127.0.0.1:2375')).toMatchObject({ kind: 'tcp', host: '127.0.0.1', port: 2375 });
    expect(parseHost('tcp://[::1]')).toMatchObject({ host: '::1', port: 2375 });
    expect(() => parseHost('unix://relative.sock')).toThrow(/must be absolute/);
    expect(() => parseHost('http://x')).toThrow(/use unix:/);
  });
});

describe('formatting', () => {
  it('writes docker-style tables', () => {
    expect(table(['ID', 'STATUS'], [['core.system', 'running'], ['x', '']])).toBe('ID            STATUS\ncore.system   running\nx\n');
  });
  it('prints sizes and times like docker', () => {
    expect(decimalSize(1_982_000)).toBe('1.982MB');
    expect(decimalSize(512)).toBe('512B');
    expect(binarySize(25_275_379_712)).toBe('23.54GiB');
    expect(ago(1000, 1_000_000 + 300_000)).toBe('5 minutes ago');
    expect(ago(1000, 1_000_400)).toBe('Less than a second ago');
  });
  it('turns --since forms into Unix seconds and filters into Docker JSON', () => {
    const now = Date.UTC(2026, 10, 23, 12, 0, 0);
    expect(parseTimeArg('1795400000', now)).toBe('1795400000');
    expect(parseTimeArg('10m', now)).toBe(String(now / 1000 - 600));
    expect(parseTimeArg('1h30m', now)).toBe(String(now / 1000 - 5400));
    expect(parseTimeArg('2026-11-23T06:00:00Z', now)).toBe(String(Date.UTC(2026, 10, 23, 6) / 1000));
    expect(() => parseTimeArg('yesterday', now)).toThrow(/invalid time/);
    expect(encodeFilters(['type=image', 'type=daemon', 'event=load'])).toBe('{"type":{"image":true,"daemon":true},"event":{"load":true}}');
    expect(() => encodeFilters(['novalue'])).toThrow(/KEY=VALUE/);
  });
  it('renders events with nanosecond times and sorted attributes', () => {
    expect(formatEvent({ Type: 'daemon', Action: 'reload', Actor: { ID: 'd1', Attributes: { name: 'vm', debug: 'false' } }, time: 1795415987, timeNano: 1795415987399000000 }))
      .toBe('2026-11-23T06:39:47.399000000Z daemon reload d1 (debug=false, name=vm)\n');
  });
  it('lists one row per tag and <none> for untagged images', () => {
    const rows = imageRows([{ Id: `sha256:${'a'.repeat(64)}`, RepoTags: ['busybox:latest', 'localhost:5000/x:1'], Created: 0, Size: 1000 }, { Id: `sha256:${'b'.repeat(64)}`, RepoTags: [], Created: 0, Size: 0 }], false);
    expect(rows.map((r) => r.slice(0, 3))).toEqual([['busybox', 'latest', 'aaaaaaaaaaaa'], ['localhost:5000/x', '1', 'aaaaaaaaaaaa'], ['<none>', '<none>', 'bbbbbbbbbbbb']]);
  });
  it('renders progress, and turns in-band errors into exceptions', () => {
    let out = '';
    const r = new ProgressRenderer((s) => (out += s), false);
    r.render({ id: 'abc', status: 'Loading layer', progressDetail: { current: 0, total: 10 }, progress: '[>  ] 0B/10B' });
    r.render({ id: 'abc', status: 'Loading layer', progressDetail: { current: 10, total: 10 }, progress: '[===] 10B/10B' });
    r.render({ stream: 'Loaded image: x:latest\n' });
    expect(out).toBe('abc: Loading layer [===] 10B/10B\nLoaded image: x:latest\n');
    expect(() => r.render({ errorDetail: { message: 'bad tar' }, error: 'bad tar' })).toThrow('bad tar');
  });
});

describe('commands against a fake daemon', () => {
  let dir: string;
  let server: http.Server;
  const seen: string[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'keel-cli-'));
    server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const json = (status: number, body: unknown) => { res.writeHead(status, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(body)); };
      if (req.url === '/_ping') { res.writeHead(200, { 'Api-Version': '1.47', Server: 'Docker/keel-9 (linux)' }); return res.end('OK'); }
      if (req.url === '/v1.47/_engine/plugins') return json(200, [{ id: 'storage.overlay2', kind: 'storage', name: 'overlay2', status: 'skipped', reason: 'no overlayfs', required: false }, { id: 'core.system', kind: 'service', name: 'core.system', status: 'running', required: true }]);
      if (req.url?.startsWith('/v1.47/events')) { res.writeHead(200, { 'Content-Type': 'application/json' }); res.write('{"Type":"image","Action":"load","Actor":{"ID":"sha256:x","Attributes":{"name":"a:b"}},"time":1,"timeNano":1000000000}\n'); return res.end(); }
      if (req.url === '/v1.47/info') return json(500, { message: 'disk on fire' });
      return json(404, { message: 'page not found' });
    });
    await new Promise<void>((r) => server.listen(path.join(dir, 'd.sock'), r));
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });
  const cli = async (args: string[], env: NodeJS.ProcessEnv = { KEEL_HOST: `unix://${dir}/d.sock` }) => {
    let out = '';
    let err = '';
    const code = await runCli(args, { out: (s) => (out += s), err: (s) => (err += s), env });
    return { code, out, err };
  };

  it('plugin ls shows a table, filters, -q and json', async () => {
    const r = await cli(['plugin', 'ls']);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toMatch(/^ID\s+KIND\s+NAME\s+STATUS\s+REASON$/);
    expect(r.out).toMatch(/storage\.overlay2\s+storage\s+overlay2\s+skipped\s+no overlayfs/);
    expect((await cli(['plugin', 'ls', '--filter', 'status=skipped', '-q'])).out).toBe('storage.overlay2\n');
    expect(JSON.parse((await cli(['plugin', 'ls', '--format', 'json'])).out)).toHaveLength(2);
  });

  it('system ping reads the negotiation headers', async () => {
    expect(await cli(['system', 'ping'])).toMatchObject({ code: 0, out: 'OK (API 1.47, Docker/keel-9 (linux))\n' });
  });

  it('events renders the stream and sends since/until/filters', async () => {
    const r = await cli(['events', '--since', '100', '--until', '200', '--filter', 'type=image']);
    expect(r.out).toBe('1970-01-01T00:00:01.000000000Z image load sha256:x (name=a:b)\n');
    expect(seen.at(-1)).toBe(`GET /v1.47/events?since=100&until=200&filters=${encodeURIComponent('{"type":{"image":true}}')}`);
  });

  it('prints daemon errors and exits 1', async () => {
    expect(await cli(['info'])).toMatchObject({ code: 1, err: 'Error response from daemon: disk on fire\n' });
  });

  it('explains an unreachable daemon and exits 1', async () => {
    const r = await cli(['version'], { KEEL_HOST: `unix://${dir}/nobody.sock` });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^Client:/);
    expect(r.err).toContain(`Cannot connect to the keel daemon at unix://${dir}/nobody.sock. Is keeld running?`);
    expect(r.err).toContain('scripts/setup.sh');
  });

  it('rejects a bad -H with a readable error', async () => {
    expect(await cli(['-H', 'ftp://x', 'info'])).toMatchObject({ code: 1, err: expect.stringContaining('invalid host "ftp://x"') });
  });
});
