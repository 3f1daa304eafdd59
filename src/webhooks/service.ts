import type { Config, WebhookConfig } from '../config/types';
import { InvalidRequestError, NotFoundError } from '../domain/errors';
import { DELIVERY_STATUSES, type CallbackStore, type DeliveryAttempt, type DeliveryStatus, type Page, type WebhookDelivery } from '../domain/store';
import { maskString } from '../log-secrets';
import { optionalCursor, pageLimit, requiredText } from '../service/input';
import { isoTime } from '../service/json';
import { newDelivery, policyOf, replayDelivery } from './delivery';

/**
 * The webhook use cases of the service layer (CallbackService delegates here): what is
 * configured, the deliveries and their attempts, a replay, a test ping. Everything goes through
 * the store, so any process can do it; the daemon's deliverer, when given, is woken to send at once.
 */

/** Whom to wake after a write: the daemon's deliverer (WebhookDeliverer.poke). */
export interface DeliveryWaker {
  poke(): void;
}

/** A configured webhook as front ends show it: its secret never, only whether there is one. */
export interface WebhookView {
  name: string;
  /** Credentials and token-like query parameters masked. */
  url: string;
  signed: boolean;
  /** The environment variable the secret was read from, or null. */
  secretEnv: string | null;
  timeoutMs: number;
  maxAttempts: number;
  retry: WebhookConfig['retry'];
}

export function webhookViews(config: Pick<Config, 'webhooks'>): WebhookView[] {
  return config.webhooks.map((w) => ({
    name: w.name,
    url: maskString(w.url),
    signed: w.secret !== '',
    secretEnv: w.secretEnv === '' ? null : w.secretEnv,
    timeoutMs: w.timeoutMs,
    maxAttempts: w.maxAttempts,
    retry: { ...w.retry },
  }));
}

/** GET /api/v1/webhooks/deliveries: values as a query string gives them. */
export interface DeliveryListQuery {
  status?: string;
  webhook?: string;
  /** 1 to 1000, default 50. */
  limit?: number | string;
  cursor?: string;
}

const DEFAULT_LIMIT = 50;

function optionalDeliveryStatus(value: unknown): DeliveryStatus | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const text = typeof value === 'string' ? value.trim().toLowerCase() : '';
  const found = DELIVERY_STATUSES.find((s) => s === text);
  if (!found) throw new InvalidRequestError(`status ${JSON.stringify(value)} is not one of ${DELIVERY_STATUSES.join(', ')}`);
  return found;
}

/** Newest first; `nextCursor` continues after the last row. */
export function listDeliveries(store: Pick<CallbackStore, 'listDeliveries'>, query: DeliveryListQuery = {}): Promise<Page<WebhookDelivery>> {
  const webhook = query.webhook === undefined || query.webhook === '' ? undefined : requiredText(query.webhook, 'webhook', 63);
  return store.listDeliveries({ status: optionalDeliveryStatus(query.status), webhook, limit: pageLimit(query.limit, DEFAULT_LIMIT), cursor: optionalCursor(query.cursor) });
}

export interface DeliveryDetail {
  delivery: WebhookDelivery;
  /** Every attempt, all rounds, oldest first. */
  attempts: DeliveryAttempt[];
}

export async function showDelivery(store: Pick<CallbackStore, 'getDelivery' | 'deliveryAttempts'>, id: string): Promise<DeliveryDetail> {
  const delivery = await store.getDelivery(requiredText(id, 'id'));
  if (!delivery) throw new NotFoundError(`webhook delivery ${id}`, 'see GET /api/v1/webhooks/deliveries');
  return { delivery, attempts: await store.deliveryAttempts(delivery.id) };
}

export async function replay(store: Pick<CallbackStore, 'replayDelivery' | 'getDelivery'>, waker: DeliveryWaker | null, id: string, now: number): Promise<WebhookDelivery> {
  const delivery = await replayDelivery(store, requiredText(id, 'id'), now);
  waker?.poke();
  return delivery;
}

/** A `ping` event to a configured webhook, sent like any other (retried, signed): to check a receiver end to end. */
export async function pingWebhook(
  config: Pick<Config, 'webhooks'>,
  store: Pick<CallbackStore, 'addDelivery'>,
  waker: DeliveryWaker | null,
  name: string,
  now: number,
): Promise<WebhookDelivery> {
  const webhook = config.webhooks.find((w) => w.name === name);
  if (!webhook) throw new NotFoundError(`webhook "${name}"`, 'no webhook of that name is configured (webhooks[].name; see GET /api/v1/webhooks)');
  const input = { webhook: webhook.name, url: webhook.url, secret: webhook.secret, event: 'ping', payload: { event: 'ping', webhook: webhook.name, at: isoTime(now) } };
  const delivery = await store.addDelivery(newDelivery(input, policyOf(webhook), now));
  waker?.poke();
  return delivery;
}
