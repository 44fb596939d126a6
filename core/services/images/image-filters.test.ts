import { describe, expect, it } from 'vitest';
import { boolFilter, globRegExp, labelsMatch, listFilter, parseTimestamp, pruneFilter, referenceMatches } from './image-filters.js';
import { parseReference } from './reference.js';

describe('image filters', () => {
  it('parses booleans as moby does', () => {
    expect(boolFilter({}, 'dangling', true)).toBe(true);
    expect(boolFilter({ dangling: ['1'] }, 'dangling', false)).toBe(true);
    expect(boolFilter({ dangling: ['false'] }, 'dangling', true)).toBe(false);
    expect(() => boolFilter({ dangling: ['true', 'false'] }, 'dangling', true)).toThrow("invalid filter 'dangling=true,false'");
    expect(() => boolFilter({ dangling: ['TRUE'] }, 'dangling', true)).toThrow("invalid filter 'dangling=TRUE'");
  });

  it('parses times: Unix seconds, Go durations, RFC 3339', () => {
    const now = Date.parse('2024-06-01T12:00:00Z');
    expect(parseTimestamp('1700000000.5', now)).toBe(1700000000.5);
    expect(parseTimestamp('10m', now)).toBe(now / 1000 - 600);
    expect(parseTimestamp('1h30m', now)).toBe(now / 1000 - 5400);
    expect(parseTimestamp('2024-01-02', now)).toBe(Date.parse('2024-01-02T00:00:00Z') / 1000);
    expect(parseTimestamp('2024-01-02T03:04:05', now)).toBe(Date.parse('2024-01-02T03:04:05Z') / 1000);
    expect(parseTimestamp('2024-01-02T03:04:05+02:00', now)).toBe(Date.parse('2024-01-02T01:04:05Z') / 1000);
    expect(() => parseTimestamp('soon', now)).toThrow(/invalid value for 'until' filter/);
  });

  it.each([
    ['busybox', 'busybox:latest', true], ['busy*', 'busybox:1', true], ['*', 'team/app:1', false], ['*/*', 'team/app:1', true],
    ['busybox:1.*', 'busybox:1.36', true], ['busybox:1.*', 'busybox:2', false], ['docker.io/library/busybox', 'busybox', true],
    ['docker.io/library/busybox:latest', 'busybox', true], ['localhost:5000/*', 'localhost:5000/x:y', true], ['b?sybox', 'busybox', true],
    ['[ab]usybox', 'busybox', true], ['[^b]usybox', 'busybox', false], ['busybox.', 'busyboxx', false],
  ])('reference=%s on %s: %s', (pattern, name, hit) => {
    expect(referenceMatches(globRegExp(pattern), parseReference(name))).toBe(hit);
  });

  it('matches labels by key or key=value, all of them', () => {
    expect(labelsMatch(['a', 'b=2'], { a: '', b: '2' })).toBe(true);
    expect(labelsMatch(['b=3'], { b: '2' })).toBe(false);
    expect(labelsMatch(['toString'], {})).toBe(false);
    expect(labelsMatch(undefined, {})).toBe(true);
  });

  it('list filter narrows names to the matching references', () => {
    const accept = listFilter({ reference: ['app:*'] }, () => 0);
    expect(accept({ refs: [parseReference('app:1'), parseReference('other:1')], labels: {}, created: 0 })).toEqual(['app:1']);
    expect(accept({ refs: [], labels: {}, created: 0 })).toBeUndefined();
  });

  it('prune filter: dangling=false means all; until includes images created at that instant', () => {
    const f = pruneFilter({ dangling: ['false'], until: ['100'], 'label!': ['keep'] });
    expect(f.all).toBe(true);
    expect(f.accepts({ refs: [], labels: {}, created: 100 })).toBe(true);
    expect(f.accepts({ refs: [], labels: {}, created: 101 })).toBe(false);
    expect(f.accepts({ refs: [], labels: { keep: '' }, created: 1 })).toBe(false);
    expect(pruneFilter({}).all).toBe(false);
  });
});
