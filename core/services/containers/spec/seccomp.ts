/**
 * Docker's seccomp profiles (the default one, or a user's `--security-opt seccomp=<file>`)
 * turned into the OCI `linux.seccomp` of one container: rules kept or dropped by the container's
 * capabilities, the host architecture and kernel version, as moby does.
 */
import { InvalidArgumentError } from '@keel/sdk';
import defaultProfile from './seccomp-default.json' with { type: 'json' };

interface Filter { caps?: string[]; arches?: string[]; minKernel?: string }
interface DockerRule { names?: string[]; name?: string; action: string; errnoRet?: number; args?: Array<Record<string, unknown>> | null; includes?: Filter; excludes?: Filter }
/** A Docker seccomp profile. */
export interface DockerSeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  archMap?: Array<{ architecture: string; subArchitectures?: string[] }>;
  syscalls?: DockerRule[];
}

/** OCI `linux.seccomp`. */
export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures: string[];
  syscalls: Array<{ names: string[]; action: string; errnoRet?: number; args?: Array<Record<string, unknown>> }>;
}

const SCMP_ARCH: Record<string, string> = { amd64: 'SCMP_ARCH_X86_64', arm64: 'SCMP_ARCH_AARCH64', arm: 'SCMP_ARCH_ARM', ppc64le: 'SCMP_ARCH_PPC64LE', s390x: 'SCMP_ARCH_S390X', riscv64: 'SCMP_ARCH_RISCV64', '386': 'SCMP_ARCH_X86' };

/** Docker's default profile. */
export const DEFAULT_SECCOMP_PROFILE = defaultProfile as DockerSeccompProfile;

function kernelAtLeast(kernel: string, min: string): boolean {
  const [a = 0, b = 0] = kernel.split(/[.-]/).map(Number);
  const [c = 0, d = 0] = min.split('.').map(Number);
  return a > c || (a === c && b >= d);
}

/** Parses a user profile (`--security-opt seccomp=<json>`), with a clear error for bad input. */
export function parseSeccompProfile(text: string): DockerSeccompProfile {
  let p: DockerSeccompProfile;
  try {
    p = JSON.parse(text) as DockerSeccompProfile;
  } catch (err) {
    throw new InvalidArgumentError(`invalid seccomp profile: ${(err as Error).message}`);
  }
  if (!p || typeof p.defaultAction !== 'string') throw new InvalidArgumentError('invalid seccomp profile: defaultAction is required');
  return p;
}

/** The OCI seccomp section for a container with `caps`, on `goArch` with `kernel`. */
export function toOciSeccomp(profile: DockerSeccompProfile, caps: readonly string[], goArch: string, kernel: string): OciSeccomp {
  const applies = (r: DockerRule): boolean => {
    const inc = r.includes ?? {};
    const exc = r.excludes ?? {};
    if (inc.caps?.length && !inc.caps.every((c) => caps.includes(c))) return false;
    if (inc.arches?.length && !inc.arches.includes(goArch)) return false;
    if (inc.minKernel && !kernelAtLeast(kernel, inc.minKernel)) return false;
    if (exc.caps?.length && exc.caps.some((c) => caps.includes(c))) return false;
    if (exc.arches?.length && exc.arches.includes(goArch)) return false;
    return true;
  };
  const arch = SCMP_ARCH[goArch];
  const mapped = profile.archMap?.find((a) => a.architecture === arch);
  return {
    defaultAction: profile.defaultAction,
    ...(profile.defaultErrnoRet !== undefined ? { defaultErrnoRet: profile.defaultErrnoRet } : {}),
    architectures: mapped ? [mapped.architecture, ...(mapped.subArchitectures ?? [])] : arch ? [arch] : [],
    syscalls: (profile.syscalls ?? []).filter(applies).map((r) => ({
      names: r.names ?? (r.name ? [r.name] : []),
      action: r.action,
      ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}),
      ...(r.args?.length ? { args: r.args } : {}),
    })),
  };
}
