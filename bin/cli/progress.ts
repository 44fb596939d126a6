/**
 * Renders Docker's JSON progress messages: one line per layer id, redrawn in place on a terminal
 * (like docker load), one line per status change otherwise. `errorDetail` becomes an error.
 */

type Message = { id?: string; status?: string; progress?: string; progressDetail?: { current?: number; total?: number }; stream?: string; error?: string; errorDetail?: { message?: string } };

/** Progress output. */
export class ProgressRenderer {
  private readonly ids: string[] = [];
  private readonly lines = new Map<string, string>();

  constructor(private readonly write: (s: string) => void, private readonly tty: boolean) {}

  /** Renders one message; throws on an in-band error. */
  render(m: Message): void {
    if (m.errorDetail || m.error) throw new Error(m.errorDetail?.message ?? m.error);
    if (m.stream) return this.write(m.stream);
    if (!m.id) return m.status ? this.write(`${m.status}\n`) : undefined;
    const text = `${m.id}: ${m.status ?? ''}${m.progress ? ` ${m.progress}` : ''}`;
    if (!this.tty) {
      // Without a terminal, only finished steps are worth a line.
      const d = m.progressDetail;
      if (!d || d.current === d.total) this.write(`${text}\n`);
      return;
    }
    if (!this.lines.has(m.id)) {
      this.ids.push(m.id);
      this.lines.set(m.id, text);
      return this.write(`${text}\n`);
    }
    const up = this.ids.length - this.ids.indexOf(m.id);
    this.lines.set(m.id, text);
    // Move up to the layer's line, rewrite it, come back down.
    this.write(`\x1b[${up}A\r\x1b[2K${text}\x1b[${up}B\r`);
  }
}
