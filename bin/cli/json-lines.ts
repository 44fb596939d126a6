/**
 * Newline-delimited JSON streams (`/events`, `/images/load` progress). Lines are yielded raw as well
 * as parsed, because `timeNano` exceeds 2^53 and only the raw text keeps its last digits.
 */

/** One line of the stream. */
export interface JsonLine<T> {
  readonly raw: string;
  readonly value: T;
}

/** The lines of a stream, parsed; a half line at the end is parsed too. */
export async function* jsonLines<T = Record<string, unknown>>(res: NodeJS.ReadableStream): AsyncGenerator<JsonLine<T>> {
  let buf = '';
  // A chunk may end inside a multi-byte character: decode in streaming mode.
  const decoder = new TextDecoder();
  const parse = (raw: string) => ({ raw, value: JSON.parse(raw) as T });
  for await (const c of res) {
    buf += typeof c === 'string' ? c : decoder.decode(c as Uint8Array, { stream: true });
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield parse(line);
    }
  }
  if (buf.trim()) yield parse(buf.trim());
}
