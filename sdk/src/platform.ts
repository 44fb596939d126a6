/**
 * Platform names as Docker and OCI images spell them (Go's `GOARCH`), from Node's.
 * @packageDocumentation
 */

const GO_ARCH: Readonly<Record<string, string>> = {
  x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64',
};

/** Go's name for a Node architecture (`x64` → `amd64`); unknown ones are returned as they are. */
export function goArch(nodeArch: string = process.arch): string {
  return GO_ARCH[nodeArch] ?? nodeArch;
}
