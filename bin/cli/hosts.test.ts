import { describe, expect, it } from 'vitest';
import { DEFAULT_HOST, parseHost, pickHost } from './hosts.js';

describe('host resolution', () => {
  it('prefers -H, then KEEL_HOST, then DOCKER_HOST, then the default socket', () => {
    const env = { KEEL_HOST: 'unix:///b', DOCKER_HOST: 'unix:///c' };
    expect(pickHost('unix:///a', env)).toBe('unix:///a');
    expect(pickHost(undefined, env)).toBe('unix:///b');
    expect(pickHost(undefined, { DOCKER_HOST: 'unix:///c' })).toBe('unix:///c');
    expect(pickHost(undefined, {})).toBe(DEFAULT_HOST);
    expect(DEFAULT_HOST).toBe('unix:///run/keel/keel.sock');
  });

  it('treats an empty variable as unset', () => {
    expect(pickHost(undefined, { KEEL_HOST: '', DOCKER_HOST: 'unix:///c' })).toBe('unix:///c');
  });

  it('parses unix and tcp addresses', () => {
    expect(parseHost('unix:///run/keel/keel.sock')).toEqual({ kind: 'unix', path: '/run/keel/keel.sock', text: 'unix:///run/keel/keel.sock' });
    expect(parseHost('tcp://127.0.0.1:2375')).toMatchObject({ kind: 'tcp', host: '127.0.0.1', port: 2375 });
    expect(parseHost('tcp://example.org')).toMatchObject({ kind: 'tcp', host: 'example.org', port: 2375 });
    expect(parseHost('tcp://[::1]:2376')).toMatchObject({ kind: 'tcp', host: '::1', port: 2376 });
  });

  it('explains addresses it cannot use', () => {
    expect(() => parseHost('unix://relative.sock')).toThrow(/must be absolute/);
    expect(() => parseHost('http://x')).toThrow('invalid host "http://x": use unix:///path/to/keel.sock or tcp://HOST:PORT');
    expect(() => parseHost('ssh://me@box')).toThrow(/invalid host/);
    expect(() => parseHost('tcp://h:70000')).toThrow(/port out of range/);
  });
});
