/**
 * The network backend with real plumbing (root): containers are stood in for by the namespaces
 * `attach` creates, with busybox run inside them through nsenter. Traffic goes only between those
 * namespaces and to 127.0.0.1 (published ports, a fake upstream DNS server on loopback).
 */
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestEngine } from '@keel/sdk/testkit';
import type { NetworkBackend } from './network-types.js';
import { hostSnapshot, startNetworkEngine, type FakeContainers } from './test-support.js';

const run = promisify(execFile);
const root = process.getuid?.() === 0 && existsSync('/usr/bin/busybox');
const A = 'a'.repeat(64), B = 'b'.repeat(64), C = 'c'.repeat(64), D = 'd'.repeat(64);
const inNs = (ns: string, args: string[]) => execFileSync('nsenter', [`--net=${ns}`, 'busybox', ...args], { encoding: 'utf8', timeout: 10_000 });
// The embedded DNS server runs in this process: queries must not block its event loop.
const lookup = async (ns: string, name: string, server: string) => (await run('nsenter', [`--net=${ns}`, 'busybox', 'nslookup', name, server], { timeout: 10_000 })).stdout;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/', timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/** A DNS "upstream" on loopback that answers every A query with 198.51.100.7. */
async function fakeUpstream(): Promise<{ port: number; close(): void }> {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg, r) => {
    const end = msg.indexOf(0, 12) + 5;
    const head = Buffer.from(msg.subarray(0, 12));
    head.writeUInt16BE(0x8180, 2);
    head.writeUInt16BE(1, 6);
    const rr = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 51, 100, 7]);
    sock.send(Buffer.concat([head, msg.subarray(12, end), rr]), r.port, r.address);
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  return { port: (sock.address() as net.AddressInfo).port, close: () => sock.close() };
}

describe.skipIf(!root)('network backend (real plumbing)', () => {
  let engine: TestEngine;
  let backend: NetworkBackend;
  let containers: FakeContainers;
  let before: ReturnType<typeof hostSnapshot>;
  let httpd: ChildProcess | undefined;
  let www: string;
  let upstream: Awaited<ReturnType<typeof fakeUpstream>>;
  const call = (method: 'GET' | 'POST' | 'DELETE', p: string, body?: unknown) => engine.router.invoke({ method, path: p, body });

  beforeAll(async () => {
    before = hostSnapshot();
    ({ engine, backend, containers } = await startNetworkEngine());
    for (const [id, name] of [[A, 'web'], [B, 'client'], [C, 'busy'], [D, 'other']] as const) containers.all.set(id, { id, name, running: true });
    www = await mkdtemp(path.join(tmpdir(), 'kt-www-'));
    await writeFile(path.join(www, 'index.html'), 'hello from web\n');
    upstream = await fakeUpstream();
    expect((await call('POST', '/networks/create', { Name: 'ktapp', IPAM: { Config: [{ Subnet: '10.215.1.0/24' }] } })).status).toBe(201);
    expect((await call('POST', '/networks/create', { Name: 'ktside', Internal: true, IPAM: { Config: [{ Subnet: '10.215.2.0/24' }] } })).status).toBe(201);
  });
  afterAll(async () => {
    httpd?.kill('SIGKILL');
    upstream?.close();
    for (const id of [A, B, C, D]) await backend?.detach(id);
    for (const n of ['ktapp', 'ktside']) await call('DELETE', `/networks/${n}`);
    await engine?.stop();
    await rm(www, { recursive: true, force: true });
    expect(hostSnapshot()).toEqual(before);
  });

  let hostPort = 0;
  it('attach: a namespace with eth0 on the network, NetworkSettings, hosts and resolv.conf pointing at the embedded DNS', async () => {
    hostPort = await freePort();
    const r = await backend.attach(A, {
      name: 'web', networkMode: 'ktapp', hostname: 'webhost', endpoints: { ktapp: { Aliases: ['www'] } },
      portBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }] }, exposedPorts: ['80/tcp', '443/tcp'],
    });
    expect(r.netnsPath && existsSync(r.netnsPath)).toBe(true);
    expect(r.networkSettings.Networks.ktapp).toMatchObject({ IPAddress: '10.215.1.2', IPPrefixLen: 24, Gateway: '10.215.1.1', Aliases: ['www'] });
    expect(r.networkSettings.Ports).toEqual({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }], '443/tcp': null });
    expect(r.resolvConf).toMatch(/^nameserver 10\.215\.1\.1$/m);
    expect(r.resolvConf).toMatch(/ndots:0/);
    expect(r.hosts).toMatch(/^10\.215\.1\.2\twebhost$/m);
    expect(r.hostname).toBe('webhost');
    expect(inNs(r.netnsPath!, ['ip', '-o', 'link'])).toMatch(/eth0/);
    httpd = spawn('nsenter', [`--net=${r.netnsPath}`, 'busybox', 'httpd', '-f', '-p', '80', '-h', www], { stdio: 'ignore' });
    const inspect = (await call('GET', '/networks/ktapp')).body as { Containers: Record<string, { Name: string; IPv4Address: string }> };
    expect(inspect.Containers[A]).toMatchObject({ Name: 'web', IPv4Address: '10.215.1.2/24' });
  });

  it('containers on one network reach each other by IP, by name and by alias through the embedded DNS', async () => {
    const r = await backend.attach(B, { name: 'client', networkMode: 'ktapp', links: ['/web:/client/db'], dns: [`127.0.0.1:${upstream.port}`] });
    const ns = r.netnsPath!;
    await new Promise((res) => setTimeout(res, 300));
    expect(inNs(ns, ['wget', '-q', '-O', '-', 'http://10.215.1.2/'])).toBe('hello from web\n');
    for (const name of ['web', 'www', 'db', A.slice(0, 12)]) expect(await lookup(ns, name, '10.215.1.1')).toMatch(/10\.215\.1\.2/);
    // Other names go to the container's --dns upstream (here a fake server on the host's loopback).
    expect(await lookup(ns, 'example.test', '10.215.1.1')).toMatch(/198\.51\.100\.7/);
  });

  it('a published port answers on 127.0.0.1 on the host', async () => {
    expect(await get(hostPort)).toBe('hello from web\n');
  });

  it('a taken host port fails the attach with a clear error and leaves nothing behind', async () => {
    const links = hostSnapshot().links;
    const taken = net.createServer();
    const port = await freePort();
    await new Promise<void>((res) => taken.listen(port, '127.0.0.1', res));
    try {
      await expect(backend.attach(C, { name: 'busy', networkMode: 'ktapp', portBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] } }))
        .rejects.toThrow(`Bind for 127.0.0.1:${port} failed`);
    } finally {
      taken.close();
    }
    expect(backend.settings(C)).toBeUndefined();
    expect(hostSnapshot().links).toEqual(links);
  });

  it('connect adds eth1 to a running container and disconnect takes it away; internal networks do not forward DNS', async () => {
    const r = await backend.connect(B, 'ktside', { Aliases: ['side'] });
    expect(r.networkSettings.Networks.ktside).toMatchObject({ IPAddress: '10.215.2.2' });
    expect(inNs(r.netnsPath!, ['ip', '-o', 'addr'])).toMatch(/eth1.*10\.215\.2\.2/);
    await expect(lookup(r.netnsPath!, 'example.test', '10.215.2.1')).rejects.toThrow();
    expect(await lookup(r.netnsPath!, 'side', '10.215.2.1')).toMatch(/10\.215\.2\.2/);
    const after = await backend.disconnect(B, 'ktside');
    expect(Object.keys(after.networkSettings.Networks)).toEqual(['ktapp']);
    expect(inNs(r.netnsPath!, ['ip', '-o', 'link'])).not.toMatch(/eth1/);
  });

  it('none gives a namespace with only lo; host gives none and the host files', async () => {
    const none = await backend.attach(C, { name: 'busy', networkMode: 'none' });
    expect(inNs(none.netnsPath!, ['ip', '-o', 'link']).trim().split('\n')).toHaveLength(1);
    expect(Object.keys(none.networkSettings.Networks)).toEqual(['none']);
    const host = await backend.attach(D, { name: 'other', networkMode: 'host', extraHosts: ['extra.test:10.1.2.3'] });
    expect(host.netnsPath).toBeUndefined();
    expect(host.hosts).toMatch(/10\.1\.2\.3\textra\.test/);
    expect(Object.keys(host.networkSettings.Networks)).toEqual(['host']);
    for (const [net, id, name] of [['none', C, 'busy'], ['host', D, 'other']] as const) {
      expect(((await call('GET', `/networks/${net}`)).body as { Containers: Record<string, unknown> }).Containers[id]).toMatchObject({ Name: name, IPv4Address: '' });
    }
  });

  it('rm of a network in use is a 409 naming the containers; detach releases everything', async () => {
    const res = await call('DELETE', '/networks/ktapp');
    expect(res.status).toBe(409);
    expect((res.body as { message: string }).message).toMatch(/active endpoints \((web, client|client, web)\)/);
    const ns = backend.settings(A)!.SandboxKey;
    await backend.detach(A);
    await backend.detach(A);
    expect(existsSync(ns)).toBe(false);
    await expect(get(hostPort)).rejects.toThrow();
  });
});
