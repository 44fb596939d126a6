/**
 * Runs the host tools network plugins drive (`ip`, `iptables-restore`, `nsenter`, `unshare`):
 * stdin fed in one write, stdout collected, failures turned into EngineErrors that carry the
 * tool's own message (it names the device or rule that was wrong).
 */
import { spawn } from 'node:child_process';
import { CancelledError, InternalError } from '../errors.js';
import type { CallOptions } from '../drivers/common.js';

/** Options of {@link runTool}. */
export interface RunToolOptions extends CallOptions {
  /** Written to the tool's stdin, then stdin is closed. */
  readonly input?: string;
}

/** What a tool printed, when it exited 0. */
export interface ToolOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/** A failed tool run: `InternalError` with `exitCode` and `stderr` kept for callers that branch on the exit code. */
export class ToolError extends InternalError {
  constructor(readonly command: string, readonly exitCode: number | null, readonly stderr: string) {
    super(`${command}: ${stderr.trim() || `exit code ${exitCode}`}`, { code: 'ERR_NET_TOOL' });
  }
}

/** Runs `cmd args…`; resolves with its output on exit code 0, rejects with {@link ToolError} otherwise. */
export function runTool(cmd: string, args: readonly string[], options: RunToolOptions = {}): Promise<ToolOutput> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(new CancelledError(`${cmd}: cancelled`));
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], signal: options.signal, env: { ...process.env, LC_ALL: 'C' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      if (e.name === 'AbortError') reject(new CancelledError(`${cmd}: cancelled`, { cause: e }));
      else reject(new ToolError(cmd, null, e.message));
    });
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve({ stdout, stderr });
      else reject(new ToolError(`${cmd} ${args.join(' ')}`.trim(), code, stderr));
    });
    // A tool that exits before reading stdin must not crash the daemon with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}
