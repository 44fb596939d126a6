/**
 * Docker's healthchecks: `HEALTHCHECK` from the image or `--health-*` flags, probed by exec in
 * the running container every interval; `FailingStreak` failures in a row (outside the start
 * period) make it unhealthy, one success healthy. Status changes publish `health_status: …`.
 */
import type { ContainerRecord, HealthConfig, HealthLogEntry } from '../container-types.js';
import type { ContainerStore } from '../container-store.js';

const SECOND_NS = 1e9;
const DEFAULTS = { interval: 30, timeout: 30, retries: 3, startPeriod: 0, startInterval: 5 };
const KEEP_LOG = 5;

/** What the checker needs. */
export interface HealthDeps {
  readonly store: ContainerStore;
  probe(c: ContainerRecord, cmd: string[], timeoutSeconds: number): Promise<{ exitCode: number; output: string }>;
  publish(c: ContainerRecord, action: string): void;
}

/** The command a healthcheck runs, or undefined when there is none. */
export function probeCommand(h: HealthConfig | null | undefined): string[] | undefined {
  const test = h?.Test;
  if (!test?.length || test[0] === 'NONE') return undefined;
  if (test[0] === 'CMD') return test.slice(1).length ? test.slice(1) : undefined;
  if (test[0] === 'CMD-SHELL') return test[1] ? ['/bin/sh', '-c', test[1]] : undefined;
  return test; // pre-1.24 form: the command itself
}

const seconds = (ns: number | undefined, fallback: number) => (ns && ns > 0 ? ns / SECOND_NS : fallback);

/** Runs the healthchecks of running containers. */
export class HealthChecker {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly d: HealthDeps) {}

  /** Starts probing `c` (just started) if it has a healthcheck. */
  start(c: ContainerRecord): void {
    this.stop(c.Id);
    if (!probeCommand(c.Config.Healthcheck)) return;
    this.schedule(c.Id, c.keel.generation, Date.now());
  }

  stop(id: string): void {
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    this.timers.delete(id);
  }

  stopAll(): void {
    for (const id of [...this.timers.keys()]) this.stop(id);
  }

  private schedule(id: string, generation: number, startedAt: number): void {
    const c = this.d.store.find(id);
    if (!c) return;
    const h = c.Config.Healthcheck!;
    const inStart = Date.now() - startedAt < seconds(h.StartPeriod, DEFAULTS.startPeriod) * 1000;
    const wait = inStart && h.StartInterval ? seconds(h.StartInterval, DEFAULTS.startInterval) : seconds(h.Interval, DEFAULTS.interval);
    const timer = setTimeout(() => void this.run(id, generation, startedAt), wait * 1000);
    timer.unref();
    this.timers.set(id, timer);
  }

  private async run(id: string, generation: number, startedAt: number): Promise<void> {
    const c = this.d.store.find(id);
    if (!c?.State.Running || c.keel.generation !== generation) return;
    const h = c.Config.Healthcheck!;
    const cmd = probeCommand(h)!;
    const start = new Date().toISOString();
    const result = c.State.Paused ? undefined : await this.d.probe(c, cmd, seconds(h.Timeout, DEFAULTS.timeout));
    if (result) await this.record(id, generation, startedAt, h, { Start: start, End: new Date().toISOString(), ExitCode: result.exitCode, Output: result.output });
    if (this.d.store.find(id)?.keel.generation === generation && this.timers.has(id)) this.schedule(id, generation, startedAt);
  }

  private async record(id: string, generation: number, startedAt: number, h: HealthConfig, entry: HealthLogEntry): Promise<void> {
    const cur = this.d.store.find(id);
    if (!cur?.State.Running || cur.keel.generation !== generation) return;
    const before = cur.State.Health?.Status ?? 'starting';
    const inStart = Date.parse(entry.Start) - startedAt < seconds(h.StartPeriod, DEFAULTS.startPeriod) * 1000;
    const rec = await this.d.store.update(id, (r) => {
      const health = r.State.Health ?? { Status: 'starting', FailingStreak: 0, Log: [] };
      if (entry.ExitCode === 0) Object.assign(health, { Status: 'healthy', FailingStreak: 0 });
      else if (!inStart || health.Status !== 'starting') {
        health.FailingStreak++;
        if (health.FailingStreak >= (h.Retries || DEFAULTS.retries)) health.Status = 'unhealthy';
      }
      health.Log = [...health.Log, entry].slice(-KEEP_LOG);
      r.State.Health = health;
    });
    const after = rec.State.Health!.Status;
    if (after !== before) this.d.publish(rec, `health_status: ${after}`);
  }
}
