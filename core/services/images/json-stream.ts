/**
 * Docker's JSON-message streams: an error before the first message is answered with its HTTP
 * status; an error after headers went out travels in-band as `{"errorDetail":{…},"error":…}`,
 * which the docker CLI prints before exiting 1.
 */
import { toEngineError, type ApiReply } from '@keel/sdk';

async function* rest<T>(first: IteratorResult<T>, it: AsyncIterator<T>): AsyncGenerator<unknown> {
  try {
    if (!first.done) yield first.value;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  } catch (err) {
    const message = toEngineError(err).message;
    yield { errorDetail: { message }, error: message };
  }
}

/** Streams `messages`; throws (for a proper status) only if the first message fails. */
export async function sendJsonMessages(reply: ApiReply, messages: AsyncIterable<unknown>): Promise<void> {
  const it = messages[Symbol.asyncIterator]();
  const first = await it.next();
  await reply.ndjson(rest(first, it));
}
