/** The runtime conformance suite over every in-tree OCI runtime. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describeRuntimeConformance } from '@keel/sdk/testkit';
import { CliRuntime, cgroupLayout, findBinary } from '@keel/sdk/oci-cli';

const layout = await cgroupLayout();
const busybox = (await findBinary(['/bin/busybox', '/usr/bin/busybox'])) ?? '/bin/busybox';

for (const [name, candidates, why] of [
  ['runc', ['/usr/sbin/runc', '/usr/bin/runc'], undefined],
  ['crun', ['/usr/bin/crun'], layout === 'hybrid' ? 'this host has a cgroup v1 hybrid layout, which crun refuses' : undefined],
] as const) {
  const binary = await findBinary(candidates);
  describeRuntimeConformance(name, async () => {
    const root = await mkdtemp(path.join(tmpdir(), `keel-rt-${name}-`));
    return { runtime: new CliRuntime({ path: binary!, root, capabilities: { cgroupVersions: [1], pause: true, update: true } }), cleanup: () => rm(root, { recursive: true, force: true }) };
  }, { busybox, skipReason: binary ? why : `${name} is not installed` });
}
