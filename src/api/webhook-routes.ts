import type { FastifyInstance } from 'fastify';
import { DELIVERY_STATUSES, type DeliveryAttempt, type WebhookDelivery } from '../domain/store';
import { maskString } from '../log-secrets';
import { isoTime } from '../service/json';
import type { CallbackService } from '../service/service';
import type { DeliveryDetail } from '../webhooks/service';
import { CURSOR, ID, LIMIT, errorAnswers, page } from './schemas';

/** Every key, required, as the other shapes of the API. */
function shape<P extends Record<string, unknown>>(properties: P, description?: string) {
  return { type: 'object', additionalProperties: false, required: Object.keys(properties), properties, ...(description ? { description } : {}) } as const;
}

const time = { type: 'string', format: 'date-time' } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;
const NAME = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$', description: 'a webhook name (webhooks[].name)' } as const;

const RETRY = shape({ firstDelaySeconds: { type: 'integer' }, factor: { type: 'integer' }, maxDelaySeconds: { type: 'integer' } });

export const WEBHOOK = shape({
  name: { type: 'string' },
  url: { type: 'string', description: 'credentials and token-like parameters masked' },
  signed: { type: 'boolean', description: 'requests carry Callbackd-Signature (the secret itself is never shown)' },
  secretEnv: { type: ['string', 'null'], description: 'the environment variable the secret was read from' },
  timeoutMs: { type: 'integer' },
  maxAttempts: { type: 'integer' },
  retry: RETRY,
});

export const DELIVERY = shape({
  id: { type: 'string', description: 'sent as Callbackd-Delivery: receivers de-duplicate on it' },
  webhook: { type: 'string' },
  url: { type: 'string', description: 'credentials and token-like parameters masked' },
  event: { type: 'string' },
  status: { type: 'string', enum: DELIVERY_STATUSES, description: 'pending (to be attempted), delivered (answered 2xx), dead (every attempt failed)' },
  dueAt: { ...nullableTime, description: 'when it is attempted next; null once delivered or dead' },
  attempts: { type: 'integer', description: 'attempts made in this round' },
  maxAttempts: { type: 'integer' },
  round: { type: 'integer', description: 'how many times it was replayed' },
  lastStatusCode: { type: ['integer', 'null'] },
  lastError: { type: ['string', 'null'] },
  createdAt: time,
  updatedAt: time,
});

export const DELIVERY_ATTEMPT = shape({
  round: { type: 'integer' },
  seq: { type: 'integer', description: '1 for the first attempt of its round' },
  at: time,
  durationMs: { type: 'integer' },
  statusCode: { type: ['integer', 'null'], description: 'null when no answer came' },
  error: { type: ['string', 'null'] },
});

const DELIVERY_DETAIL = shape({
  delivery: DELIVERY,
  payload: { description: 'the JSON body, as it is sent at every attempt' },
  attempts: { type: 'array', items: DELIVERY_ATTEMPT, description: 'every attempt of every round, oldest first' },
});

const ONE_DELIVERY = shape({ delivery: DELIVERY });

const LIST_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: { status: { type: 'string', enum: DELIVERY_STATUSES }, webhook: NAME, limit: LIMIT, cursor: CURSOR },
} as const;

const ID_PARAMS = { type: 'object', additionalProperties: false, required: ['id'], properties: { id: ID } } as const;
const NAME_PARAMS = { type: 'object', additionalProperties: false, required: ['name'], properties: { name: NAME } } as const;
const NO_BODY = { type: 'object', additionalProperties: false, properties: {}, description: 'none (or {})' } as const;

export function deliveryJson(d: WebhookDelivery): Record<string, unknown> {
  return {
    id: d.id,
    webhook: d.webhook,
    url: maskString(d.url),
    event: d.event,
    status: d.status,
    dueAt: isoTime(d.dueAt),
    attempts: d.attempts,
    maxAttempts: d.policy.maxAttempts,
    round: d.round,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    createdAt: isoTime(d.createdAt),
    updatedAt: isoTime(d.updatedAt),
  };
}

export function deliveryAttemptJson(a: DeliveryAttempt): Record<string, unknown> {
  return { round: a.round, seq: a.seq, at: isoTime(a.at), durationMs: a.durationMs, statusCode: a.statusCode, error: a.error };
}

function detailJson(detail: DeliveryDetail): Record<string, unknown> {
  let payload: unknown;
  try {
    payload = JSON.parse(detail.delivery.body);
  } catch {
    payload = detail.delivery.body;
  }
  return { delivery: deliveryJson(detail.delivery), payload, attempts: detail.attempts.map(deliveryAttemptJson) };
}

/** Webhooks and their deliveries: reading takes any token, a replay or a test ping the operator's. */
export function registerWebhookRoutes(app: FastifyInstance, service: CallbackService): void {
  app.get(
    '/api/v1/webhooks',
    { schema: { summary: 'The webhooks configured (never their secrets)', response: { 200: shape({ items: { type: 'array', items: WEBHOOK } }), ...errorAnswers() } } },
    async () => ({ items: service.webhooks() }),
  );

  app.get<{ Querystring: Record<string, string | number | undefined> }>(
    '/api/v1/webhooks/deliveries',
    { schema: { summary: 'Webhook deliveries, newest first; status=dead is the dead-letter list', querystring: LIST_QUERY, response: { 200: page(DELIVERY), ...errorAnswers() } } },
    async (request) => {
      const result = await service.webhookDeliveries(request.query);
      return { items: result.items.map(deliveryJson), nextCursor: result.nextCursor };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/webhooks/deliveries/:id',
    { schema: { summary: 'One webhook delivery, its payload and every attempt', params: ID_PARAMS, response: { 200: DELIVERY_DETAIL, ...errorAnswers('not_found') } } },
    async (request) => detailJson(await service.webhookDelivery(request.params.id)),
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/webhooks/deliveries/:id/replay',
    {
      schema: {
        summary: 'Send a delivered or dead delivery again: pending now, its attempts counted from zero (the earlier ones are kept)',
        params: ID_PARAMS,
        body: NO_BODY,
        response: { 200: ONE_DELIVERY, ...errorAnswers('forbidden', 'not_found', 'conflict', 'payload_too_large', 'unsupported_media_type') },
      },
    },
    async (request) => ({ delivery: deliveryJson(await service.replayWebhookDelivery(request.params.id)) }),
  );

  app.post<{ Params: { name: string } }>(
    '/api/v1/webhooks/:name/test',
    {
      schema: {
        summary: 'Enqueue a ping event to a webhook (sent, signed and retried as any other)',
        params: NAME_PARAMS,
        body: NO_BODY,
        response: { 202: ONE_DELIVERY, ...errorAnswers('forbidden', 'not_found', 'payload_too_large', 'unsupported_media_type') },
      },
    },
    async (request, reply) => reply.code(202).send({ delivery: deliveryJson(await service.pingWebhook(request.params.name)) }),
  );
}
