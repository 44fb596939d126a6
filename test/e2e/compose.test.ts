/**
 * docker-compose (Debian's 1.29, which drives the Engine API through docker-py) against keel:
 * a project with a user-defined network, a named volume, labels and environment comes up, its
 * services reach each other by name, `exec`, `logs`, `restart` and `down -v` work and leave
 * nothing behind.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerSkip, sleep, useContainerDaemon } from './container-daemon.js';

const compose = '/usr/bin/docker-compose';
const skip = containerSkip ?? (existsSync(compose) ? undefined : 'docker-compose is not installed (apt-get install docker-compose)');

const PROJECT = `version: "3.8"
services:
  web:
    image: busybox
    command: sh -c 'mkdir -p /www && echo hello-compose > /www/index.html && exec httpd -f -p 80 -h /www'
    volumes: [ "data:/data" ]
    labels: { tier: front }
    init: true
  client:
    image: busybox
    depends_on: [ web ]
    environment: [ FOO=bar ]
    stop_grace_period: 1s
    command: sh -c 'sleep 1; wget -qO- http://web/; echo FOO=$$FOO; sleep 300'
volumes:
  data: {}
`;

describe.skipIf(!!skip)(`docker-compose${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  const c = useContainerDaemon();
  let dir: string;
  const dc = (args: string[]) => new Promise<{ code: number; out: string }>((resolve) => {
    execFile(compose, ['-p', 'kc', ...args], { cwd: dir, env: c.d.env, timeout: 60_000 }, (err, stdout, stderr) => resolve({ code: (err as { code?: number } | null)?.code ?? 0, out: `${stdout}${stderr}` }));
  });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'keel-compose-'));
    await writeFile(path.join(dir, 'docker-compose.yml'), PROJECT);
  });
  afterAll(async () => {
    if (dir) await dc(['down', '-v']);
    await rm(dir, { recursive: true, force: true });
  });

  it('brings a project up, resolves service names, runs exec/logs/restart, and down -v leaves nothing', async () => {
    const up = await dc(['up', '-d']);
    expect(up.code, up.out).toBe(0);
    expect(up.out).toMatch(/Creating network "kc_default"/);
    let logs = '';
    for (let i = 0; i < 50 && !logs.includes('FOO=bar'); i++, await sleep(100)) logs = (await dc(['logs', 'client'])).out;
    expect(logs).toMatch(/hello-compose/);
    expect(logs).toMatch(/FOO=bar/);
    expect((await dc(['ps'])).out).toMatch(/kc_web_1 .* Up/);
    const exec = await dc(['exec', '-T', 'web', 'cat', '/www/index.html']);
    expect(exec).toMatchObject({ code: 0, out: 'hello-compose\n' });
    expect((await c.inspect('kc_web_1')).Config.Labels).toMatchObject({ tier: 'front', 'com.docker.compose.project': 'kc', 'com.docker.compose.service': 'web' });
    expect((await dc(['restart', 'web'])).code).toBe(0);
    expect((await c.inspect('kc_web_1')).State.Running).toBe(true);
    const down = await dc(['down', '-v']);
    expect(down.code, down.out).toBe(0);
    expect((await c.ok(['ps', '-aq'])).trim()).toBe('');
    expect(await c.ok(['network', 'ls', '--format', '{{.Name}}'])).not.toMatch(/kc_default/);
    expect(await c.ok(['volume', 'ls', '-q'])).not.toMatch(/kc_data/);
  });
});
