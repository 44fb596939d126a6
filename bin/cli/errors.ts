/**
 * The errors users see. Expected failures (daemon said no, daemon not there, bad flag) become one
 * or two lines that say what to do next — never a stack trace.
 */
import { CommanderError } from 'commander';

/** The daemon answered with an error (`{"message": …}`). */
export class DaemonError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** The daemon could not be reached; the message already says what to do. */
export class ConnectError extends Error {}

/** An error already reported to the user (per-item failures); it only sets the exit code. */
export class ReportedError extends Error {}

/** Errno codes meaning "no daemon answers at this address". */
export const UNREACHABLE = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM', 'ENOTDIR', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** The help for a failed connection to `address` (as the user wrote it). */
export function connectError(err: NodeJS.ErrnoException, address: string): ConnectError {
  const where = `Cannot connect to the keel daemon at ${address}.`;
  if (err.code === 'EACCES' || err.code === 'EPERM') {
    return new ConnectError(`${where} Permission denied on the socket.\nRun keel as root (sudo keel …), or join the group that owns the socket (see: ls -l ${address.replace(/^unix:\/\//, '')}).`);
  }
  const start = 'Start it with: sudo scripts/setup.sh  (or: sudo keeld)';
  const elsewhere = 'Or point keel at a running daemon with -H, KEEL_HOST or DOCKER_HOST.';
  return new ConnectError(`${where} Is keeld running?\n${start}\n${elsewhere}`);
}

/** What to print on stderr for `err`, or undefined when nothing more should be printed. */
export function renderError(err: unknown): string | undefined {
  if (err instanceof DaemonError) return `Error response from daemon: ${err.message}\n`;
  if (err instanceof ConnectError) return `${err.message}\n`;
  if (err instanceof ReportedError) return undefined;
  // Commander has printed its own message (unknown option, missing argument) already.
  if (err instanceof CommanderError) return undefined;
  if (err instanceof Error) return `Error: ${err.message}\n`;
  return `Error: ${String(err)}\n`;
}

/** The exit code for `err`: commander's own (0 for --help), else 1. */
export const exitCode = (err: unknown): number => (err instanceof CommanderError ? err.exitCode : 1);
