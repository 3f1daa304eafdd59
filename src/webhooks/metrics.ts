import { Counter, type Registry } from 'prom-client';
import type { AttemptListener, AttemptResult } from './delivery';

/** What the counter listens to: a WebhookDeliverer. */
export interface WebhookAttempts {
  readonly webhookNames: readonly string[];
  onAttempt(listener: AttemptListener): () => void;
}

const RESULTS: readonly AttemptResult[] = ['delivered', 'retry', 'dead'];

/**
 * callbackd_webhook_deliveries_total{webhook, result}: the attempts this daemon recorded, by what
 * followed them (delivered, retry, dead). Every configured webhook's series start at zero.
 * Returns a function that stops counting.
 */
export function countWebhookDeliveries(registry: Registry, webhooks: WebhookAttempts): () => void {
  const counter = new Counter({
    name: 'callbackd_webhook_deliveries_total',
    help: 'Webhook delivery attempts this daemon recorded, by webhook and by what followed: delivered (a 2xx answer), retry (failed, tried again later), dead (failed for the last time).',
    labelNames: ['webhook', 'result'],
    registers: [registry],
  });
  for (const webhook of webhooks.webhookNames) for (const result of RESULTS) counter.inc({ webhook, result }, 0);
  return webhooks.onAttempt((report) => {
    if (report.recorded) counter.inc({ webhook: report.delivery.webhook, result: report.result });
  });
}
