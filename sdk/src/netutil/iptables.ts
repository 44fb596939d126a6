/**
 * iptables from Node, on whichever backend the host uses (iptables-nft or iptables-legacy): rules
 * written atomically per table with `iptables-restore --noflush` (a declared chain is flushed and
 * refilled in the same transaction), single jumps checked with `-C` before they are inserted.
 * Both backends at once would split the rule set, so the one already holding rules wins.
 */
import type { CallOptions } from '../drivers/common.js';
import { runTool, ToolError } from './exec.js';

/** The iptables commands of one backend and family. */
export interface IptablesBackend {
  /** `iptables`, `iptables-legacy`, `ip6tables-nft` … */
  readonly cmd: string;
  readonly save: string;
  readonly restore: string;
}

const backendFor = (v6: boolean, variant: '' | '-legacy' | '-nft'): IptablesBackend => {
  const base = v6 ? 'ip6tables' : 'iptables';
  return { cmd: `${base}${variant}`, save: `${base}${variant}-save`, restore: `${base}${variant}-restore` };
};

async function ruleCount(b: IptablesBackend): Promise<number> {
  const out = await runTool(b.save, []).catch(() => undefined);
  return out ? out.stdout.split('\n').filter((l) => l.startsWith('-A ')).length : -1;
}

/**
 * Picks the backend: the plain `iptables` alternative, unless the other backend holds rules and
 * it has none (a host whose firewall lives in legacy tables while the alternative points at nft).
 */
export async function detectIptables(v6 = false): Promise<IptablesBackend> {
  const [nft, legacy] = await Promise.all([ruleCount(backendFor(v6, '-nft')), ruleCount(backendFor(v6, '-legacy'))]);
  if (legacy > 0 && nft <= 0) return backendFor(v6, '-legacy');
  if (nft > 0 && legacy <= 0) return backendFor(v6, '-nft');
  return backendFor(v6, '');
}

/** Applies an `iptables-restore` document without flushing other chains. */
export async function iptablesRestore(b: IptablesBackend, text: string, options: CallOptions = {}): Promise<void> {
  await runTool(b.restore, ['--noflush', '-w'], { ...options, input: text.endsWith('\n') ? text : `${text}\n` });
}

/** Runs one `iptables -w -t <table> …` command. */
export async function iptables(b: IptablesBackend, table: string, args: readonly string[], options: CallOptions = {}): Promise<void> {
  await runTool(b.cmd, ['-w', '-t', table, ...args], options);
}

/** Inserts `-j target` (with `match` arguments) at the top of `chain` unless it is there already. */
export async function ensureJump(b: IptablesBackend, table: string, chain: string, match: readonly string[], target: string, options: CallOptions = {}): Promise<void> {
  const rule = [...match, '-j', target];
  const present = await iptables(b, table, ['-C', chain, ...rule], options).then(() => true, (e: unknown) => {
    if (e instanceof ToolError && e.exitCode === 1) return false;
    throw e;
  });
  if (!present) await iptables(b, table, ['-I', chain, '1', ...rule], options);
}

/** Deletes every copy of the jump; none is fine. */
export async function removeJump(b: IptablesBackend, table: string, chain: string, match: readonly string[], target: string, options: CallOptions = {}): Promise<void> {
  for (let i = 0; i < 8; i++) {
    const gone = await iptables(b, table, ['-D', chain, ...match, '-j', target], options).then(() => false, () => true);
    if (gone) return;
  }
}

/** Names of the user-defined chains of `table` that start with `prefix`. */
export async function listChains(b: IptablesBackend, table: string, prefix: string, options: CallOptions = {}): Promise<string[]> {
  const out = await runTool(b.save, ['-t', table], options).catch(() => ({ stdout: '' }));
  return out.stdout.split('\n').filter((l) => l.startsWith(`:${prefix}`)).map((l) => l.slice(1).split(' ')[0]!);
}

/** Flushes and deletes chains (all flushed first: they may jump to each other). Missing chains are fine. */
export async function deleteChains(b: IptablesBackend, table: string, chains: readonly string[], options: CallOptions = {}): Promise<void> {
  if (!chains.length) return;
  const present = new Set(await listChains(b, table, '', options));
  const mine = chains.filter((c) => present.has(c));
  if (!mine.length) return;
  const text = [`*${table}`, ...mine.map((c) => `:${c} - [0:0]`), ...mine.map((c) => `-X ${c}`), 'COMMIT'].join('\n');
  await iptablesRestore(b, text, options);
}
