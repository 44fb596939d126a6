/** The version of this SDK; plugins declare the range they need in `sdk`. */
export const SDK_VERSION = '1.0.0';

/**
 * True when `version` (x.y.z) satisfies `range`. Supports what plugin manifests use: `*`, exact
 * `x.y.z`, `^x.y.z`, `~x.y.z`, `>=x.y.z`, and several ranges joined by ` || `.
 */
export function satisfiesRange(version: string, range: string): boolean {
  const v = parse(version);
  if (!v) return false;
  return range.split('||').some((part) => satisfiesOne(v, part.trim()));
}

type Triple = [number, number, number];

function parse(s: string): Triple | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(s.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function cmp(a: Triple, b: Triple): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

function satisfiesOne(v: Triple, range: string): boolean {
  if (range === '*' || range === '') return true;
  const op = /^(\^|~|>=)?(.*)$/.exec(range)!;
  const base = parse(op[2]!);
  if (!base) return false;
  switch (op[1]) {
    case '^':
      if (base[0] > 0) return v[0] === base[0] && cmp(v, base) >= 0;
      if (base[1] > 0) return v[0] === 0 && v[1] === base[1] && cmp(v, base) >= 0;
      return cmp(v, base) === 0;
    case '~':
      return v[0] === base[0] && v[1] === base[1] && v[2] >= base[2];
    case '>=':
      return cmp(v, base) >= 0;
    default:
      return cmp(v, base) === 0;
  }
}
