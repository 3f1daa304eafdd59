import { LOST_REASONS, MECHANISMS, OUTCOMES, STATUSES } from '../domain/types';
import { CALL_RESULTS, MAX_DELAY_MINUTES, MAX_LIMIT } from '../service/input';
import { HTTP_STATUS, type AnswerCode } from '../service/errors';

/**
 * The JSON schemas of the API: requests are validated with them (validation.ts) and the OpenAPI
 * document is generated from them (openapi.ts), so the two cannot drift. Answers are serialised
 * through them too, which drops any field a schema does not name: a field added to a shape in
 * src/service/json.ts must be added here as well, or it never leaves the daemon.
 */

const text = (maxLength: number, description?: string) => ({ type: 'string', minLength: 1, maxLength, ...(description ? { description } : {}) }) as const;
const orNull = <T extends { type: string }>(schema: T) => ({ ...schema, type: [schema.type, 'null'] }) as const;
const time = { type: 'string', format: 'date-time', description: 'ISO 8601 with its offset' } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time', description: 'ISO 8601 with its offset, or null' } as const;

/** What the IVR collected and people added: plain names to short strings. */
export const FORM = {
  type: 'object',
  maxProperties: 50,
  propertyNames: { pattern: '^[A-Za-z0-9_]{1,64}$' },
  additionalProperties: { type: 'string', maxLength: 500 },
  description: 'what the IVR collected (CB_FORM_* without the prefix) and what people added',
} as const;

/** Every key, required: a client can rely on a field being there, null when it has no value. */
function shape<P extends Record<string, unknown>>(properties: P, description?: string) {
  return { type: 'object', additionalProperties: false, required: Object.keys(properties), properties, ...(description ? { description } : {}) } as const;
}

export const CALLBACK = shape({
  id: { type: 'string' },
  status: { type: 'string', enum: STATUSES },
  number: { type: 'string', description: 'E.164' },
  queue: { type: 'string' },
  mechanism: { type: 'string', enum: MECHANISMS },
  transition: { type: 'string' },
  dueAt: { ...nullableTime, description: 'when it is attempted next; null while it holds a place in a queue, or once settled' },
  expiresAt: nullableTime,
  createdAt: time,
  updatedAt: time,
  attempts: { type: 'integer', description: 'how many attempts were made' },
  queuePosition: { type: ['integer', 'null'] },
  originCallId: { type: ['string', 'null'] },
  shifted: { type: 'boolean', description: 'created with the Shifted reference: the Neglected exclusion applies' },
  note: { type: ['string', 'null'] },
  form: FORM,
  claimOwner: { type: ['string', 'null'] },
  claimUntil: nullableTime,
  version: { type: 'integer' },
});

export const ATTEMPT = shape({
  id: { type: 'string' },
  seq: { type: 'integer' },
  mode: { type: 'string', enum: ['agent-first', 'customer-first'] },
  startedAt: time,
  endedAt: nullableTime,
  outcome: { type: ['string', 'null'], enum: [...OUTCOMES, null] },
  detail: { type: ['string', 'null'] },
  placeholderRef: { type: ['string', 'null'] },
  customerRef: { type: ['string', 'null'] },
  outboundCallIds: { type: 'array', items: { type: 'string' }, description: 'the PBX calls it made (placeholder, then customer)' },
});

export const EVENT = shape({
  id: { type: 'integer', description: 'increasing, never reused: the position in the event log' },
  at: time,
  type: { type: 'string' },
  callbackId: { type: ['string', 'null'] },
  callId: { type: ['string', 'null'] },
  data: { type: 'object', additionalProperties: true },
});

export const CALL = shape({
  id: { type: 'string' },
  number: { type: ['string', 'null'] },
  queue: { type: ['string', 'null'] },
  result: { type: 'string', enum: CALL_RESULTS },
  enteredAt: time,
  endedAt: nullableTime,
  position: { type: ['integer', 'null'] },
  waitSeconds: { type: ['integer', 'null'] },
  form: FORM,
  lostDecision: { type: ['string', 'null'], description: 'abandoned calls: why it did or did not become a LostShift callback, in words' },
  lostReason: { type: ['string', 'null'], enum: [...LOST_REASONS, null], description: 'the same as a stable code: shifted and merged mean it became one' },
  pbx: { type: 'string' },
});

export const DETAIL = shape({
  callback: CALLBACK,
  attempts: { type: 'array', items: ATTEMPT },
  events: { type: 'array', items: EVENT },
  form: FORM,
});

/** A row of the grid of callbacks: the callback's own fields and how its latest attempt ended. */
export const CALLBACK_ROW = shape({ ...CALLBACK.properties, lastOutcome: { type: ['string', 'null'], enum: [...OUTCOMES, null] } });

export const CREATED = shape({
  callback: CALLBACK,
  merged: { type: 'boolean', description: 'a callback was already pending for the number and queue: the request was folded into it' },
  movedFrom: { ...nullableTime, description: 'the due time asked for, when the calling window moved it' },
});

export const CHANGED = shape({ callback: CALLBACK });

export const ERROR = shape(
  { error: shape({ code: { type: 'string', enum: [...Object.keys(HTTP_STATUS), 'internal'] }, message: { type: 'string' } }) },
  'every refusal: a stable code (one status per code) and a message for people',
);

/** The refusals a route can give, each status once (its codes are in the ERROR schema). */
export function errorAnswers(...codes: AnswerCode[]): Record<number, typeof ERROR> {
  const answers: Record<number, typeof ERROR> = {};
  for (const code of ['invalid_request', 'unauthorized', 'rate_limited', ...codes] as AnswerCode[]) answers[HTTP_STATUS[code]] = ERROR;
  return answers;
}

export const page = <T>(items: T) => shape({ items: { type: 'array', items }, nextCursor: { type: ['string', 'null'], description: 'give as cursor for the next page; null after the last' } });

/** Query pieces shared by the lists. */
export const LIMIT = { type: 'integer', minimum: 1, maximum: MAX_LIMIT, description: `rows per page, 1 to ${MAX_LIMIT} (default 50)` } as const;
export const CURSOR = text(500, 'nextCursor of the previous page');

/** When a callback is due: a time with its offset, or "now" (format due-time: see validation.ts). */
export const DUE_AT = { type: 'string', format: 'due-time', maxLength: 64, description: 'ISO 8601 with its offset (kept as given), or "now"' } as const;
export const DELAY_MINUTES = { type: 'integer', minimum: 0, maximum: MAX_DELAY_MINUTES, description: 'minutes from now, moved into the calling window' } as const;
export const NOTE = orNull({ type: 'string', maxLength: 2000 } as const);
export const REASON = orNull({ type: 'string', maxLength: 500 } as const);
/** A number as a person typed it: the service checks and normalises it (422 when it is not one). */
export const NUMBER = text(64, 'E.164 (+420601111222) or national in defaultCountry');
export const QUEUE = text(80);
export const ID = text(200);

export const IDEMPOTENCY_HEADERS = {
  type: 'object',
  properties: {
    'idempotency-key': {
      type: 'string',
      pattern: '^[\\x21-\\x7E]{1,200}$',
      description: 'a retried request with the same key (and body) gets the first answer back and creates nothing more',
    },
  },
} as const;
