/**
 * Docker transport rules and daemon behaviour, over the real socket of a real keeld.
 */
import { spawnSync } from 'node:child_process';
import { stat } from 'node:fs/promises';
import net from 'node:net';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keeldPath, startDaemon, stopAllDaemons, type Daemon } from './harness.js';

afterAll(stopAllDaemons);

async function until<T>(fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

describe('transport rules', () => {
  let d: Daemon;
  beforeAll(async () => { d = await startDaemon(); });
  afterAll(async () => { await d.stop(); });

  it('answers HEAD and GET /_ping with the negotiation headers', async () => {
    const head = await d.request('HEAD', '/_ping');
    const get = await d.request('GET', '/_ping');
    for (const r of [head, get]) {
      expect(r.status).toBe(200);
      expect(r.headers['api-version']).toBe('1.47');
      expect(r.headers['ostype']).toBe('linux');
      expect(r.headers['server']).toMatch(/^Docker\/.+\s\(linux\)$/);
    }
    expect([head.body, get.body]).toEqual(['', 'OK']);
  });

  it('serves versioned and unversioned paths, and refuses versions outside 1.40–1.47', async () => {
    for (const p of ['/version', '/v1.47/version', '/v1.40/version']) expect((await d.request('GET', p)).status).toBe(200);
    const tooNew = await d.request('GET', '/v1.48/version');
    const tooOld = await d.request('GET', '/v1.39/version');
    expect([tooNew.status, tooNew.headers['content-type'], tooNew.json()]).toEqual([400, 'application/json', { message: 'client version 1.48 is too new. Maximum supported API version is 1.47' }]);
    expect([tooOld.status, tooOld.headers['content-type']]).toEqual([400, 'application/json']);
    expect(tooOld.json().message).toBe('client version 1.39 is too old. Minimum supported API version is 1.40, please upgrade your client to a newer version');
  });

  it('answers bad requests with 4xx JSON and keeps serving', async () => {
    const notFound = await d.request('GET', '/v1.47/nope');
    expect([notFound.status, notFound.headers['content-type'], notFound.json()]).toEqual([404, 'application/json', { message: 'page not found' }]);
    // GET-only route asked with the wrong method: Docker answers 404 (keel may say 405), as JSON.
    const wrongMethod = await d.request('POST', '/v1.47/events');
    expect([404, 405]).toContain(wrongMethod.status);
    expect(wrongMethod.headers['content-type']).toBe('application/json');
    expect(typeof wrongMethod.json().message).toBe('string');
    // Bodies on a real POST route that goes through the JSON parser (/images/prune; its handler
    // must not run: nothing is pruned in this fresh data root anyway).
    const json = { 'Content-Type': 'application/json' };
    const malformed = await d.request('POST', '/v1.47/images/prune', '{bad', json);
    expect([malformed.status, malformed.headers['content-type']]).toEqual([400, 'application/json']);
    expect(malformed.json().message).toMatch(/invalid JSON/);
    for (const poisoned of ['{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}']) {
      const r = await d.request('POST', '/v1.47/images/prune', poisoned, json);
      expect([r.status, r.headers['content-type']]).toEqual([400, 'application/json']);
      expect(typeof r.json().message).toBe('string');
    }
    // The same route with an empty JSON body (what the docker CLI sends) is fine.
    expect((await d.request('POST', '/v1.47/images/prune', '', json)).status).toBe(200);
    const badFilter = await d.request('GET', '/v1.47/events?filters=notjson');
    expect([badFilter.status, badFilter.json().message]).toEqual([400, 'invalid filter: notjson is not valid JSON']);
    expect((await d.request('GET', '/v1.47/events?since=yesterday')).status).toBe(400);
    const big = await d.request('GET', '/_ping', undefined, { 'X-Big': 'a'.repeat(20 * 1024) });
    expect(big.status).toBe(431);
    expect((await d.request('GET', '/_ping')).body).toBe('OK');
  });

  it('creates the socket with mode 0660', async () => {
    expect((await stat(d.socket)).mode & 0o777).toBe(0o660);
  });

  it('streams events as NDJSON between since and until', async () => {
    const t0 = Math.floor(Date.now() / 1000) - 1;
    d.proc.kill('SIGHUP');
    const events = await until(async () => {
      const r = await d.request('GET', `/v1.47/events?since=${t0}&until=${Math.ceil(Date.now() / 1000) + 1}`);
      // Every line must be JSON; other events of this daemon (image prune above) may come first.
      const lines = r.body.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      const reload = lines.find((e) => e.Type === 'daemon' && e.Action === 'reload');
      return reload ? { r, reload } : undefined;
    });
    expect(events.r.headers['content-type']).toBe('application/json');
    expect(events.reload).toMatchObject({ Type: 'daemon', Action: 'reload', scope: 'local' });
    expect(typeof events.reload.Actor.ID).toBe('string');
    expect(events.reload.Actor.ID.length).toBeGreaterThan(0);
    expect(events.reload.time).toBeGreaterThanOrEqual(t0);
    expect(Math.floor(events.reload.timeNano / 1e9)).toBe(events.reload.time);
  });
});

describe('daemon lifecycle', () => {
  it('refuses a second daemon on the same socket; the first keeps serving', async () => {
    const first = await startDaemon();
    try {
      const second = spawnSync(process.execPath, [keeldPath, '--data-root', path.join(first.tmp, 'd2'), '--exec-root', path.join(first.tmp, 'e2'), '-H', first.host], { encoding: 'utf8', timeout: 20_000 });
      expect(second.status).not.toBe(0);
      expect(second.stderr).toContain(`another daemon is already listening on ${first.host}`);
      // Refused before any plugin ran: it made (and so tore down) none of the host's shared network objects.
      expect(existsSync(path.join(first.tmp, 'd2', 'plugins'))).toBe(false);
      expect((await first.request('GET', '/_ping')).status).toBe(200);
    } finally {
      await first.stop();
    }
  });

  it('stops cleanly on SIGTERM: exit 0, socket and pid file removed', async () => {
    const d = await startDaemon();
    const pidFile = path.join(d.execRoot, 'keeld.pid');
    expect((await stat(pidFile)).isFile()).toBe(true);
    d.proc.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    await expect(stat(d.socket)).rejects.toThrow(/ENOENT/);
    await expect(stat(pidFile)).rejects.toThrow(/ENOENT/);
    await d.stop();
  });

  it('fails to start on an unknown daemon.json key, naming it', async () => {
    const d = await startDaemon({ config: { nope: 1 }, expectFailure: true });
    expect(await d.exited).toBe(1);
    expect(d.output()).toContain("the following directives don't match any configuration option: nope");
    await d.stop();
  });

  it('fails to start when a key is set both as a flag and in daemon.json', async () => {
    const d = await startDaemon({ config: { debug: false }, args: ['--debug'], expectFailure: true });
    expect(await d.exited).toBe(1);
    expect(d.output()).toContain('the following directives are specified both as a flag and in the configuration file: debug: (from flag: true, from file: false)');
    await d.stop();
  });

  it('serves TCP on 127.0.0.1 with a loud warning', async () => {
    const port = await freePort();
    const d = await startDaemon({ args: ['-H', `tcp://127.0.0.1:${port}`] });
    try {
      const r = await fetch(`http://127.0.0.1:${port}/_ping`);
      expect([r.status, await r.text()]).toEqual([200, 'OK']);
      expect(d.output()).toMatch(/WITHOUT TLS/);
      const info = await (await fetch(`http://127.0.0.1:${port}/v1.47/info`)).json();
      expect(info.Warnings).toContain(`WARNING: API is accessible on http://127.0.0.1:${port} without encryption.`);
    } finally {
      await d.stop();
    }
  });

  it('validates a configuration with --validate', async () => {
    const ok = spawnSync(process.execPath, [keeldPath, '--validate', '--config-file', '/dev/null'], { encoding: 'utf8' });
    expect([ok.status, ok.stdout]).toEqual([0, 'configuration OK\n']);
  });
});

