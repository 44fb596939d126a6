/**
 * Networks end to end: the real keeld and the real docker CLI. The API part (create, ls with
 * filters, inspect, rm, prune, errors, events, macvlan on a veth parent) needs only root; the
 * traffic part needs the container service to attach networks (skipped with the reason until it
 * does). Traffic goes only between containers and to 127.0.0.1; subnets are 10.216-10.219/16.
 * Every case leaves the host as it found it: links, namespaces and iptables rules are compared.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { containerSkip, sleep, useContainerDaemon } from './container-daemon.js';

// This daemon's host objects only: its own link prefix `kn`, chains `KEELN-*` and bridge `kn0`, so a
// keeld the setup started (`kl…`, `KEEL-*`, `keel0`) and the unit tests (`kt…`) never disturb it.
const snapshot = () => ({
  ipForward: execFileSync('cat', ['/proc/sys/net/ipv4/ip_forward'], { encoding: 'utf8' }).trim(),
  links: (JSON.parse(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' })) as Array<{ ifname: string }>).map((l) => l.ifname).filter((n) => /^(kn0|kn[a-z]-|ktp)/.test(n)).sort(),
  netns: execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').filter(Boolean).sort(),
  rules: execFileSync('iptables-save', [], { encoding: 'utf8' }).split('\n').filter((l) => /KEELN-/.test(l)).sort(),
});
const before = containerSkip ? undefined : snapshot();
const parent = `ktp${process.pid % 100000}`;

describe.skipIf(!!containerSkip)(`networks e2e${containerSkip ? ` (skipped: ${containerSkip})` : ''}`, () => {
  // --ip-forward=false: the cases need no routing off the host, and the host keeps its sysctl.
  const h = useContainerDaemon({
    config: {
      bip: '10.216.0.1/24', 'default-address-pools': [{ base: '10.217.0.0/16', size: 24 }], 'ip-forward': false, bridge: 'kn0',
      plugins: { 'network.bridge': { linkPrefix: 'kn', chainPrefix: 'KEELN' }, 'network.macvlan': { linkPrefix: 'kn' } },
    },
  });
  let served: boolean | undefined;
  const needApi = async (ctx: { skip: (note?: string) => void }) => {
    served ??= (await h.d.request('GET', '/networks')).status === 200;
    if (!served) ctx.skip('core.networks is not in this build');
  };
  const fails = async (args: string[], message: RegExp) => {
    const r = await h.docker(args);
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr).toMatch(message);
  };

  it('lists the predefined networks; bridge is kn0 (--bridge) on --bip, none shows the null driver', async (ctx) => {
    await needApi(ctx);
    expect(await h.ok(['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}}'])).toBe('bridge bridge local\nhost host local\nnone null local\n');
    const bridge = (await h.inspect('bridge')) as any;
    expect(bridge.IPAM.Config).toEqual([{ Subnet: '10.216.0.0/24', Gateway: '10.216.0.1' }]);
    expect(bridge.Options['com.docker.network.bridge.name']).toBe('kn0');
    expect(snapshot().links).toContain('kn0');
    expect(JSON.parse(await h.ok(['info', '--format', '{{json .Plugins.Network}}']))).toEqual(expect.arrayContaining(['bridge', 'host', 'null', 'macvlan']));
  });

  it('network create / inspect / ls filters / rm, with Docker\'s errors', async (ctx) => {
    await needApi(ctx);
    const since = Math.floor(Date.now() / 1000);
    const id = (await h.ok(['network', 'create', '--subnet', '10.218.1.0/24', '--gateway', '10.218.1.254', '--ip-range', '10.218.1.128/25',
      '--label', 'team=a', '-o', 'com.docker.network.driver.mtu=1400', '--attachable', 'kt1'])).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const n = await h.inspect('kt1');
    expect(n).toMatchObject({ Name: 'kt1', Driver: 'bridge', Attachable: true, Labels: { team: 'a' }, IPAM: { Config: [{ Subnet: '10.218.1.0/24', IPRange: '10.218.1.128/25', Gateway: '10.218.1.254' }] } });
    const link = JSON.parse(execFileSync('ip', ['-j', 'link', 'show', `knb-${id.slice(0, 11)}`], { encoding: 'utf8' }))[0];
    expect(link.mtu).toBe(1400);
    await fails(['network', 'create', 'kt1'], /network with name kt1 already exists/);
    await fails(['network', 'create', '--subnet', '10.218.1.0/25', 'kt9'], /overlaps/);
    await h.ok(['network', 'create', 'kt2']);
    expect((await h.inspect('kt2')).IPAM.Config[0].Subnet).toMatch(/^10\.217\.\d+\.0\/24$/);
    expect(await h.ok(['network', 'ls', '--filter', 'label=team=a', '--format', '{{.Name}}'])).toBe('kt1\n');
    expect(await h.ok(['network', 'ls', '--filter', 'type=custom', '--format', '{{.Name}}'])).toBe('kt1\nkt2\n');
    await fails(['network', 'rm', 'bridge'], /bridge is a pre-defined network and cannot be removed/);
    await fails(['network', 'rm', 'nope'], /network nope not found/);
    expect((await h.docker(['network', 'rm', '-f', 'nope'])).code).toBe(0);
    expect(await h.ok(['network', 'rm', 'kt1', 'kt2'])).toBe('kt1\nkt2\n');
    const events = await h.ok(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'type=network', '--format', '{{.Action}} {{.Actor.Attributes.name}}']);
    expect(events).toMatch(/create kt1\n[\s\S]*destroy kt2/);
  });

  it('network prune removes unused user-defined networks only', async (ctx) => {
    await needApi(ctx);
    await h.ok(['network', 'create', '--internal', 'kt3']);
    await h.ok(['network', 'create', '--label', 'keep=1', 'kt4']);
    expect(await h.ok(['network', 'prune', '-f', '--filter', 'label!=keep'])).toMatch(/Deleted Networks:\nkt3/);
    expect(await h.ok(['network', 'ls', '--format', '{{.Name}}'])).toBe('bridge\nhost\nkt4\nnone\n');
    await h.ok(['network', 'rm', 'kt4']);
  });

  it('macvlan on a veth parent (this kernel has no dummy driver); an 802.1q parent is made and removed by keel where the kernel has VLANs', async (ctx) => {
    await needApi(ctx);
    execFileSync('ip', ['link', 'add', parent, 'type', 'veth', 'peer', 'name', `${parent}p`]);
    try {
      await h.ok(['network', 'create', '-d', 'macvlan', '-o', `parent=${parent}`, '-o', 'macvlan_mode=bridge', '--subnet', '10.219.0.0/24', 'ktmv']);
      expect((await h.inspect('ktmv')).Options).toMatchObject({ parent, macvlan_mode: 'bridge' });
      await fails(['network', 'create', '-d', 'macvlan', '-o', 'macvlan_mode=sideways', '-o', `parent=${parent}`, 'ktbad'], /invalid macvlan_mode/);
      const vlan = await h.docker(['network', 'create', '-d', 'macvlan', '-o', `parent=${parent}.10`, '--subnet', '10.219.1.0/24', 'ktvlan']);
      if (vlan.code === 0) {
        expect(snapshot().links).toContain(`${parent}.10`);
        await h.ok(['network', 'rm', 'ktvlan']);
        expect(snapshot().links).not.toContain(`${parent}.10`);
      } else {
        expect(vlan.stderr).toMatch(/no VLAN \(8021q\) support/);
      }
      await h.ok(['network', 'rm', 'ktmv']);
    } finally {
      execFileSync('ip', ['link', 'del', parent]);
    }
  });

  describe('container traffic', () => {
    let wired: boolean | undefined;
    const needContainers = async (ctx: { skip: (note?: string) => void }) => {
      await needApi(ctx);
      if (wired === undefined) {
        const id = (await h.ok(['run', '-d', 'busybox', 'sleep', '1'])).trim();
        wired = !!(await h.inspect(id)).NetworkSettings?.Networks?.bridge?.IPAddress;
        await h.docker(['rm', '-f', id]);
      }
      if (!wired) ctx.skip('the container service does not attach networks yet');
    };
    /** A network, a busybox httpd serving `body` on it (`webArgs` name it), and a client container. */
    const webAndClient = async (net: string, subnet: string, webArgs: string[], body: string, client: string) => {
      await h.ok(['network', 'create', '--subnet', subnet, net]);
      await h.ok(['run', '-d', ...webArgs, '--network', net, 'busybox', 'sh', '-c', `echo ${body} > /tmp/index.html && httpd -f -p 80 -h /tmp`]);
      await h.ok(['run', '-d', '--name', client, '--network', net, 'busybox', 'sleep', '300']);
      await sleep(300);
    };

    it('two containers on a user-defined network ping and wget each other by name and alias', async (ctx) => {
      await needContainers(ctx);
      await webAndClient('ktapp', '10.218.2.0/24', ['--name', 'web', '--network-alias', 'www'], 'hello-web', 'cli');
      for (const name of ['web', 'www']) {
        expect(await h.ok(['exec', 'cli', 'busybox', 'ping', '-c', '1', '-W', '3', name])).toMatch(/1 packets received/);
        expect(await h.ok(['exec', 'cli', 'wget', '-q', '-O', '-', `http://${name}/`])).toBe('hello-web\n');
      }
      const ip = (await h.inspect('web')).NetworkSettings.Networks.ktapp.IPAddress;
      expect(ip).toMatch(/^10\.218\.2\.\d+$/);
      await fails(['network', 'rm', 'ktapp'], /active endpoints/);
      await h.ok(['rm', '-f', 'web', 'cli']);
      await h.ok(['network', 'rm', 'ktapp']);
    });

    it('-p 127.0.0.1:18080:80 is reachable from the host at 127.0.0.1; a taken port fails the start cleanly; docker port', async (ctx) => {
      await needContainers(ctx);
      await h.ok(['run', '-d', '--name', 'pub', '-p', '127.0.0.1:18080:80', '-p', '127.0.0.1::81/udp', 'busybox', 'sh', '-c', 'echo published > /tmp/index.html && httpd -f -p 80 -h /tmp']);
      await sleep(300);
      expect(execFileSync('busybox', ['wget', '-q', '-O', '-', 'http://127.0.0.1:18080/'], { encoding: 'utf8' })).toBe('published\n');
      expect(await h.ok(['port', 'pub', '80'])).toBe('127.0.0.1:18080\n');
      const r = await h.docker(['run', '-d', '--name', 'pub2', '-p', '127.0.0.1:18080:80', 'busybox', 'sleep', '30']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/127\.0\.0\.1:18080 failed: port is already allocated/);
      await h.docker(['rm', '-f', 'pub', 'pub2']);
    });

    it('network connect/disconnect on a running container adds and removes eth1 with its alias', async (ctx) => {
      await needContainers(ctx);
      await h.ok(['network', 'create', '--subnet', '10.218.3.0/24', 'ktc1']);
      await h.ok(['network', 'create', '--subnet', '10.218.4.0/24', 'ktc2']);
      await h.ok(['run', '-d', '--name', 'c1', '--network', 'ktc1', 'busybox', 'sleep', '300']);
      await h.ok(['run', '-d', '--name', 'c2', '--network', 'ktc2', 'busybox', 'sleep', '300']);
      await h.ok(['network', 'connect', '--alias', 'side', '--ip', '10.218.4.50', 'ktc2', 'c1']);
      expect(await h.ok(['exec', 'c1', 'ip', '-o', '-4', 'addr'])).toMatch(/eth1.*10\.218\.4\.50/);
      expect(await h.ok(['exec', 'c2', 'busybox', 'ping', '-c', '1', '-W', '3', 'side'])).toMatch(/1 packets received/);
      expect(Object.keys((await h.inspect('ktc2')).Containers)).toHaveLength(2);
      await h.ok(['network', 'disconnect', 'ktc2', 'c1']);
      expect(await h.ok(['exec', 'c1', 'ip', '-o', 'link'])).not.toMatch(/eth1/);
      await h.ok(['rm', '-f', 'c1', 'c2']);
      await h.ok(['network', 'rm', 'ktc1', 'ktc2']);
    });

    it('published ports and names keep working while keeld is down and after it restarts (live restore)', async (ctx) => {
      await needContainers(ctx);
      await webAndClient('ktlr', '10.218.5.0/24', ['--name', 'lr', '-p', '127.0.0.1:18082:80'], 'alive', 'lrc');
      const fetch = () => execFileSync('busybox', ['wget', '-q', '-O', '-', 'http://127.0.0.1:18082/'], { encoding: 'utf8' });
      expect(fetch()).toBe('alive\n');
      await h.killDaemon();
      expect(fetch()).toBe('alive\n');
      await h.startAgain();
      expect(fetch()).toBe('alive\n');
      expect(await h.ok(['exec', 'lrc', 'wget', '-q', '-O', '-', 'http://lr/'])).toBe('alive\n');
      await h.ok(['rm', '-f', 'lr', 'lrc']);
      await h.ok(['network', 'rm', 'ktlr']);
      expect(snapshot().links.filter((l) => l.startsWith('knv-'))).toEqual([]);
    });

    it('--network host sees the host interfaces; none has only lo', async (ctx) => {
      await needContainers(ctx);
      expect(await h.ok(['run', '--rm', '--network', 'host', 'busybox', 'ip', '-o', 'link'])).toMatch(/kn0/);
      expect((await h.ok(['run', '--rm', '--network', 'none', 'busybox', 'ip', '-o', 'link'])).trim().split('\n')).toHaveLength(1);
    });

    it('macvlan carries traffic between two containers on one parent', async (ctx) => {
      await needContainers(ctx);
      execFileSync('ip', ['link', 'add', parent, 'type', 'veth', 'peer', 'name', `${parent}p`]);
      execFileSync('ip', ['link', 'set', `${parent}p`, 'up']);
      try {
        await h.ok(['network', 'create', '-d', 'macvlan', '-o', `parent=${parent}`, '--subnet', '10.219.0.0/24', 'ktmv']);
        await h.ok(['run', '-d', '--name', 'mv1', '--network', 'ktmv', '--ip', '10.219.0.10', 'busybox', 'sleep', '300']);
        expect(await h.ok(['run', '--rm', '--network', 'ktmv', 'busybox', 'busybox', 'ping', '-c', '1', '-W', '3', '10.219.0.10'])).toMatch(/1 packets received/);
        await h.ok(['rm', '-f', 'mv1']);
        await h.ok(['network', 'rm', 'ktmv']);
      } finally {
        execFileSync('ip', ['link', 'del', parent]);
      }
    });
  });

  it('after every container and network is gone and keeld stops, nothing of keel is left on the host', async (ctx) => {
    await needApi(ctx);
    const ids = (await h.docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (ids.length) await h.docker(['rm', '-f', ...ids]);
    // keeld keeps the default bridge while containers are attached (live restore); with none it
    // takes its plumbing down at stop and rebuilds it at the next start.
    await h.d.stop();
    expect(snapshot()).toEqual(before);
  });
});
