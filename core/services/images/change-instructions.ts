/**
 * The Dockerfile instructions `docker import --change` (and later `docker commit --change`)
 * accept, applied to an image's run config: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD,
 * STOPSIGNAL, USER, VOLUME, WORKDIR, in JSON (exec) or shell form.
 */
import { InvalidArgumentError } from '@keel/sdk';

/** The run config part of an image config (Docker's container.Config names). */
export type ImageRunConfig = Record<string, unknown> & {
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  ExposedPorts?: Record<string, object>;
  Labels?: Record<string, string> | null;
  Volumes?: Record<string, object> | null;
  OnBuild?: string[] | null;
  WorkingDir?: string;
};

/** The run config Docker writes for an image built from nothing (Go zero values, its field order). */
export function emptyRunConfig(): ImageRunConfig {
  return {
    Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false,
    Tty: false, OpenStdin: false, StdinOnce: false, Env: null, Cmd: null, Image: '', Volumes: null,
    WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: null,
  };
}

const ALLOWED = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'];

/** JSON form (`["a","b"]`) or shell form (`/bin/sh -c "a b"`). */
function execForm(args: string): string[] {
  const t = args.trim();
  const list = jsonList(t);
  return list ?? ['/bin/sh', '-c', t];
}

function jsonList(t: string): string[] | undefined {
  if (!t.startsWith('[')) return undefined;
  try {
    const v = JSON.parse(t) as unknown;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  } catch {
    /* not JSON: shell form, as Docker does */
  }
  return undefined;
}

function unquote(v: string): string {
  if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) return v.slice(1, -1).replace(/\\(.)/g, '$1');
  if (v.startsWith("'") && v.endsWith("'") && v.length >= 2) return v.slice(1, -1);
  return v.replace(/\\(.)/g, '$1');
}

/** `K=V K2="v 2"` or the legacy `K V` form. */
function keyValues(args: string, what: string): Array<[string, string]> {
  const t = args.trim();
  if (!t) throw new InvalidArgumentError(`${what} requires at least one argument`);
  if (!/^("(?:[^"\\]|\\.)*"|[^\s="]+)=/.test(t)) {
    const sp = t.search(/\s/);
    if (sp < 0) throw new InvalidArgumentError(`${what} requires at least two arguments`);
    return [[t.slice(0, sp), t.slice(sp).trim()]];
  }
  const out: Array<[string, string]> = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|[^\s="]+)=("(?:[^"\\]|\\.)*"|'[^']*'|(?:[^\s\\]|\\.)*)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(t))) out.push([unquote(m[1]!), unquote(m[2]!)]);
  if (re.lastIndex !== 0 && t.slice(re.lastIndex).trim()) throw new InvalidArgumentError(`${what}: invalid key=value syntax near ${JSON.stringify(t.slice(re.lastIndex).trim())}`);
  if (!out.length) throw new InvalidArgumentError(`${what}: invalid key=value syntax`);
  return out;
}

const words = (args: string) => args.trim().split(/\s+/).filter(Boolean);

/** Applies change lines (one instruction each) to `config`; a copy is returned. */
export function applyChanges(config: ImageRunConfig, changes: readonly string[]): ImageRunConfig {
  const c: ImageRunConfig = structuredClone(config);
  for (const line of changes) {
    if (!line.trim()) continue;
    const m = /^\s*(\S+)\s*(.*)$/s.exec(line);
    const op = m?.[1]?.toUpperCase() ?? '';
    const args = m?.[2] ?? '';
    if (!ALLOWED.includes(op)) throw new InvalidArgumentError(`${m?.[1] ?? line} is not a valid change command`);
    if (!args.trim() && op !== 'CMD' && op !== 'ENTRYPOINT') throw new InvalidArgumentError(`${op} requires at least one argument`);
    switch (op) {
      case 'CMD': c.Cmd = execForm(args); break;
      case 'ENTRYPOINT': c.Entrypoint = execForm(args); break;
      case 'ENV':
        for (const [k, v] of keyValues(args, 'ENV')) c.Env = [...(c.Env ?? []).filter((e) => !e.startsWith(`${k}=`)), `${k}=${v}`];
        break;
      case 'LABEL': c.Labels = { ...(c.Labels ?? {}), ...Object.fromEntries(keyValues(args, 'LABEL')) }; break;
      case 'EXPOSE':
        for (const p of words(args)) {
          if (!/^\d{1,5}(-\d{1,5})?(\/(tcp|udp|sctp))?$/i.test(p)) throw new InvalidArgumentError(`invalid containerPort: ${p}`);
          c.ExposedPorts = { ...(c.ExposedPorts ?? {}), [p.includes('/') ? p.toLowerCase() : `${p}/tcp`]: {} };
        }
        break;
      case 'VOLUME':
        for (const v of jsonList(args.trim()) ?? words(args)) c.Volumes = { ...(c.Volumes ?? {}), [v]: {} };
        break;
      case 'ONBUILD': {
        const inner = args.trim().split(/\s+/)[0]!.toUpperCase();
        if (['ONBUILD', 'FROM', 'MAINTAINER'].includes(inner)) throw new InvalidArgumentError(`${inner} isn't allowed as an ONBUILD trigger`);
        c.OnBuild = [...(c.OnBuild ?? []), args.trim()];
        break;
      }
      case 'STOPSIGNAL': c.StopSignal = args.trim(); break;
      case 'USER': c.User = args.trim(); break;
      case 'WORKDIR': {
        const dir = args.trim();
        c.WorkingDir = dir.startsWith('/') ? dir : `${(c.WorkingDir || '/').replace(/\/$/, '')}/${dir}`;
        break;
      }
    }
  }
  return c;
}
