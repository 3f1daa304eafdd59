import type { FastifyInstance, FastifyReply } from 'fastify';
import { MECHANISMS, STATUSES, type Status } from '../domain/types';
import type { CreatedCallback } from '../service/create-callback';
import { callbackJson } from '../service/json';
import type { CallbackService } from '../service/service';
import { requestKeyOf } from './idempotency';
import { callbackRowJson, createdJson, detailJson } from './json';
import {
  CALLBACK_ROW,
  CHANGED,
  CREATED,
  CURSOR,
  DELAY_MINUTES,
  DETAIL,
  DUE_AT,
  FORM,
  ID,
  IDEMPOTENCY_HEADERS,
  LIMIT,
  NOTE,
  NUMBER,
  QUEUE,
  REASON,
  errorAnswers,
  page,
} from './schemas';

/** Who the history says asked, for everything done over the API. */
export const BY = 'api';

const ID_PARAMS = { type: 'object', additionalProperties: false, required: ['id'], properties: { id: ID } } as const;
const REASON_BODY = { type: 'object', additionalProperties: false, properties: { reason: REASON } } as const;

const LIST_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: STATUSES },
    number: { type: 'string', minLength: 1, maxLength: 64, description: 'compared in E.164' },
    queue: { type: 'string', minLength: 1, maxLength: 200 },
    mechanism: { type: 'string', enum: MECHANISMS },
    limit: LIMIT,
    cursor: CURSOR,
  },
} as const;

const CREATE_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['number', 'queue'],
  properties: {
    number: NUMBER,
    queue: QUEUE,
    dueAt: DUE_AT,
    delayMinutes: DELAY_MINUTES,
    note: NOTE,
    relatedCallId: { type: ['string', 'null'], maxLength: 200, description: 'the call it follows up (its originCallId)' },
    createLostCallEvent: { type: 'boolean', description: 'record a LostCall event with the Shifted reference, so the Neglected exclusion applies' },
    form: FORM,
  },
} as const;

const RESCHEDULE_BODY = {
  type: 'object',
  additionalProperties: false,
  properties: { dueAt: DUE_AT, delayMinutes: DELAY_MINUTES, reason: REASON },
  description: 'dueAt or delayMinutes, one of them',
} as const;

const STATS = {
  type: 'object',
  additionalProperties: false,
  required: ['byStatus', 'total', 'lastEventId'],
  properties: {
    byStatus: { type: 'object', additionalProperties: false, required: STATUSES, properties: Object.fromEntries(STATUSES.map((s) => [s, { type: 'integer' }])) },
    total: { type: 'integer' },
    lastEventId: { type: 'integer', description: 'the newest event; a stream started now begins after it' },
  },
} as const;

/** A creation answers 201, or 200 when it was merged into a pending callback; a repeat answers what the first did. */
export function sendCreated(reply: FastifyReply, created: CreatedCallback): FastifyReply {
  if (created.repeated) reply.header('Idempotent-Replayed', 'true');
  return reply.code(created.merged ? 200 : 201).send(createdJson(created));
}

interface IdParams {
  id: string;
}

export function registerCallbackRoutes(app: FastifyInstance, service: CallbackService): void {
  app.get<{ Querystring: Record<string, string | number | undefined> }>(
    '/api/v1/callbacks',
    { schema: { summary: 'The grid of callbacks, newest first', querystring: LIST_QUERY, response: { 200: page(CALLBACK_ROW), ...errorAnswers() } } },
    async (request) => {
      const result = await service.callbackGrid(request.query);
      return { items: result.items.map(callbackRowJson), nextCursor: result.nextCursor };
    },
  );

  app.get<{ Params: IdParams }>(
    '/api/v1/callbacks/:id',
    { schema: { summary: 'One callback with its attempts, events and form', params: ID_PARAMS, response: { 200: DETAIL, ...errorAnswers('not_found') } } },
    async (request) => detailJson(await service.show(request.params.id)),
  );

  app.post<{ Body: { number: string; queue: string } }>(
    '/api/v1/callbacks',
    {
      schema: {
        summary: 'A manual callback (merged into the pending one for the same number and queue, if any)',
        headers: IDEMPOTENCY_HEADERS,
        body: CREATE_BODY,
        response: { 200: CREATED, 201: CREATED, ...errorAnswers('forbidden', 'payload_too_large', 'unsupported_media_type', 'conflict', 'invalid_number') },
      },
    },
    async (request, reply) => sendCreated(reply, await service.create({ ...request.body, by: BY, requestKey: requestKeyOf(request) })),
  );

  const change = (path: string, summary: string, body: object, act: (id: string, body: Record<string, never>) => Promise<unknown>) =>
    app.post<{ Params: IdParams; Body: Record<string, never> }>(
      `/api/v1/callbacks/:id/${path}`,
      { schema: { summary, params: ID_PARAMS, body, response: { 200: CHANGED, ...errorAnswers('forbidden', 'not_found', 'conflict', 'payload_too_large', 'unsupported_media_type') } } },
      async (request) => ({ callback: callbackJson((await act(request.params.id, request.body)) as never) }),
    );
  change('cancel', 'Cancel a Scheduled callback, with a reason', REASON_BODY, (id, body) => service.cancel({ ...body, id, by: BY }));
  change('reschedule', 'Move a Scheduled callback to another time, with a reason', RESCHEDULE_BODY, (id, body) => service.reschedule({ ...body, id, by: BY }));
  change('call-now', 'Make a Scheduled callback due now, whatever its calling window says', REASON_BODY, (id, body) => service.callNow({ ...body, id, by: BY }));

  app.get(
    '/api/v1/stats',
    { schema: { summary: 'How many callbacks stand in each status', response: { 200: STATS, ...errorAnswers() } } },
    async () => {
      const [counts, lastEventId] = await Promise.all([service.countByStatus(), service.lastEventId()]);
      const byStatus = Object.fromEntries(STATUSES.map((s) => [s, counts[s] ?? 0])) as Record<Status, number>;
      return { byStatus, total: STATUSES.reduce((sum, s) => sum + byStatus[s], 0), lastEventId };
    },
  );
}
