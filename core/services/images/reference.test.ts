import { describe, expect, it } from 'vitest';
import { familiarString, isIdPrefix, looksLikeId, parseReference, referenceKey, tagReference } from './reference.js';

describe('image references', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['docker.io/team/app:v1', 'docker.io/team/app:v1', 'team/app:v1'],
    ['index.docker.io/library/alpine', 'docker.io/library/alpine:latest', 'alpine:latest'],
    ['localhost:5000/myalpine:v1', 'localhost:5000/myalpine:v1', 'localhost:5000/myalpine:v1'],
    ['localhost/a', 'localhost/a:latest', 'localhost/a:latest'],
    ['registry.example.com/a/b/c:t_1.2-x', 'registry.example.com/a/b/c:t_1.2-x', 'registry.example.com/a/b/c:t_1.2-x'],
    [`app@sha256:${'a'.repeat(64)}`, `docker.io/library/app@sha256:${'a'.repeat(64)}`, `app@sha256:${'a'.repeat(64)}`],
    ['my_app__x-y.z', 'docker.io/library/my_app__x-y.z:latest', 'my_app__x-y.z:latest'],
    ['Registry.Example.com:443/a:T', 'Registry.Example.com:443/a:T', 'Registry.Example.com:443/a:T'],
    ['[::1]:5000/a', '[::1]:5000/a:latest', '[::1]:5000/a:latest'],
    ['a---b', 'docker.io/library/a---b:latest', 'a---b:latest'],
    [`app:v1@sha256:${'b'.repeat(64)}`, `docker.io/library/app:v1@sha256:${'b'.repeat(64)}`, `app:v1@sha256:${'b'.repeat(64)}`],
  ])('%s', (input, key, familiar) => {
    const ref = parseReference(input);
    expect(referenceKey(ref)).toBe(key);
    expect(familiarString(ref)).toBe(familiar);
  });

  it.each(['', 'Busybox', 'busybox:', 'a:b:c', 'busybox@sha256:abc', '-x', 'a//b', 'a/.b', 'bad tag:-x', `x:${'t'.repeat(129)}`, 'host:port/x:y:z'])('rejects %j', (input) => {
    expect(() => parseReference(input)).toThrow(/invalid reference format/);
  });

  it('names the lowercase rule and the 64-hex rule like Docker', () => {
    expect(() => parseReference('library/Busybox')).toThrow('invalid reference format: repository name (library/Busybox) must be lowercase');
    expect(() => parseReference('Busybox')).toThrow('invalid reference format: repository name (library/Busybox) must be lowercase');
    expect(() => parseReference('a'.repeat(64))).toThrow(`invalid repository name (${'a'.repeat(64)}), cannot specify 64-byte hexadecimal strings`);
    expect(() => parseReference(`x/${'a'.repeat(256)}`)).toThrow(/invalid reference format/);
  });

  it('keeps an absent tag absent when asked', () => {
    expect(parseReference('busybox', null)).toEqual({ domain: 'docker.io', path: 'library/busybox' });
  });

  it('builds tag references as docker tag does', () => {
    expect(referenceKey(tagReference('localhost:5000/x'))).toBe('localhost:5000/x:latest');
    expect(referenceKey(tagReference('x:old', 'new'))).toBe('docker.io/library/x:new');
    expect(() => tagReference(`x@sha256:${'a'.repeat(64)}`)).toThrow('cannot import digest reference');
    expect(() => tagReference('sha256', 'abc')).toThrow(/ambiguous/);
    expect(() => tagReference('x', '-bad')).toThrow(/invalid reference format/);
  });

  it('tells ids from names', () => {
    expect(looksLikeId('0123456789ab')).toBe(true);
    expect(looksLikeId(`sha256:${'f'.repeat(64)}`)).toBe(true);
    expect(looksLikeId('busybox')).toBe(false);
    const id = `sha256:${'ab'.repeat(32)}`;
    expect([isIdPrefix(id, 'abab'), isIdPrefix(id, 'sha256:ab'), isIdPrefix(id, 'abba'), isIdPrefix(id, '')]).toEqual([true, true, false, false]);
  });
});
