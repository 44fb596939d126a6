/**
 * A scratch Linux bridge for the reference dockerd's default network (dockerd 20.10's `--bridge`
 * takes only an existing bridge): `kbd<pid>`, with the first address of a private /24 that overlaps
 * no route of the host, link up; deleted at clean-up (registered before it is made, so a failure
 * half-way or a Ctrl-C also removes it). Nothing is routed through it but the containers' own
 * traffic, and containers running `true` send none.
 */
import { execFile } from 'node:child_process';
import { onCleanup } from './common.mjs';
import { ownName } from './host-state.mjs';

/** Runs `ip` with `args`; its stdout, or throws with its stderr. */
export function ip(args) {
  return new Promise((resolve, reject) => execFile('ip', args, (err, stdout, stderr) => (err ? reject(new Error(`ip ${args.join(' ')}: ${String(stderr).trim() || err.message}`)) : resolve(String(stdout)))));
}

const toInt = (a) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);

/** `[network, prefix length]` of every IPv4 route and address of the host (the default route left out). */
async function usedNets() {
  const routes = JSON.parse((await ip(['-j', '-4', 'route', 'show', 'table', 'all'])) || '[]').map((r) => r.dst).filter((d) => d && d !== 'default' && /^\d/.test(d));
  const addrs = JSON.parse((await ip(['-j', '-4', 'addr'])) || '[]').flatMap((l) => (l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`));
  return [...routes, ...addrs].map((d) => {
    const [a, p] = d.split('/');
    return [toInt(a), p === undefined ? 32 : Number(p)];
  });
}

/** True when the /24 at `net` shares an address with `[other, prefix]`. */
function overlaps(net, [other, prefix]) {
  const bits = Math.min(24, prefix);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return ((net & mask) >>> 0) === ((other & mask) >>> 0);
}

/** Creates the bridge; resolves with `{ name, cidr }` (cidr: the bridge's address, e.g. `10.231.17.1/24`). */
export async function scratchBridge() {
  const name = `kbd${process.pid}`;
  ownName(name);
  const used = await usedNets();
  let cidr;
  for (let i = 0; i < 200 && !cidr; i++) {
    // 10.200.0.0–10.254.255.0: away from the 172.16/12 and 192.168/16 pools engines start from.
    const net = toInt(`10.${200 + Math.floor(Math.random() * 55)}.${Math.floor(Math.random() * 256)}.0`);
    if (!used.some((u) => overlaps(net, u))) cidr = `10.${(net >>> 16) & 255}.${(net >>> 8) & 255}.1/24`;
  }
  if (!cidr) throw new Error('no free private /24 for the scratch bridge');
  onCleanup(async () => {
    await ip(['link', 'show', name]).then(() => ip(['link', 'del', name]), () => undefined);
  });
  await ip(['link', 'add', name, 'type', 'bridge']);
  await ip(['addr', 'add', cidr, 'dev', name]);
  await ip(['link', 'set', name, 'up']);
  return { name, cidr };
}
