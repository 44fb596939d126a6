/** Runs `fn` under a deadline; on expiry aborts the controller it was given and rejects. */
export async function withTimeout<T>(ms: number, what: string, fn: (signal: AbortSignal) => T | Promise<T>): Promise<T> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new Error(`${what} timed out after ${ms} ms`);
      ac.abort(err);
      reject(err);
    }, ms);
  });
  try {
    return await Promise.race([Promise.resolve().then(() => fn(ac.signal)), expired]);
  } finally {
    clearTimeout(timer);
  }
}
