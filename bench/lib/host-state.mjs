/**
 * What a benchmark could leave on the host, read before and after a run so that `bench/all.mjs`
 * can say whether the host is as it found it: network links, network namespaces, iptables rules and
 * chains naming keel, a `KT…` test chain or Docker, top-level cgroups named keel* or docker* in
 * every hierarchy, mounts under the temporary directory made by keel or the reference dockerd, and
 * their temporary directories. Other processes on the host (tests, another keeld) make such
 * objects too, so a difference naming none of the names this process gave its own objects
 * (`ownName`: temporary directories, bridges, chain prefixes, cgroup parents) is only a place to
 * look.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const out = (cmd, args) => new Promise((resolve) => execFile(cmd, args, (_e, stdout) => resolve(String(stdout ?? ''))));
const ours = (line) => /keel|docker/i.test(line) || /\bKT[A-Z]{4}-/.test(line);

function cgroups() {
  const root = '/sys/fs/cgroup';
  const ls = (d) => { try { return readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name); } catch { return []; } };
  const tops = existsSync(path.join(root, 'cgroup.controllers')) ? [''] : ls(root);
  return tops.flatMap((h) => ls(path.join(root, h)).filter((n) => /^(keel|docker)/.test(n)).map((n) => `${h}/${n}`));
}

/** A snapshot: `{ links, netns, iptables, cgroups, mounts, tmp }`, each a sorted list of strings. */
export async function hostState() {
  const tmp = os.tmpdir();
  const links = JSON.parse((await out('ip', ['-d', '-j', 'link'])) || '[]').map((l) => `${l.ifname} (${l.link_type}${l.linkinfo?.info_kind ? ` ${l.linkinfo.info_kind}` : ''})`);
  const netns = (await out('ip', ['netns', 'list'])).split('\n').filter(Boolean);
  const iptables = [];
  for (const table of ['filter', 'nat']) {
    for (const line of (await out('iptables-save', ['-t', table])).split('\n')) if (ours(line)) iptables.push(`${table}: ${line.replace(/\[\d+:\d+\]/, '')}`);
  }
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(`${tmp}/keel-`));
  const dirs = readdirSync(tmp).filter((n) => n.startsWith('keel-'));
  const sorted = (xs) => [...new Set(xs)].sort();
  return { links: sorted(links), netns: sorted(netns), iptables: sorted(iptables), cgroups: sorted(cgroups()), mounts: sorted(mounts), tmp: sorted(dirs) };
}

const own = new Set();
/** Notes a name that this process gave an object of its own (a bridge, a temporary directory…). */
export const ownName = (name) => { if (name) own.add(name); };

/**
 * The differences between two snapshots, one line each (`+ links: kbd123 (ether bridge)`):
 * `{ own, other }`, `own` those that name an object of this process.
 */
export function hostDiff(before, after) {
  const lines = [];
  for (const k of Object.keys(before)) {
    for (const x of after[k]) if (!before[k].includes(x)) lines.push(`+ ${k}: ${x}`);
    for (const x of before[k]) if (!after[k].includes(x)) lines.push(`- ${k}: ${x}`);
  }
  const mine = (l) => [...own].some((n) => l.includes(n));
  return { own: lines.filter(mine), other: lines.filter((l) => !mine(l)) };
}
