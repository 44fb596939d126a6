import { describe, expect, it } from 'vitest';
import { familiarString, looksLikeId, parseReference, referenceKey } from './reference.js';

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
  ])('%s', (input, key, familiar) => {
    const ref = parseReference(input);
    expect(referenceKey(ref)).toBe(key);
    expect(familiarString(ref)).toBe(familiar);
  });

  it.each(['', 'Busybox', 'busybox:', 'a:b:c', 'busybox@sha256:abc', '-x', 'a//b', 'a/.b', 'bad tag:-x', `x:${'t'.repeat(129)}`, 'host:port/x:y:z'])('rejects %j', (input) => {
    expect(() => parseReference(input)).toThrow(/invalid reference format/);
  });

  it('names the lowercase rule', () => {
    expect(() => parseReference('library/Busybox')).toThrow('invalid reference format: repository name (library/Busybox) must be lowercase');
  });

  it('tells ids from names', () => {
    expect(looksLikeId('0123456789ab')).toBe(true);
    expect(looksLikeId(`sha256:${'f'.repeat(64)}`)).toBe(true);
    expect(looksLikeId('busybox')).toBe(false);
  });
});
