/**
 * Docker's JSON-message streams (`Content-Type: application/json`, one object per line): an
 * error before the first message is answered with its HTTP status; an error after the headers
 * went out travels in-band as `{"errorDetail":{"message":…},"error":…}`, which the docker CLI
 * prints before exiting 1.
 */
import { toEngineError, type ApiReply } from '@keel/sdk';

async function* rest<T>(first: IteratorResult<T>, it: AsyncIterator<T>): AsyncGenerator<unknown> {
  try {
    if (!first.done) yield first.value;
    else return;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  } catch (err) {
    const message = toEngineError(err).message;
    yield { errorDetail: { message }, error: message };
  } finally {
    await it.return?.();
  }
}

async function* asAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}

/** Streams `messages`; throws (for a proper status) only if producing the first message fails. */
export async function sendJsonMessages(reply: ApiReply, messages: AsyncIterable<unknown> | Iterable<unknown>): Promise<void> {
  const source = Symbol.asyncIterator in messages ? messages : asAsync(messages);
  const it = source[Symbol.asyncIterator]();
  const first = await it.next();
  await reply.ndjson(rest(first, it), 'application/json');
}
