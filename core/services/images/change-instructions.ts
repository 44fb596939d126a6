/**
 * The Dockerfile instructions `docker import --change` and `docker commit --change` accept,
 * applied to an image's `config` section.
 */
import { InvalidArgumentError } from '@keel/sdk';

/** The container config part of an image config (Docker's names). */
export type ImageRunConfig = Record<string, unknown> & {
  Env?: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  ExposedPorts?: Record<string, object>;
  Labels?: Record<string, string>;
  Volumes?: Record<string, object>;
  OnBuild?: string[];
};

const ALLOWED = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'];

/** JSON form (`["a","b"]`) or shell form (`/bin/sh -c "a b"`). */
function execForm(args: string): string[] {
  const t = args.trim();
  if (t.startsWith('[')) {
    try {
      const v = JSON.parse(t) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
    } catch {
      /* not JSON: shell form, as Docker does */
    }
  }
  return ['/bin/sh', '-c', t];
}

/** `K=V K2="v 2"` or the legacy `K V` form. */
function keyValues(args: string, what: string): Array<[string, string]> {
  const t = args.trim();
  if (!t.includes('=')) {
    const sp = t.search(/\s/);
    if (sp < 0) throw new InvalidArgumentError(`${what} requires at least one argument`);
    return [[t.slice(0, sp), t.slice(sp).trim()]];
  }
  const out: Array<[string, string]> = [];
  for (const m of t.matchAll(/([^\s=]+)=("((?:[^"\\]|\\.)*)"|'([^']*)'|(\S*))/g)) {
    out.push([m[1]!, m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[4] ?? m[5] ?? '']);
  }
  if (!out.length) throw new InvalidArgumentError(`${what}: invalid key=value syntax`);
  return out;
}

/** Applies change lines to `config` (a copy is returned). */
export function applyChanges(config: ImageRunConfig, changes: readonly string[]): ImageRunConfig {
  const c: ImageRunConfig = structuredClone(config);
  for (const line of changes) {
    const m = /^\s*(\w+)\s*(.*)$/s.exec(line);
    const op = m?.[1]?.toUpperCase();
    const args = m?.[2] ?? '';
    if (!op || !ALLOWED.includes(op)) throw new InvalidArgumentError(`${m?.[1] ?? line} is not a valid change command`);
    switch (op) {
      case 'CMD': c.Cmd = execForm(args); break;
      case 'ENTRYPOINT': c.Entrypoint = execForm(args); break;
      case 'ENV':
        for (const [k, v] of keyValues(args, 'ENV')) c.Env = [...(c.Env ?? []).filter((e) => !e.startsWith(`${k}=`)), `${k}=${v}`];
        break;
      case 'LABEL': c.Labels = { ...(c.Labels ?? {}), ...Object.fromEntries(keyValues(args, 'LABEL')) }; break;
      case 'EXPOSE':
        for (const p of args.trim().split(/\s+/).filter(Boolean)) c.ExposedPorts = { ...(c.ExposedPorts ?? {}), [p.includes('/') ? p : `${p}/tcp`]: {} };
        break;
      case 'VOLUME':
        for (const v of args.trim().startsWith('[') ? (execForm(args)[0] === '/bin/sh' ? [args.trim()] : execForm(args)) : args.trim().split(/\s+/)) c.Volumes = { ...(c.Volumes ?? {}), [v]: {} };
        break;
      case 'ONBUILD': c.OnBuild = [...(c.OnBuild ?? []), args.trim()]; break;
      case 'STOPSIGNAL': c.StopSignal = args.trim(); break;
      case 'USER': c.User = args.trim(); break;
      case 'WORKDIR': c.WorkingDir = args.trim(); break;
    }
  }
  return c;
}
