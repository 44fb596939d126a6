/** Signal names and numbers as Docker accepts them (`SIGTERM`, `TERM`, `15`). */
import { constants } from 'node:os';
import { InvalidArgumentError } from '@keel/sdk';

const BY_NAME = constants.signals as Record<string, number>;

/** Parses a signal; 400 `Invalid signal: X` otherwise. Returns the canonical name and number. */
export function parseSignal(raw: string): { name: string; number: number } {
  const s = raw.trim().toUpperCase();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    const name = Object.keys(BY_NAME).find((k) => BY_NAME[k] === n);
    if (n > 0 && n <= 64) return { name: name ?? `SIGRTMIN+${n - 34}`, number: n };
  } else {
    const name = s.startsWith('SIG') ? s : `SIG${s}`;
    if (BY_NAME[name] !== undefined) return { name, number: BY_NAME[name]! };
  }
  throw new InvalidArgumentError(`Invalid signal: ${raw}`);
}
