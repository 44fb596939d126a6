/**
 * Reading what an unpacked image archive holds, in either format `docker load` accepts:
 * docker-save (`manifest.json`, as Docker writes it, old and 25+ layouts) or an OCI image layout
 * (`oci-layout` + `index.json` + blobs). Every path is resolved inside the staging directory,
 * and OCI blobs are checked against their digests.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError } from '@keel/sdk';

/** One image of an archive. */
export interface ArchiveImage {
  readonly configBytes: Buffer;
  /** Files of the layers, base first (possibly compressed). */
  readonly layerFiles: string[];
  /** References to tag, as written in the archive. */
  readonly tags: string[];
}

function bad(message: string): never {
  throw new InvalidArgumentError(`invalid image archive: ${message}`, { code: 'ERR_ARCHIVE' });
}

/** Resolves `rel` inside `root`, following symlinks, refusing anything that leaves it. */
export async function insideRoot(root: string, rel: string): Promise<string> {
  if (typeof rel !== 'string' || !rel) bad('empty path');
  const real = await realpath(path.resolve(root, rel)).catch(() => bad(`${rel} is missing from the archive`));
  const realRoot = await realpath(root);
  if (real !== realRoot && !real.startsWith(`${realRoot}/`)) bad(`${rel} points outside the archive`);
  if (!(await stat(real)).isFile()) bad(`${rel} is not a file`);
  return real;
}

async function readJson<T>(file: string, what: string): Promise<T> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return bad(`${what} is not valid JSON`);
  }
}

async function fileDigest(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

async function dockerSave(root: string): Promise<ArchiveImage[]> {
  const manifest = await readJson<Array<{ Config?: string; RepoTags?: string[] | null; Layers?: string[] }>>(path.join(root, 'manifest.json'), 'manifest.json');
  if (!Array.isArray(manifest) || !manifest.length) bad('manifest.json lists no image');
  const out: ArchiveImage[] = [];
  for (const m of manifest) {
    if (typeof m.Config !== 'string' || !Array.isArray(m.Layers)) bad('manifest.json entry without Config or Layers');
    out.push({
      configBytes: await readFile(await insideRoot(root, m.Config)),
      layerFiles: await Promise.all(m.Layers.map((l) => insideRoot(root, l))),
      tags: (m.RepoTags ?? []).filter((t) => typeof t === 'string'),
    });
  }
  return out;
}

interface Descriptor { mediaType?: string; digest?: string; annotations?: Record<string, string> }

async function blob(root: string, desc: Descriptor | undefined, what: string): Promise<string> {
  if (!desc || typeof desc.digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(desc.digest)) bad(`${what} has no valid sha256 digest`);
  const file = await insideRoot(root, `blobs/sha256/${desc.digest.slice(7)}`);
  if ((await fileDigest(file)) !== desc.digest) bad(`${what} ${desc.digest} does not match its content`);
  return file;
}

async function ociLayout(root: string): Promise<ArchiveImage[]> {
  const index = await readJson<{ manifests?: Descriptor[] }>(path.join(root, 'index.json'), 'index.json');
  if (!Array.isArray(index.manifests) || !index.manifests.length) bad('index.json lists no manifest');
  const out: ArchiveImage[] = [];
  const visit = async (desc: Descriptor, tags: string[]): Promise<void> => {
    const doc = await readJson<{ mediaType?: string; manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] }>(await blob(root, desc, 'manifest'), `manifest ${desc.digest}`);
    if (Array.isArray(doc.manifests)) {
      const linux = doc.manifests.filter((m) => !(m as { platform?: { os?: string } }).platform || (m as { platform?: { os?: string } }).platform?.os === 'linux');
      for (const m of linux.slice(0, 1)) await visit(m, tags);
      return;
    }
    if (!doc.config || !Array.isArray(doc.layers)) bad(`manifest ${desc.digest} has no config or layers`);
    out.push({ configBytes: await readFile(await blob(root, doc.config, 'config')), layerFiles: await Promise.all(doc.layers.map((l) => blob(root, l, 'layer'))), tags });
  };
  for (const m of index.manifests) {
    const a = m.annotations ?? {};
    const name = a['io.containerd.image.name'] ?? (a['org.opencontainers.image.ref.name']?.match(/[/:]/) ? a['org.opencontainers.image.ref.name'] : undefined);
    await visit(m, name ? [name] : []);
  }
  return out;
}

/** The images of an unpacked archive. */
export async function readArchive(root: string): Promise<ArchiveImage[]> {
  const has = (f: string) => stat(path.join(root, f)).then((s) => s.isFile(), () => false);
  if (await has('manifest.json')) return dockerSave(root);
  if ((await has('index.json')) && (await has('oci-layout'))) return ociLayout(root);
  return bad('it holds neither manifest.json (docker save) nor index.json with oci-layout (OCI image layout)');
}
