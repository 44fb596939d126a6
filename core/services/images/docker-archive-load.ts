/**
 * The docker-save format: `manifest.json` lists each image's config and layer files (Docker ≤ 24:
 * `<id>.json` and `<dir>/layer.tar`; Docker 25+: paths into `blobs/sha256/`), with `RepoTags`.
 */
import {
  insideRoot, invalidArchive, parseArchiveJson, parseRepoTag, readArchiveFile,
  type ArchiveImage,
} from './archive-files.js';
import { MAX_CONFIG_BYTES } from './image-config.js';

interface ManifestItem {
  Config?: unknown;
  RepoTags?: unknown;
  Layers?: unknown;
}

/** The images `manifest.json` of the unpacked archive at `root` describes. */
export async function readDockerArchive(root: string): Promise<ArchiveImage[]> {
  const manifest = parseArchiveJson<unknown>(await readArchiveFile(await insideRoot(root, 'manifest.json'), 'manifest.json'), 'manifest.json');
  if (manifest === null) invalidArchive('manifest.json is null (an empty archive lists [])');
  if (!Array.isArray(manifest)) invalidArchive('manifest.json is not a list');
  const out: ArchiveImage[] = [];
  for (const [i, item] of (manifest as ManifestItem[]).entries()) {
    if (!item || typeof item !== 'object') invalidArchive(`manifest.json entry ${i + 1} is not an object`);
    if (typeof item.Config !== 'string') invalidArchive(`manifest.json entry ${i + 1} has no Config`);
    if (!Array.isArray(item.Layers) || !item.Layers.every((l) => typeof l === 'string')) invalidArchive(`manifest.json entry ${i + 1} has no list of Layers`);
    if (item.RepoTags !== undefined && item.RepoTags !== null && !Array.isArray(item.RepoTags)) invalidArchive(`manifest.json entry ${i + 1} has RepoTags that are not a list`);
    const configFile = await insideRoot(root, item.Config);
    const layers = [];
    for (const name of item.Layers as string[]) layers.push({ file: await insideRoot(root, name), name });
    out.push({
      configBytes: await readArchiveFile(configFile, item.Config, MAX_CONFIG_BYTES),
      configName: item.Config,
      layers,
      tags: ((item.RepoTags as unknown[] | null | undefined) ?? []).map(parseRepoTag),
    });
  }
  return out;
}
