/** Webhook deliveries as the store keeps them (src/webhooks, docs/webhooks.md). */

export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'delivered', 'dead'];

/** How a delivery is sent and retried, fixed as it is enqueued (from its webhook's configuration). */
export interface DeliveryPolicy {
  timeoutMs: number;
  maxAttempts: number;
  firstDelaySeconds: number;
  factor: number;
  maxDelaySeconds: number;
}

/** One event for one webhook, as it is enqueued. `body` is the JSON sent, the same text at every attempt. */
export interface NewDelivery {
  id: string;
  webhook: string;
  url: string;
  /** Signs each attempt; null: unsigned. Never shown by a front end. */
  secret: string | null;
  event: string;
  body: string;
  policy: DeliveryPolicy;
  createdAt: number;
  dueAt: number;
}

export interface WebhookDelivery extends Omit<NewDelivery, 'dueAt'> {
  status: DeliveryStatus;
  /** When it is attempted next; null once delivered or dead. */
  dueAt: number | null;
  /** Attempts made in this round (since it was enqueued, or last replayed). */
  attempts: number;
  /** How many times it was replayed: 0 for the first round of attempts. */
  round: number;
  lastStatusCode: number | null;
  lastError: string | null;
  updatedAt: number;
  claimOwner: string | null;
  claimUntil: number | null;
}

export interface DeliveryAttempt {
  deliveryId: string;
  round: number;
  /** 1 for the first attempt of its round. */
  seq: number;
  at: number;
  durationMs: number;
  /** The answer's HTTP status; null when there was none (refused, timed out). */
  statusCode: number | null;
  error: string | null;
}

/** An attempt to record; its round and number are the delivery's next. */
export type NewDeliveryAttempt = Omit<DeliveryAttempt, 'round' | 'seq'>;

export type DeliveryNext = { status: 'pending'; dueAt: number } | { status: 'delivered' } | { status: 'dead' };

export interface DeliveryClaim {
  owner: string;
  now: number;
  leaseMs: number;
  limit: number;
}

export interface DeliveryFilter {
  status?: DeliveryStatus;
  webhook?: string;
  limit: number;
  cursor?: string;
}
