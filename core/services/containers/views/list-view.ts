/**
 * `docker ps`: Docker's list entries, human status strings ("Up 5 seconds (healthy)",
 * "Exited (3) 2 minutes ago") and the filters moby supports for containers.
 */
import { InvalidArgumentError } from '@keel/sdk';
import type { ContainerRecord } from '../container-types.js';
import { inspectMounts } from '../mounts/container-mounts.js';
import { networkSettingsView } from './inspect-view.js';

/** Filter keys `GET /containers/json` accepts. */
export const LIST_FILTERS = ['ancestor', 'before', 'expose', 'exited', 'health', 'id', 'isolation', 'is-task', 'label', 'name', 'network', 'publish', 'since', 'status', 'volume'] as const;
const STATUSES = new Set(['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead']);

/** Go's `units.HumanDuration`, as docker prints ages. */
export function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.round(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.round(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.round(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.round(h / 24 / 30)} months`;
  return `${Math.round(h / 24 / 365)} years`;
}

/** The `STATUS` column. */
export function statusText(c: ContainerRecord, now = Date.now()): string {
  const st = c.State;
  if (st.Status === 'removing') return 'Removal In Progress';
  if (st.Dead) return 'Dead';
  if (st.Restarting) return `Restarting (${st.ExitCode}) ${humanDuration(now - Date.parse(st.FinishedAt))} ago`;
  if (st.Running) {
    const health = st.Health && st.Health.Status !== 'none' ? ` (${st.Health.Status === 'starting' ? 'health: starting' : st.Health.Status})` : '';
    return `Up ${humanDuration(now - Date.parse(st.StartedAt))}${st.Paused ? ' (Paused)' : health}`;
  }
  if (!c.keel.hasBeenStarted || st.FinishedAt.startsWith('0001')) return 'Created';
  return `Exited (${st.ExitCode}) ${humanDuration(now - Date.parse(st.FinishedAt))} ago`;
}

/** The `COMMAND` as moby lists it: path and args joined by spaces, args with spaces in single quotes. */
function command(c: ContainerRecord): string {
  return [c.Path, ...c.Args.map((a) => (a.includes(' ') ? `'${a}'` : a))].join(' ');
}

/** One list entry. */
export function listEntry(c: ContainerRecord, size?: { rw: number; rootFs: number }, network?: { Networks?: unknown; Ports?: unknown }): Record<string, unknown> {
  const net = (network ?? networkSettingsView(c)) as { Networks?: unknown; Ports?: unknown };
  return {
    Id: c.Id, Names: [c.Name], Image: c.Config.Image, ImageID: c.Image, Command: command(c), Created: Math.floor(Date.parse(c.Created) / 1000),
    Ports: portsList(net.Ports), Labels: c.Config.Labels ?? {}, State: c.State.Status, Status: statusText(c),
    HostConfig: { NetworkMode: c.HostConfig.NetworkMode ?? 'default' }, NetworkSettings: { Networks: net.Networks }, Mounts: inspectMounts(c.keel.mounts),
    ...(size ? { SizeRw: size.rw, SizeRootFs: size.rootFs } : {}),
  };
}

/** `NetworkSettings.Ports` as ps lists them: one entry per binding, exposed-only ports without host side. */
function portsList(ports: unknown): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const [key, bindings] of Object.entries((ports ?? {}) as Record<string, Array<{ HostIp: string; HostPort: string }> | null>)) {
    const [port, type = 'tcp'] = key.split('/');
    if (!bindings?.length) out.push({ PrivatePort: Number(port), Type: type });
    for (const b of bindings ?? []) out.push({ IP: b.HostIp || '0.0.0.0', PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: type });
  }
  return out;
}

/** What the filters need besides the record. */
export interface FilterContext {
  /** Container by name or id (for before/since). */
  find(ref: string): ContainerRecord | undefined;
  /** Image IDs matching an ancestor reference. */
  imageIds(ref: string): string[];
}

/** Applies moby's container filters. */
export function filterContainers(list: ContainerRecord[], f: Record<string, string[]>, ctx: FilterContext): ContainerRecord[] {
  for (const s of f.status ?? []) if (!STATUSES.has(s)) throw new InvalidArgumentError(`invalid filter 'status=${s}'`);
  for (const h of f.health ?? []) if (!['starting', 'healthy', 'unhealthy', 'none'].includes(h)) throw new InvalidArgumentError(`Unrecognised filter value for health: ${h}`);
  for (const e of f.exited ?? []) if (!/^-?\d+$/.test(e)) throw new InvalidArgumentError(`invalid filter 'exited=${e}'`);
  const created = (ref: string) => {
    const c = ctx.find(ref);
    if (!c) throw new InvalidArgumentError(`No such container: ${ref}`);
    return Date.parse(c.Created);
  };
  const before = f.before?.length ? Math.min(...f.before.map(created)) : undefined;
  const since = f.since?.length ? Math.max(...f.since.map(created)) : undefined;
  const ancestors = f.ancestor?.length ? new Set(f.ancestor.flatMap((a) => ctx.imageIds(a))) : undefined;
  const any = <T>(values: T[] | undefined, test: (v: T) => boolean) => !values?.length || values.some(test);
  return list.filter((c) => {
    const labels = c.Config.Labels ?? {};
    return any(f.id, (v) => c.Id.startsWith(v))
      && any(f.name, (v) => safeRegExp(v).test(c.Name.slice(1)) || safeRegExp(v).test(c.Name))
      && (f.label ?? []).every((l) => (l.includes('=') ? labels[l.slice(0, l.indexOf('='))] === l.slice(l.indexOf('=') + 1) : l in labels))
      && any(f.status, (s) => c.State.Status === s)
      && any(f.exited, (e) => !c.State.Running && c.keel.hasBeenStarted && c.State.ExitCode === Number(e))
      && any(f.health, (h) => (c.State.Health?.Status ?? 'none') === h)
      && (!ancestors || ancestors.has(c.Image))
      && (before === undefined || Date.parse(c.Created) < before)
      && (since === undefined || Date.parse(c.Created) > since)
      && any(f.network, (n) => n === (c.HostConfig.NetworkMode === 'default' ? 'bridge' : c.HostConfig.NetworkMode));
  });
}

function safeRegExp(s: string): RegExp {
  try {
    return new RegExp(s);
  } catch {
    return new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  }
}
