/**
 * Docker's JSON progress messages: the bar text (`[=====>      ] 1.2MB/3.4MB`) the CLI shows
 * verbatim, and a helper that turns a task's byte counts into throttled progress lines.
 */

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** Bytes in Docker's decimal units (`1.2MB`, as go-units HumanSize with 4 significant digits). */
export function humanSize(n: number): string {
  let i = 0;
  let v = n;
  while (v >= 1000 && i < UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(4))}${UNITS[i]}`;
}

/** A 50-column bar with sizes. */
export function progressBar(current: number, total: number): string {
  const width = 50;
  const done = total > 0 ? Math.min(width, Math.floor((current / total) * width)) : 0;
  const bar = done >= width ? '='.repeat(width) : `${'='.repeat(done)}>${' '.repeat(width - done - 1)}`;
  return `[${bar}] ${humanSize(current)}/${humanSize(total)}`;
}

/** One progress message (`status` with `id`, as the CLI redraws in place). */
export function progressMessage(status: string, id: string, current: number, total: number): Record<string, unknown> {
  return { status, progressDetail: { current, total }, progress: progressBar(current, total), id };
}

/**
 * Runs `task`, yielding `message(bytes)` for what it reports at most every `intervalMs`; the
 * generator's return value is the task's result (its error is thrown). Abandoning the generator
 * waits for the task, so nothing runs on after its caller moved on.
 */
export async function* reporting<T, M>(task: (report: (bytes: number) => void) => Promise<T>, message: (bytes: number) => M, intervalMs = 100): AsyncGenerator<M, T> {
  let latest: number | undefined;
  let last = 0;
  let settled = false;
  let wake: (() => void) | undefined;
  const report = (bytes: number) => {
    latest = bytes;
    if (Date.now() - last >= intervalMs) wake?.();
  };
  const run = task(report).finally(() => {
    settled = true;
    wake?.();
  });
  run.catch(() => undefined);
  try {
    while (!settled) {
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      if (latest !== undefined && !settled) {
        last = Date.now();
        yield message(latest);
        latest = undefined;
      }
    }
  } finally {
    // Abandoned by the consumer (the client left): the task still runs to its end before we return.
    await run.catch(() => undefined);
  }
  return await run;
}
