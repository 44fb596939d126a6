import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeRouter } from '@keel/sdk/testkit';
import { parseCgroupLayout } from './cgroup-fs.js';
import { registerCgroupRoutes } from './index.js';
import { checkPsArgs, parsePsOutput, psArgs } from './top.js';
import { mountLine, testRecord, TestAccess, writeTree } from './test-support.js';

describe('ps output and arguments', () => {
  const out = [
    'UID          PID    PPID  C STIME TTY          TIME CMD',
    'root           1       0  0 06:21 ?        00:00:35 /sbin/init splash',
    'root        4242       1  0 06:22 ?        00:00:00 sleep  100',
    'root        4243    4242  0 06:22 ?        00:00:00 sh -c echo  hi',
  ].join('\n');

  it('keeps the rows of the given PIDs; the command column keeps its words', () => {
    expect(parsePsOutput(out, new Set([4242, 4243]))).toEqual({
      Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'],
      Processes: [
        ['root', '4242', '1', '0', '06:22', '?', '00:00:00', 'sleep 100'],
        ['root', '4243', '4242', '0', '06:22', '?', '00:00:00', 'sh -c echo hi'],
      ],
    });
    expect(parsePsOutput(out, new Set()).Processes).toEqual([]);
  });

  it('output without a PID column is refused', () => {
    expect(() => parsePsOutput('USER COMMAND\nroot sh\n', new Set([1]))).toThrow("Couldn't find PID field in ps output");
  });

  it('ps_args default to -ef; renaming another column to PID is refused', () => {
    expect(psArgs(undefined)).toEqual(['-ef']);
    expect(psArgs('  ')).toEqual(['-ef']);
    expect(psArgs('aux  -ww')).toEqual(['aux', '-ww']);
    expect(() => checkPsArgs(['-o', 'user=PID'])).toThrow('specifying "user=PID" is not allowed');
    expect(() => checkPsArgs(['-o', 'pid,comm=PID2'])).toThrow('specifying "comm=PID2" is not allowed');
    expect(() => checkPsArgs(['--format=user=PID'])).toThrow('not allowed');
    expect(() => checkPsArgs(['-o', 'pid=PID,user'])).not.toThrow();
    expect(() => checkPsArgs(['-opid=PID'])).not.toThrow();
    expect(() => checkPsArgs(['aux'])).not.toThrow();
  });
});

describe('GET /containers/:id/top (host ps)', () => {
  let dir: string;
  let router: FakeRouter;
  const me = process.pid;
  const c = testRecord({ cgroupsPath: '/keel/c1' });
  const off = testRecord({ Id: 'ab'.padEnd(64, '0'), Name: '/off', running: false });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'keel-top-'));
    // The fixture cgroup "holds" this test process, so the real ps has a row to find.
    await writeTree(dir, { 'keel/c1/cgroup.procs': `${me}\n` });
    const layout = parseCgroupLayout(mountLine(dir, 'cgroup2'));
    router = new FakeRouter();
    registerCgroupRoutes(router.forPlugin('service.containers'), new TestAccess([c, off]), { layout: async () => layout });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('runs ps -ef by default and shows only the cgroup\'s processes', async () => {
    const r = await router.invoke({ method: 'GET', path: '/containers/web/top' });
    expect(r.status).toBe(200);
    const body = r.body as { Titles: string[]; Processes: string[][] };
    expect(body.Titles).toEqual(['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
    expect(body.Processes.map((p) => p[1])).toEqual([String(me)]);
  });

  it('takes ps_args, also ones that cannot be combined with -q (forest listing)', async () => {
    const aux = (await router.invoke({ method: 'GET', path: '/containers/web/top?ps_args=aux' })).body as { Titles: string[]; Processes: string[][] };
    expect(aux.Titles.slice(0, 3)).toEqual(['USER', 'PID', '%CPU']);
    expect(aux.Processes.map((p) => p[1])).toEqual([String(me)]);
    const forest = await router.invoke({ method: 'GET', path: '/containers/web/top?ps_args=axf' });
    expect(forest.status).toBe(200);
    expect((forest.body as { Processes: string[][] }).Processes.map((p) => p[0])).toEqual([String(me)]);
  });

  it('bad ps_args are a 400 with ps\'s message; a stopped container is a 409', async () => {
    const bad = await router.invoke({ method: 'GET', path: '/containers/web/top?ps_args=--no-such-option' });
    expect(bad.status).toBe(400);
    expect((bad.body as { message: string }).message).toMatch(/^ps: .*option/);
    const stopped = await router.invoke({ method: 'GET', path: '/containers/off/top' });
    expect(stopped.status).toBe(409);
    expect(stopped.body).toEqual({ message: `Container ${off.Id} is not running` });
  });
});
