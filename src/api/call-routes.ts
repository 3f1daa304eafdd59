import type { FastifyInstance } from 'fastify';
import { InvalidRequestError } from '../domain/errors';
import { CALL_RESULTS } from '../service/input';
import type { CallbackService } from '../service/service';
import { BY, sendCreated } from './callback-routes';
import { requestKeyOf } from './idempotency';
import { callRowJson, historyJson } from './json';
import {
  ATTEMPT,
  CALL,
  CALLBACK,
  CREATED,
  CURSOR,
  DELAY_MINUTES,
  DETAIL,
  DUE_AT,
  EVENT,
  FORM,
  ID,
  IDEMPOTENCY_HEADERS,
  LIMIT,
  NOTE,
  NUMBER,
  QUEUE,
  errorAnswers,
  page,
} from './schemas';

const CALL_PARAMS = { type: 'object', additionalProperties: false, required: ['callId'], properties: { callId: ID } } as const;

const CALLS_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: { result: { type: 'string', enum: CALL_RESULTS, description: 'abandoned: the lost calls' }, queue: { type: 'string', minLength: 1, maxLength: 200 }, limit: LIMIT, cursor: CURSOR },
} as const;

const CALL_ROW = {
  type: 'object',
  additionalProperties: false,
  required: ['call', 'waitedSeconds', 'callbacks', 'whyNot'],
  properties: {
    call: CALL,
    waitedSeconds: { type: 'integer', description: 'how long it waited in the queue' },
    callbacks: { type: 'array', items: CALLBACK, description: 'the callbacks it became, oldest first' },
    whyNot: { type: ['string', 'null'], description: 'why an abandoned call did not become a callback; null when it did' },
  },
} as const;

const HISTORY = {
  type: 'object',
  additionalProperties: false,
  required: ['callId', 'call', 'attempt', 'callbacks', 'events'],
  properties: {
    callId: { type: ['string', 'null'], description: 'the original call (the one asked for, or the one an outbound call id leads back to)' },
    call: { anyOf: [CALL, { type: 'null' }] },
    attempt: { anyOf: [ATTEMPT, { type: 'null' }], description: 'when an outbound call id was asked for: its attempt' },
    callbacks: { type: 'array', items: DETAIL },
    events: { type: 'array', items: EVENT, description: 'the call and its callbacks, in the order they were written' },
  },
} as const;

/**
 * One route for both buttons that make a callback out of a call. The call bar (a conversation
 * under way) makes a follow-up linked to the call; the grid's row button (`fromLostCall: true`)
 * makes one for an abandoned call in its own queue with its form, and may record the LostCall
 * event so the Neglected exclusion applies. Only the grid's kind may carry that event: a
 * follow-up promised to a customer who was served must not be dropped when they call again.
 */
const FROM_CALL_BODY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    fromLostCall: { type: 'boolean', description: 'the grid of lost calls: a callback for this abandoned call, in its queue, with its form' },
    number: { ...NUMBER, description: "another number than the caller's" },
    queue: { ...QUEUE, description: 'call bar only: by default the queue the call came through' },
    dueAt: DUE_AT,
    delayMinutes: DELAY_MINUTES,
    note: NOTE,
    form: { ...FORM, description: "call bar only: added to the call's form" },
    createLostCallEvent: { type: 'boolean', description: 'with fromLostCall only: record the LostCall event with the Shifted reference' },
  },
} as const;

interface FromCallBody {
  fromLostCall?: boolean;
  number?: string;
  queue?: string;
  dueAt?: string;
  delayMinutes?: number;
  note?: string | null;
  form?: Record<string, string>;
  createLostCallEvent?: boolean;
}

export function registerCallRoutes(app: FastifyInstance, service: CallbackService): void {
  app.get<{ Querystring: Record<string, string | number | undefined> }>(
    '/api/v1/calls',
    { schema: { summary: 'The grid of calls, newest first: how long each waited, the callbacks it became, or why not', querystring: CALLS_QUERY, response: { 200: page(CALL_ROW), ...errorAnswers() } } },
    async (request) => {
      const result = await service.listCalls(request.query);
      return { items: result.items.map(callRowJson), nextCursor: result.nextCursor };
    },
  );

  app.get<{ Params: { callId: string } }>(
    '/api/v1/calls/:callId/history',
    { schema: { summary: 'The relation of calls: a call (or an outbound call id), every callback it led to, their attempts and events', params: CALL_PARAMS, response: { 200: HISTORY, ...errorAnswers('not_found') } } },
    async (request) => historyJson(await service.history(request.params.callId)),
  );

  app.post<{ Params: { callId: string }; Body: FromCallBody }>(
    '/api/v1/calls/:callId/callbacks',
    {
      schema: {
        summary: 'A callback from a call: a follow-up from the call bar, or (fromLostCall) the grid button of a lost call',
        params: CALL_PARAMS,
        headers: IDEMPOTENCY_HEADERS,
        body: FROM_CALL_BODY,
        response: { 200: CREATED, 201: CREATED, ...errorAnswers('forbidden', 'not_found', 'conflict', 'payload_too_large', 'unsupported_media_type', 'invalid_number') },
      },
    },
    async (request, reply) => {
      const { fromLostCall, queue, form, createLostCallEvent, ...rest } = request.body;
      const common = { ...rest, callId: request.params.callId, by: BY, requestKey: requestKeyOf(request) };
      if (fromLostCall) {
        if (queue !== undefined || form !== undefined) throw new InvalidRequestError('body.queue and body.form come from the lost call itself: leave them out with fromLostCall');
        return sendCreated(reply, await service.callbackForLostCall({ ...common, createLostCallEvent }));
      }
      if (createLostCallEvent === true) throw new InvalidRequestError('body.createLostCallEvent applies to a lost call only (fromLostCall: true); a follow-up from the call bar is never dropped by the Neglected exclusion');
      return sendCreated(reply, await service.followUp({ ...common, queue, form }));
    },
  );
}
