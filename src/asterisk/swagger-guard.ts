import { dirname } from 'path';
import { gunzipSync } from 'zlib';
import { unreadableAnswerBody } from './ari-rest';
import { describeError } from './logging';

/**
 * Guards around ari-client's HTTP stack (swagger-client 2.0 over shred), installed once when the
 * adapter is loaded. Without them a single odd answer from Asterisk, or from a proxy before it,
 * throws inside an HTTP callback where nothing can catch it, and the daemon dies.
 */

// swagger-client 2.0 (ari-client's loader) reports a failed description download to its caller and
// then throws the message from inside the HTTP callback, where nothing can catch it: one 401 or
// 500 from Asterisk would end the daemon. The report through the promise is all we need. The
// module is resolved from ari-client's own place so the copy patched is the copy it uses.
type SwaggerApiPrototype = { fail(message: unknown): void; failure(message: unknown): void };
const swaggerPath = require.resolve('swagger-client', { paths: [dirname(require.resolve('ari-client'))] });
const swaggerClient = require(swaggerPath) as { SwaggerApi: { prototype: SwaggerApiPrototype }; ShredHttpClient: { prototype: ShredHttpClient } };
swaggerClient.SwaggerApi.prototype.fail = function fail(this: SwaggerApiPrototype, message: unknown): void {
  this.failure(message);
};

// The same HTTP callbacks parse every answer: swagger-client a description (a body that is not
// JSON, `null`, or lacks `apis`/`path`/`produces` throws) and ari-client an operation's result
// (JSON.parse of a 200 body). Thrown there, it ends the process. Every request of both goes through
// ShredHttpClient.execute, so it is replaced by a copy whose handlers cannot throw: what one throws
// becomes the request's error callback, which swagger-client reports as a failed description and
// ari-client as a rejected operation (an AriRequestError, see unreadableAnswerBody).
type HttpAnswer = { status?: number; statusText?: string; headers: unknown; url?: unknown; method?: unknown; data?: unknown; obj?: unknown };
type HttpHandler = (answer: HttpAnswer) => unknown;
type ShredResponse = { status?: number; _headers?: unknown; request?: { url?: unknown; method?: unknown }; content?: { data?: unknown; _body?: unknown } };
interface ShredHttpClient {
  isInitialized: boolean;
  initShred(): void;
  shred: { request(obj: unknown): unknown };
  execute(obj: { on: Record<string, HttpHandler | undefined> }): unknown;
}
swaggerClient.ShredHttpClient.prototype.execute = function execute(this: ShredHttpClient, obj): unknown {
  if (!this.isInitialized) this.initShred();
  const handlers = obj.on;
  const deliver = (kind: 'error' | 'redirect' | 'response') => (raw: ShredResponse): unknown => {
    const answer = readAnswer(raw);
    try {
      // The description loader has no redirect handler (the original threw); shred follows redirects itself.
      return handlers[kind]?.(answer);
    } catch (err) {
      if (kind !== 'error') refuseAnswer(handlers, answer, err);
      return undefined;
    }
  };
  obj.on = { error: deliver('error'), redirect: deliver('redirect'), 307: deliver('redirect'), response: deliver('response') };
  return this.shred.request(obj);
};

// shred gunzips a body labelled gzip itself and, when it is not gzip, throws in zlib's callback,
// out of reach. It is not shown the label; readAnswer decodes such a body instead.
const shredResponse = require(require.resolve('shred/lib/shred/response', { paths: [dirname(swaggerPath)] })) as { prototype: { getHeader(name: string): unknown } };
const getHeader = shredResponse.prototype.getHeader as (this: unknown, name: string) => unknown;
shredResponse.prototype.getHeader = function (this: unknown, name: string): unknown {
  return /^content-encoding$/i.test(name) ? undefined : getHeader.call(this, name);
};

/** Largest gzip-decoded body accepted (Asterisk's answers are kilobytes; this stops a zip bomb). */
const MAX_DECODED_BYTES = 16 * 1024 * 1024;

/**
 * swagger-client's view of a response, built so that no body can make it throw. (Its own version
 * also parsed JSON into `obj`, but looked the content type up where shred does not keep it, so it
 * never did; the handlers parse `data` themselves.)
 */
function readAnswer(raw: ShredResponse): HttpAnswer {
  let data: unknown;
  try {
    data = raw.content?.data;
  } catch {
    data = raw.content?._body;
  }
  if (/gzip/i.test(String(getHeader.call(raw, 'Content-Encoding') ?? '')) && Buffer.isBuffer(data)) {
    try {
      data = gunzipSync(data, { maxOutputLength: MAX_DECODED_BYTES });
    } catch {
      // left as it came: a handler that parses it throws, and the answer is refused below
    }
  }
  return { headers: raw._headers, url: raw.request?.url, method: raw.request?.method, status: raw.status, data };
}

function refuseAnswer(handlers: Record<string, HttpHandler | undefined>, answer: HttpAnswer, err: unknown): void {
  const cause = describeError(err);
  try {
    handlers.error?.({ ...answer, obj: undefined, statusText: `the answer could not be read (${cause.slice(0, 300)})`, data: unreadableAnswerBody(answer.status, cause) });
  } catch {
    // Nothing more can be told to this request; the adapter's deadline ends it.
  }
}
