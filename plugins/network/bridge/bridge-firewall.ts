/**
 * The bridge driver's iptables rules, rewritten as a whole on every change: each `KEEL-*` chain
 * is declared (hence flushed) and refilled in one `iptables-restore --noflush` transaction per
 * table, so a half-applied state is never visible and stale rules cannot survive a change. The
 * only rules outside keel's chains are the jumps into them, checked before they are inserted.
 *
 * Published ports are DNAT rules in nat PREROUTING *and* OUTPUT (so the host itself, including
 * 127.0.0.1 with `route_localnet` on the bridge, reaches them) — no userland proxy process: the
 * rules live in the kernel and keep working while keeld restarts (live restore). Host traffic that
 * reaches a container this way is masqueraded to the bridge address so replies come back.
 */
import type { CallOptions, Logger, PortMapping } from '@keel/sdk';
import { deleteChains, ensureJump, iptablesRestore, removeJump, type IptablesBackend } from '@keel/sdk/netutil';

/** What the firewall needs of one network. */
export interface FirewallNetwork {
  readonly bridge: string;
  readonly subnets: readonly string[];
  readonly internal: boolean;
  readonly icc: boolean;
  readonly masquerade: boolean;
}

/** Published ports of one endpoint. */
export interface FirewallPorts {
  readonly bridge: string;
  readonly containerIp: string;
  readonly ports: readonly PortMapping[];
}

const FILTER_CHAINS = ['KEEL-FORWARD', 'KEEL-ISOLATION-1', 'KEEL-ISOLATION-2', 'KEEL-PORTS', 'KEEL-INPUT'];
const NAT_CHAINS = ['KEEL-DNAT', 'KEEL-POSTROUTING'];
const JUMPS: ReadonlyArray<readonly [table: string, chain: string, match: readonly string[], target: string]> = [
  ['filter', 'FORWARD', [], 'KEEL-FORWARD'],
  ['filter', 'INPUT', [], 'KEEL-INPUT'],
  ['nat', 'PREROUTING', ['-m', 'addrtype', '--dst-type', 'LOCAL'], 'KEEL-DNAT'],
  ['nat', 'OUTPUT', ['-m', 'addrtype', '--dst-type', 'LOCAL'], 'KEEL-DNAT'],
  ['nat', 'POSTROUTING', [], 'KEEL-POSTROUTING'],
];

function filterRules(nets: readonly FirewallNetwork[], ports: readonly FirewallPorts[]): string[] {
  const r: string[] = ['-A KEEL-FORWARD -j KEEL-ISOLATION-1'];
  for (const n of nets) {
    const b = n.bridge;
    if (n.internal) r.push(`-A KEEL-FORWARD -i ${b} ! -o ${b} -j DROP`, `-A KEEL-FORWARD -o ${b} ! -i ${b} -j DROP`);
    else r.push(`-A KEEL-FORWARD -o ${b} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`, `-A KEEL-FORWARD -o ${b} -j KEEL-PORTS`);
    r.push(`-A KEEL-FORWARD -i ${b} -o ${b} -j ${n.icc ? 'ACCEPT' : 'DROP'}`);
    if (!n.internal) r.push(`-A KEEL-FORWARD -i ${b} ! -o ${b} -j ACCEPT`);
    // Two stages (as in libnetwork): leaving bridge A for any other keel bridge B is dropped.
    r.push(`-A KEEL-ISOLATION-1 -i ${b} ! -o ${b} -j KEEL-ISOLATION-2`, `-A KEEL-ISOLATION-2 -o ${b} -j DROP`);
    // The embedded DNS listens on the gateway: a host with a strict INPUT policy must let it through.
    for (const p of ['udp', 'tcp']) r.push(`-A KEEL-INPUT -i ${b} -p ${p} -m ${p} --dport 53 -j ACCEPT`);
  }
  r.push('-A KEEL-ISOLATION-1 -j RETURN', '-A KEEL-ISOLATION-2 -j RETURN');
  for (const e of ports) {
    for (const p of e.ports) r.push(`-A KEEL-PORTS -d ${e.containerIp}/32 ! -i ${e.bridge} -o ${e.bridge} -p ${p.protocol} -m ${p.protocol} --dport ${p.containerPort} -j ACCEPT`);
  }
  return r;
}

function natRules(nets: readonly FirewallNetwork[], ports: readonly FirewallPorts[]): string[] {
  const r: string[] = [];
  for (const n of nets) {
    if (n.internal) continue;
    if (n.masquerade) for (const s of n.subnets) r.push(`-A KEEL-POSTROUTING -s ${s} ! -o ${n.bridge} -j MASQUERADE`);
    r.push(`-A KEEL-POSTROUTING -o ${n.bridge} -m addrtype --src-type LOCAL -j MASQUERADE`);
  }
  for (const e of ports) {
    for (const p of e.ports) {
      const dst = p.hostIp && p.hostIp !== '0.0.0.0' ? `-d ${p.hostIp}/32 ` : '';
      r.push(`-A KEEL-DNAT ${dst}! -i ${e.bridge} -p ${p.protocol} -m ${p.protocol} --dport ${p.hostPort} -j DNAT --to-destination ${e.containerIp}:${p.containerPort}`);
    }
  }
  return r;
}

/** The `iptables-restore` document of the whole rule set (filter and nat tables). */
export function firewallDocument(nets: readonly FirewallNetwork[], ports: readonly FirewallPorts[]): string {
  const doc = (table: string, chains: readonly string[], rules: readonly string[]) => [`*${table}`, ...chains.map((c) => `:${c} - [0:0]`), ...rules, 'COMMIT'].join('\n');
  return `${doc('filter', FILTER_CHAINS, filterRules(nets, ports))}\n${doc('nat', NAT_CHAINS, natRules(nets, ports))}`;
}

/** The bridge driver's rule set. With no backend (`--iptables=false`) every call does nothing. */
export class BridgeFirewall {
  private chain: Promise<unknown> = Promise.resolve();
  private jumped = false;

  /**
   * @param prefix replaces `KEEL` in every chain name: two rule sets on one host (a test beside a
   * running keeld) must not rewrite each other's chains.
   */
  constructor(private readonly backend: IptablesBackend | undefined, private readonly log?: Logger, private readonly prefix = 'KEEL') {}

  private rename(text: string): string {
    return this.prefix === 'KEEL' ? text : text.replace(/KEEL-/g, `${this.prefix}-`);
  }

  /** Rewrites every KEEL chain from `nets` and `ports`; with no networks left, removes them and the jumps. */
  sync(nets: readonly FirewallNetwork[], ports: readonly FirewallPorts[], options: CallOptions = {}): Promise<void> {
    const run = this.chain.then(() => this.apply(nets, ports, options));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async apply(nets: readonly FirewallNetwork[], ports: readonly FirewallPorts[], options: CallOptions): Promise<void> {
    const b = this.backend;
    if (!b) return;
    if (!nets.length) return this.remove(options);
    await iptablesRestore(b, this.rename(firewallDocument(nets, ports)), options);
    // Five `-C` checks cost more than the restore itself: done once per process (and after a removal).
    if (this.jumped) return;
    for (const [table, chain, match, target] of JUMPS) await ensureJump(b, table, chain, match, this.rename(target), options);
    this.jumped = true;
  }

  private async remove(options: CallOptions): Promise<void> {
    const b = this.backend!;
    this.jumped = false;
    for (const [table, chain, match, target] of JUMPS) await removeJump(b, table, chain, match, this.rename(target), options);
    await deleteChains(b, 'filter', FILTER_CHAINS.map((c) => this.rename(c)), options);
    await deleteChains(b, 'nat', NAT_CHAINS.map((c) => this.rename(c)), options);
    this.log?.debug('removed the KEEL-* chains: no bridge network is left');
  }
}
