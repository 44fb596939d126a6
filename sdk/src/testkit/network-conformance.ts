/**
 * The network driver conformance suite: what every {@link NetworkDriver} must do, as vitest cases
 * named after the contract's clauses, run against the real host (root only: the cases create
 * network namespaces with `ip netns add` and let the driver plumb into them). Every case checks
 * that the host is left as it was found: no new links, no namespaces, no new iptables lines.
 * Tests send traffic only between namespaces the case created. Imports `vitest`: test files only.
 *
 * @example
 * ```ts
 * describeNetworkDriverConformance('bridge', async () => ({ driver: new BridgeDriver({ … }), cleanup: async () => {} }));
 * ```
 * @packageDocumentation
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CreateNetworkRequest, NetworkDriver } from '../drivers/network.js';
import { EngineError } from '../errors.js';

/** What a conformance factory returns. */
export interface NetworkDriverFixture {
  readonly driver: NetworkDriver;
  /** Removes whatever the fixture made (e.g. a parent interface); runs even after a failed case. */
  cleanup(): Promise<void>;
  /** Options every network of this driver needs (e.g. macvlan's `parent`). */
  readonly networkOptions?: Readonly<Record<string, string>>;
}

/** Options of {@link describeNetworkDriverConformance}. */
export interface NetworkConformanceOptions {
  /** An IPv4 subnet for the cases' networks, private to the test (default `10.213.<n>.0/24`). */
  readonly subnet?: string;
  /** Options the driver must refuse with InvalidArgument (omit to skip that case). */
  readonly invalidOptions?: Readonly<Record<string, string>>;
  /** Substrings of iptables-save lines that belong to this driver (checked for leftovers). */
  readonly iptablesMarks?: readonly string[];
  /** Links not compared for leftovers: those of a keeld running on the host (default `keel0`, `kl?-…`). */
  readonly ignoreLinks?: RegExp;
}

const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const linkNames = (ignore: RegExp = /^(keel0|kl[a-z]-)/): string[] => (JSON.parse(sh('ip', ['-j', 'link', 'show']) || '[]') as Array<{ ifname: string }>)
  .map((l) => l.ifname).filter((n) => !ignore.test(n)).sort();
const netnsNames = (): string[] => sh('ip', ['netns', 'list']).split('\n').map((l) => l.split(' ')[0]!).filter(Boolean).sort();
const iptablesLines = (marks: readonly string[]): string[] => {
  try {
    return sh('iptables-save', []).split('\n').filter((l) => marks.some((m) => l.includes(m))).sort();
  } catch {
    return [];
  }
};
const id = (): string => randomBytes(32).toString('hex');

/** Registers the conformance cases for `name`; skipped (with the reason in the name) when not root. */
export function describeNetworkDriverConformance(name: string, factory: () => Promise<NetworkDriverFixture>, options: NetworkConformanceOptions = {}): void {
  const root = process.getuid?.() === 0;
  const suite = root ? describe : describe.skip;
  suite(`network driver conformance: ${name}${root ? '' : ' (skipped: needs root)'}`, () => {
    const marks = options.iptablesMarks ?? [];
    const prefix = `kt${process.pid % 100000}${randomBytes(2).toString('hex')}`;
    let before: { links: string[]; netns: string[]; rules: string[] };
    let fixture: NetworkDriverFixture;
    const namespaces: string[] = [];
    let n = 0;

    beforeAll(() => {
      before = { links: linkNames(options.ignoreLinks), netns: netnsNames(), rules: iptablesLines(marks) };
    });
    afterEach(async () => {
      for (const ns of namespaces.splice(0)) execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      await fixture?.cleanup();
    });
    afterAll(() => {
      // The host as it was found: a leak fails the suite.
      expect({ links: linkNames(options.ignoreLinks), netns: netnsNames(), rules: iptablesLines(marks) }).toEqual(before);
    });

    const subnet = (): { subnet: string; base: string } => {
      const third = (Number.parseInt(prefix.slice(-2), 16) + n++) % 250;
      const s = options.subnet ?? `10.213.${third}.0/24`;
      return { subnet: s, base: s.split('/')[0]!.split('.').slice(0, 3).join('.') };
    };
    const request = (extra: Partial<CreateNetworkRequest> = {}): CreateNetworkRequest & { base: string } => {
      const { subnet: s, base } = subnet();
      const needsIpam = fixture.driver.capabilities.needsIpam;
      return {
        networkId: id(), name: `${prefix}-net`, options: { ...fixture.networkOptions }, internal: false,
        ipv4: needsIpam ? [{ subnet: s, gateway: `${base}.1` }] : [], ipv6: [], base, ...extra,
      };
    };
    const netns = (suffix: string): string => {
      const ns = `${prefix}-${suffix}`;
      execFileSync('ip', ['netns', 'add', ns]);
      namespaces.push(ns);
      execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      return `/run/netns/${ns}`;
    };
    const linksIn = (path: string): string[] => (JSON.parse(sh('nsenter', [`--net=${path}`, 'ip', '-j', 'link', 'show'])) as Array<{ ifname: string }>).map((l) => l.ifname).sort();
    const begin = async () => {
      fixture = await factory();
      return fixture.driver;
    };

    it('declares its capabilities as data', async () => {
      const d = await begin();
      expect(['local', 'global']).toContain(d.capabilities.scope);
      expect(JSON.parse(JSON.stringify(d.capabilities))).toEqual(d.capabilities);
    });

    it('createNetwork then deleteNetwork leaves no links or rules, and both are idempotent', async () => {
      const d = await begin();
      const links = linkNames(options.ignoreLinks);
      const req = request();
      const res = await d.createNetwork(req);
      expect(JSON.parse(JSON.stringify(res))).toEqual(res);
      await d.createNetwork(req);
      await d.deleteNetwork(req.networkId);
      await d.deleteNetwork(req.networkId);
      expect(linkNames(options.ignoreLinks)).toEqual(links);
      expect(iptablesLines(marks)).toEqual(before.rules);
    });

    it('deleting what does not exist succeeds (teardown after a crash)', async () => {
      const d = await begin();
      await d.deleteEndpoint(id(), id());
      await d.leave(id(), id());
      await d.deleteNetwork(id());
    });

    if (options.invalidOptions) {
      it('refuses invalid options with InvalidArgument', async () => {
        const d = await begin();
        const req = request({ options: options.invalidOptions! });
        const err = await (d.validateOptions ? d.validateOptions(req.options) : d.createNetwork(req)).then(() => undefined, (e: unknown) => e);
        expect(EngineError.is(err) && err.kind).toBe('InvalidArgument');
      });
    }

    it('createEndpoint + join put one interface with its address into the namespace; leave + deleteEndpoint take it away', async () => {
      const d = await begin();
      const links = linkNames(options.ignoreLinks);
      const req = request();
      await d.createNetwork(req);
      const ns = netns('a');
      const endpointId = id();
      const address = d.capabilities.needsIpam ? `${req.base}.10/24` : undefined;
      await d.createEndpoint({ networkId: req.networkId, endpointId, address, options: {} });
      const joined = await d.join({ networkId: req.networkId, endpointId, sandboxKey: ns, interfaceName: 'eth0', defaultRoute: true, options: {} });
      if (d.capabilities.needsIpam) {
        expect(linksIn(ns)).toEqual(['eth0', 'lo']);
        const addrs = JSON.parse(sh('nsenter', [`--net=${ns}`, 'ip', '-j', '-4', 'addr', 'show', 'dev', 'eth0'])) as Array<{ addr_info: Array<{ local: string }> }>;
        expect(addrs[0]!.addr_info.map((a) => a.local)).toContain(`${req.base}.10`);
        expect(joined.gateway).toBe(`${req.base}.1`);
      } else {
        expect(linksIn(ns)).toEqual(['lo']);
      }
      await d.leave(req.networkId, endpointId);
      await d.deleteEndpoint(req.networkId, endpointId);
      expect(linksIn(ns)).toEqual(['lo']);
      await d.deleteNetwork(req.networkId);
      expect(linkNames(options.ignoreLinks)).toEqual(links);
    });

    it('two endpoints on one network reach each other', async () => {
      const d = await begin();
      if (!d.capabilities.needsIpam || !d.capabilities.usesNamespaces) return;
      const req = request();
      await d.createNetwork(req);
      const eps = [id(), id()];
      for (const [i, endpointId] of eps.entries()) {
        await d.createEndpoint({ networkId: req.networkId, endpointId, address: `${req.base}.${20 + i}/24`, options: {} });
        await d.join({ networkId: req.networkId, endpointId, sandboxKey: netns(`p${i}`), interfaceName: 'eth0', defaultRoute: true, options: {} });
      }
      const ping = sh('ip', ['netns', 'exec', `${prefix}-p0`, 'busybox', 'ping', '-c', '1', '-W', '3', `${req.base}.21`]);
      expect(ping).toMatch(/1 packets received/);
      for (const endpointId of eps) {
        await d.leave(req.networkId, endpointId);
        await d.deleteEndpoint(req.networkId, endpointId);
      }
      await d.deleteNetwork(req.networkId);
    });
  });
}
