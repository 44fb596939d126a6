/**
 * Device nodes and fifos without a native addon: Node has no mknod(2), so keel runs coreutils'
 * `mknod` (devices in layers are rare). Overlayfs whiteouts can be numerous (a layer deleting a
 * package), so they are made with one `mknod` per extraction and a hardlink per whiteout: a
 * char 0/0 device is a whiteout whatever its link count (overlayfs itself links whiteouts to one
 * shared inode since Linux 5.8).
 * @packageDocumentation
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { link, rm } from 'node:fs/promises';
import path from 'node:path';

/** Kinds of special files {@link mknod} creates. */
export type NodeKind = 'char' | 'block' | 'fifo';

/** Creates a device node or fifo at `target` (which must not exist) with exactly `mode`. */
export function mknod(target: string, kind: NodeKind, mode: number, major = 0, minor = 0): Promise<void> {
  const args = ['-m', (mode & 0o7777).toString(8), '--', target, kind === 'char' ? 'c' : kind === 'block' ? 'b' : 'p'];
  if (kind !== 'fifo') args.push(String(major), String(minor));
  return new Promise((resolve, reject) => {
    execFile('mknod', args, (err, _stdout, stderr) => {
      if (!err) return resolve();
      // No errno code on purpose: this is not "the entry's path is wrong" but a tool failure.
      const spawnFailed = typeof (err as NodeJS.ErrnoException).code === 'string';
      reject(new Error(spawnFailed ? `mknod is not available (${err.message})` : `mknod failed: ${String(stderr).trim() || err.message}`));
    });
  });
}

/** Makes overlayfs whiteouts (char 0/0) by hardlinking a template made once in `root`. */
export class WhiteoutMaker {
  private template?: string;
  private readonly made: string[] = [];

  /**
   * @param root - directory on the same file system as the whiteouts; the template gets a
   *   `.wh..wh.` name, which no layer entry can address (such names are skipped as aufs metadata)
   */
  constructor(private readonly root: string) {}

  /** Creates a whiteout at `target` (which must not exist). */
  async make(target: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      this.template ??= await this.newTemplate();
      try {
        await link(this.template, target);
        return;
      } catch (err) {
        // EMLINK: the template has as many links as the file system allows; start a new one.
        const code = (err as NodeJS.ErrnoException).code;
        if (attempt > 0 || (code !== 'EMLINK' && code !== 'ENOENT')) throw err;
        this.template = undefined;
      }
    }
  }

  private async newTemplate(): Promise<string> {
    const p = path.join(this.root, `.wh..wh..keel-whiteout.${randomBytes(8).toString('hex')}`);
    await mknod(p, 'char', 0, 0, 0);
    this.made.push(p);
    return p;
  }

  /** Removes the templates (the whiteouts stay). */
  async cleanup(): Promise<void> {
    for (const p of this.made.splice(0)) await rm(p, { force: true });
    this.template = undefined;
  }
}
