/**
 * `GET /containers/{id}/top?ps_args=`: the host's `ps`, keeping the rows whose PID is in the
 * container's cgroup (sub-cgroups included). Like moby, ps is first asked for just those PIDs
 * (`-q`), and asked for everything when the given arguments cannot be combined with `-q`.
 * Bad arguments are the client's mistake, so they answer 400 with ps's own words (moby: 500).
 */
import { execFile } from 'node:child_process';
import { CancelledError, ConflictError, InvalidArgumentError, queryString, type HttpRouter } from '@keel/sdk';
import type { ContainerAccess } from '../container-access.js';
import { cgroupPids, containerCgroup, type CgroupLayout } from './cgroup-fs.js';

/** Docker's answer. */
export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

/** What the top route needs; tests swap in fixtures. */
export interface TopDeps {
  readonly layout: () => Promise<CgroupLayout>;
  /** The ps binary (default `ps` from PATH). */
  readonly ps?: string;
}

const PS_TIMEOUT_MS = 10_000;

/** Splits `ps_args` into arguments (`-ef` when empty, as moby). */
export function psArgs(raw: string | undefined): string[] {
  const args = (raw ?? '').split(/\s+/).filter(Boolean);
  return args.length ? args : ['-ef'];
}

/**
 * Refuses format specs that rename another column to a `PID…` header (`-o user=PID`): the
 * output would then be filtered on the wrong column, showing or hiding processes wrongly.
 */
export function checkPsArgs(args: readonly string[]): void {
  for (const a of args) {
    // `-ouser=PID` and `--format=user=PID` carry the option in the same word as the spec.
    const spec = a.replace(/^(--format=|-o)/, '');
    for (const m of spec.matchAll(/(?:^|,)([^,=]*)=\s*(PID\S*)/g)) {
      if (m[1] !== 'pid') throw new InvalidArgumentError(`specifying "${m[1]}=${m[2]}" is not allowed`);
    }
  }
}

/** Keeps the rows of `pids`; the last column (the command) takes the rest of the line. */
export function parsePsOutput(output: string, pids: ReadonlySet<number>): TopResult {
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  const titles = (lines[0] ?? '').trim().split(/\s+/).filter(Boolean);
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) throw new InvalidArgumentError("Couldn't find PID field in ps output");
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    const pid = fields[pidIndex];
    if (!pid || !/^\d+$/.test(pid) || !pids.has(Number(pid))) continue;
    const head = fields.slice(0, titles.length - 1);
    const rest = fields.slice(titles.length - 1).join(' ');
    processes.push([...head, rest]);
  }
  return { Titles: titles, Processes: processes };
}

interface PsRun {
  ok: boolean;
  stdout: string;
  stderr: string;
}

function runPs(ps: string, args: string[], signal: AbortSignal): Promise<PsRun> {
  return new Promise((resolve) => {
    execFile(ps, args, { timeout: PS_TIMEOUT_MS, maxBuffer: 64 << 20, signal, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
      resolve({ ok: !err, stdout: String(stdout), stderr: String(stderr) || (err ? err.message : '') });
    });
  });
}

/** The first line of ps's complaint that says something (procps prints usage after it). */
function psError(stderr: string): string {
  const line = stderr.split('\n').map((l) => l.trim()).find(Boolean);
  return line ?? 'ps failed';
}

/** Runs ps for the given processes. */
export async function top(deps: TopDeps, args: string[], pids: readonly number[], signal: AbortSignal): Promise<TopResult> {
  checkPsArgs(args);
  const ps = deps.ps ?? 'ps';
  const wanted = new Set(pids);
  let run = pids.length ? await runPs(ps, [...args, '-q', pids.join(',')], signal) : undefined;
  // Some listings (forest `f`, some selections) refuse -q: ask for everything and filter.
  if (!run?.ok) run = await runPs(ps, args, signal);
  if (signal.aborted) throw new CancelledError('request cancelled');
  if (!run.ok) throw new InvalidArgumentError(`ps: ${psError(run.stderr)}`);
  return parsePsOutput(run.stdout, wanted);
}

/** Registers `GET /containers/:id/top`. */
export function registerTopRoute(router: HttpRouter, access: ContainerAccess, deps: TopDeps): void {
  router.route({
    method: 'GET',
    path: '/containers/:id/top',
    async handler(req) {
      const c = access.get(req.params.id!);
      if (!c.State.Running) throw new ConflictError(`Container ${c.Id} is not running`);
      if (c.State.Restarting) throw new ConflictError(`Container ${c.Id} is restarting, wait until the container is running`);
      const pids = await cgroupPids(containerCgroup(await deps.layout(), c.keel.cgroupsPath));
      return top(deps, psArgs(queryString(req, 'ps_args')), pids, req.signal);
    },
  });
}
