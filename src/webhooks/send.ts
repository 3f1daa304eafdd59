import type { WebhookDelivery } from '../domain/store';
import { SIGNATURE_HEADER, signBody } from './signature';

/** The fetch the deliverer uses (Node's global one; injectable). */
export type Fetch = typeof fetch;

/** How one attempt went: ok on a 2xx answer; otherwise the status (if any answer came) and why it failed. */
export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
}

/** The headers of one attempt, signed at `nowMs` when the delivery has a secret. */
export function deliveryHeaders(delivery: Pick<WebhookDelivery, 'id' | 'event' | 'body' | 'secret'>, nowMs: number): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': 'callbackd',
    'Callbackd-Event': delivery.event,
    'Callbackd-Delivery': delivery.id,
  };
  if (delivery.secret) headers[SIGNATURE_HEADER] = signBody(delivery.secret, Math.floor(nowMs / 1000), delivery.body);
  return headers;
}

/** Why a request got no answer, in a line: a timeout, a refused connection, a name that does not resolve. */
function failure(err: unknown, timeoutMs: number): string {
  const error = err as Error & { cause?: { code?: string; message?: string } };
  if (error?.name === 'TimeoutError' || error?.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = error?.cause;
  if (cause?.message) return `no answer: ${cause.message}`;
  return `no answer: ${error?.message ?? String(err)}`;
}

/**
 * POST the delivery's body once. Redirects are not followed (the signed request would go to
 * another address): a 3xx counts as a failure like any answer but 2xx. The answer's body is not
 * read, only let go of, so a large one costs nothing.
 */
export async function sendDelivery(delivery: WebhookDelivery, nowMs: number, fetchImpl: Fetch = fetch): Promise<SendResult> {
  const timeoutMs = delivery.policy.timeoutMs;
  let response: Response;
  try {
    response = await fetchImpl(delivery.url, {
      method: 'POST',
      headers: deliveryHeaders(delivery, nowMs),
      body: delivery.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    return { ok: false, statusCode: null, error: failure(err, timeoutMs) };
  }
  await response.body?.cancel().catch(() => undefined);
  const status = response.status;
  if (status >= 200 && status < 300) return { ok: true, statusCode: status, error: null };
  const words = response.statusText ? ` ${response.statusText}` : '';
  const redirect = status >= 300 && status < 400 ? ' (redirects are not followed: give the final URL)' : '';
  return { ok: false, statusCode: status, error: `HTTP ${status}${words}${redirect}` };
}
