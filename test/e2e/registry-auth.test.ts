/**
 * Registry authentication and transport, with the real docker CLI against keel: htpasswd (basic)
 * and token (bearer, with the small token server of test/fixtures) registries accept good and
 * refuse bad credentials through `docker login` and `X-Registry-Auth`; a TLS registry that wants
 * a client certificate works with a test CA and client pair in a `certs.d` directory and fails
 * clearly without them.
 */
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxAvailable, busyboxImage } from '../fixtures/images.js';
import { loadArchive } from '../fixtures/registry-seed.js';
import { bcryptMissing, registryMissing, startRegistry, stopAllRegistries, type Registry } from '../fixtures/registry.js';
import { makePki, makeSigningCert, type TestPki } from '../fixtures/registry-tls.js';
import { startTokenServer, type TokenServer } from '../fixtures/registry-token.js';
import { startDaemon, type Daemon } from './harness.js';

const skip = registryMissing() ?? bcryptMissing() ?? (busyboxAvailable() ? undefined : 'busybox-static absent');
const users = { alice: 'wonderland' };

describe.skipIf(!!skip)(`registry auth and TLS${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  let dir: string;
  let d: Daemon;
  let basic: Registry;
  let tokenReg: Registry;
  let tls: Registry;
  let tokens: TokenServer;
  let pki: TestPki;
  const bb = busyboxImage({ repoTags: ['bb:latest'] });
  const docker = (args: string[], input?: string) => d.docker(args, { input, timeoutMs: 60_000 });
  const ok = async (args: string[], input?: string) => {
    const r = await docker(args, input);
    if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const login = (host: string, user: string, password: string) => docker(['login', '-u', user, '--password-stdin', host], password);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'keel-reg-auth-'));
    pki = makePki(dir);
    const signing = makeSigningCert(dir);
    tokens = await startTokenServer({ users, certFile: signing.cert, keyFile: signing.key });
    basic = await startRegistry({ basicUsers: users });
    tokenReg = await startRegistry({ token: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, certFile: signing.cert } });
    tls = await startRegistry({ tls: { cert: pki.serverCert, key: pki.serverKey, clientCa: pki.caCert } });
    // certs.d for the TLS registry: its CA and the client pair, in Docker's layout.
    const certs = path.join(dir, 'certs.d', tls.host);
    await mkdir(certs, { recursive: true });
    await copyFile(pki.caCert, path.join(certs, 'ca.crt'));
    await copyFile(pki.clientCert, path.join(certs, 'client.cert'));
    await copyFile(pki.clientKey, path.join(certs, 'client.key'));
    // Loopback is not insecure here (to prove TLS verification): the plain-HTTP registries are listed.
    d = await startDaemon({ args: ['--storage-driver', 'vfs'], config: { 'insecure-registries': [basic.host, tokenReg.host], plugins: { 'core.images': { certsDir: path.join(dir, 'certs.d'), loopbackInsecure: false } } } });
    await loadArchive(ok, dir, 'bb.tar', [bb]);
  }, 120_000);
  afterAll(async () => {
    await d?.stop();
    await stopAllRegistries();
    await tokens?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  for (const kind of ['basic', 'token'] as const) {
    describe(`${kind} auth`, () => {
      const reg = () => (kind === 'basic' ? basic : tokenReg);
      it('refuses a wrong password with a 401-derived error', async () => {
        const r = await login(reg().host, 'alice', 'wrong');
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/unauthorized|401/i);
        expect(d.output()).not.toContain('wrong');
      });

      it('refuses an anonymous push', async () => {
        await ok(['tag', 'bb:latest', `${reg().host}/anon/bb:1`]);
        const r = await docker(['push', `${reg().host}/anon/bb:1`]);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/unauthorized|authentication required|denied/i);
      });

      it('logs in, pushes and pulls with the stored credentials', async () => {
        const r = await login(reg().host, 'alice', 'wonderland');
        expect(r.stdout + r.stderr).toContain('Login Succeeded');
        const name = `${reg().host}/alice/bb:1`;
        await ok(['tag', 'bb:latest', name]);
        expect(await ok(['push', name])).toMatch(/1: digest: sha256:/);
        await ok(['rmi', name]);
        expect(await ok(['pull', name])).toContain(`Status: Downloaded newer image for ${name}`);
        if (kind === 'token') expect(tokens.requests).toBeGreaterThan(2);
        expect(d.output()).not.toContain('wonderland');
        await ok(['logout', reg().host]);
      });
    });
  }

  it('keel login checks credentials and stores them where docker finds them', async () => {
    const bad = await d.keel(['login', '-u', 'alice', '--password-stdin', basic.host], { input: 'nope' });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/401|unauthorized/i);
    const good = await d.keel(['login', '-u', 'alice', '--password-stdin', basic.host], { input: 'wonderland\n' });
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toContain('Login Succeeded');
    const name = `${basic.host}/alice/keel:1`;
    await ok(['tag', 'bb:latest', name]);
    const pushed = await d.keel(['push', name], { timeoutMs: 60_000 });
    expect(pushed.code, pushed.stderr).toBe(0);
    expect((await d.keel(['logout', basic.host])).stdout).toContain('Removing login credentials');
  });

  it('reaches a TLS registry that wants a client certificate through certs.d', async () => {
    const name = `${tls.host}/secure/bb:1`;
    await ok(['tag', 'bb:latest', name]);
    expect(await ok(['push', name])).toMatch(/1: digest: sha256:/);
    await ok(['rmi', name]);
    expect(await ok(['pull', name])).toContain(`Status: Downloaded newer image for ${name}`);
  });

  it('fails clearly when the TLS registry is not trusted', async () => {
    await rm(path.join(dir, 'certs.d', tls.host, 'ca.crt'));
    try {
      const r = await docker(['pull', `${tls.host}/secure/bb:1`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/certificate/i);
    } finally {
      await copyFile(pki.caCert, path.join(dir, 'certs.d', tls.host, 'ca.crt'));
    }
  });
});
