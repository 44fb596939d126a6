import { describe, expect, it } from 'vitest';
import { parseRegistryAuthHeader, redactAuth } from './auth-config.js';
import { choosePlatform, parseManifest } from './manifests.js';
import { RegistryHosts } from './registry-hosts.js';
import { loginDomain } from './registry-login.js';
import { pullReference } from './registry-routes.js';
import { parseChallenges } from './registry-session.js';

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const D = (c: string) => `sha256:${c.repeat(64)}`;

describe('registry parsing', () => {
  it('decodes X-Registry-Auth (base64url, std base64, anonymous) and refuses junk without echoing it', () => {
    expect(parseRegistryAuthHeader(b64url({ username: 'bob', password: 's3cr?t>', serveraddress: 'h:5000' }))).toEqual({ username: 'bob', password: 's3cr?t>', serveraddress: 'h:5000' });
    expect(parseRegistryAuthHeader(Buffer.from(JSON.stringify({ auth: Buffer.from('a:b:c').toString('base64') })).toString('base64'))).toEqual({ username: 'a', password: 'b:c' });
    expect(parseRegistryAuthHeader('e30=')).toBeUndefined();
    expect(parseRegistryAuthHeader(undefined)).toBeUndefined();
    expect(() => parseRegistryAuthHeader('secret!!')).toThrow(/not base64$/);
    expect(() => parseRegistryAuthHeader('bm90IGpzb24')).toThrow(/not base64-encoded JSON/);
    expect(redactAuth({ username: 'bob', password: 'x' })).toBe('user bob');
  });

  it('parses WWW-Authenticate challenges', () => {
    expect(parseChallenges('Bearer realm="http://127.0.0.1:1/token",service="reg",scope="repository:a/b:pull,push"')).toEqual([
      { scheme: 'bearer', params: { realm: 'http://127.0.0.1:1/token', service: 'reg', scope: 'repository:a/b:pull,push' } },
    ]);
    expect(parseChallenges(['Basic realm="x"'])[0]!.scheme).toBe('basic');
  });

  it('parses manifests, refuses garbage and schema1, and picks the platform', () => {
    expect(() => parseManifest(Buffer.from('<html>'), 'text/html')).toThrow(/error parsing manifest/);
    expect(() => parseManifest(Buffer.from('{"schemaVersion":1}'), undefined)).toThrow(/schema 1/);
    expect(() => parseManifest(Buffer.from('{"schemaVersion":2,"config":{},"layers":[]}'), undefined)).toThrow(/config has no valid sha256 digest/);
    const index = parseManifest(Buffer.from(JSON.stringify({ manifests: [
      { digest: D('a'), size: 1, platform: { os: 'unknown', architecture: 'unknown' } },
      { digest: D('b'), size: 1, platform: { os: 'linux', architecture: 'arm64' } },
      { digest: D('c'), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
    ] })), 'application/vnd.oci.image.index.v1+json');
    expect(index.kind).toBe('index');
    if (index.kind === 'index') {
      expect(choosePlatform(index, { os: 'linux', architecture: 'amd64' }).digest).toBe(D('c'));
      expect(() => choosePlatform(index, { os: 'linux', architecture: 's390x' })).toThrow(/no matching manifest for linux\/s390x/);
    }
  });

  it('names what is pulled and where logins go', () => {
    expect(pullReference('docker.io/library/busybox', 'latest')).toEqual({ domain: 'docker.io', path: 'library/busybox', tag: 'latest' });
    expect(pullReference('127.0.0.1:5000/a', D('e'))).toEqual({ domain: '127.0.0.1:5000', path: 'a', digest: D('e') });
    expect(() => pullReference('busybox', undefined)).toThrow(/every tag/);
    expect(loginDomain('https://index.docker.io/v1/')).toBe('docker.io');
    expect(loginDomain('http://127.0.0.1:5000/')).toBe('127.0.0.1:5000');
  });

  it('treats loopback and listed registries as insecure, others as secure', async () => {
    const hosts = new RegistryHosts(() => ({ insecure: ['10.1.0.0/16', 'reg.example:5000'], mirrors: [], certsDir: '/nonexistent', loopbackInsecure: true }));
    expect(await hosts.isInsecure('127.0.0.1:5000')).toBe(true);
    expect(await hosts.isInsecure('10.1.2.3')).toBe(true);
    expect(await hosts.isInsecure('reg.example:5000')).toBe(true);
    expect(await hosts.isInsecure('10.2.0.1:443')).toBe(false);
    expect((await hosts.endpoints('127.0.0.1:5000')).map((e) => e.origin)).toEqual(['https://127.0.0.1:5000', 'http://127.0.0.1:5000']);
    expect((await hosts.endpoints('10.2.0.1:443')).map((e) => e.origin)).toEqual(['https://10.2.0.1:443']);
  });
});
