import type { FastifyInstance } from 'fastify';
import { MECHANISMS } from '../domain/types';
import type { Explanation } from '../service/explain';
import { isoTime } from '../service/json';
import type { CallbackService } from '../service/service';
import { QUEUE, errorAnswers } from './schemas';

const EXPLAIN_QUERY = {
  type: 'object',
  additionalProperties: false,
  required: ['queue'],
  properties: {
    queue: { ...QUEUE, description: 'the queue the call is in (a transition source queue)' },
    number: { type: 'string', minLength: 1, maxLength: 64, description: "the caller's number, as the PBX would give it" },
    at: { type: 'string', minLength: 1, maxLength: 64, description: 'ISO 8601 (without an offset it is read in timezone), or "now" (the default)' },
    timezone: { type: 'string', minLength: 1, maxLength: 64, description: 'IANA time zone for an at without offset (default UTC)' },
    mechanism: { type: 'string', enum: MECHANISMS, description: 'default LostShift' },
    waitedSeconds: { type: 'number', minimum: 0, maximum: 86_400, description: 'LostShift: how long the caller waited (default: long enough)' },
  },
} as const;

const CHECK = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'applies', 'why'],
  properties: { name: { type: 'string' }, applies: { type: 'boolean' }, why: { type: 'string' } },
} as const;

const EXPLANATION = {
  type: 'object',
  additionalProperties: false,
  required: ['at', 'queue', 'mechanism', 'transitions', 'transition', 'targetQueue', 'number', 'lostShift', 'dueAt', 'script'],
  properties: {
    at: { type: 'string', format: 'date-time' },
    queue: { type: 'string' },
    mechanism: { type: 'string', enum: MECHANISMS },
    transitions: { type: 'array', items: CHECK, description: 'every transition in configuration order; the first that applies is used' },
    transition: { type: ['string', 'null'], description: 'the transition used, or null' },
    targetQueue: { type: ['string', 'null'] },
    number: {
      anyOf: [
        {
          type: 'object',
          additionalProperties: false,
          required: ['given', 'e164', 'allowed', 'why'],
          properties: { given: { type: 'string' }, e164: { type: ['string', 'null'] }, allowed: { type: 'boolean' }, why: { type: 'string' } },
        },
        { type: 'null' },
      ],
    },
    lostShift: {
      anyOf: [
        {
          type: 'object',
          additionalProperties: false,
          required: ['action'],
          properties: {
            action: { type: 'string', enum: ['create', 'skip'] },
            queue: { type: 'string' },
            dueAt: { type: 'string', format: 'date-time' },
            merges: { type: ['string', 'null'], description: 'the pending callback it would merge into' },
            reason: { type: 'string' },
            detail: { type: 'string' },
          },
        },
        { type: 'null' },
      ],
      description: 'LostShift with a number: what the embedded decision would be for a call lost at that time (counted against the store as it is now)',
    },
    dueAt: { type: ['string', 'null'], format: 'date-time', description: 'other mechanisms: when a callback asked for then would be due' },
    script: { type: ['string', 'null'], description: 'the script that may replace the decision' },
  },
} as const;

export function explanationJson(e: Explanation): Record<string, unknown> {
  const lost = e.lostShift;
  return {
    ...e,
    at: isoTime(e.at),
    dueAt: isoTime(e.dueAt),
    lostShift: lost === null ? null : lost.action === 'create' ? { ...lost, dueAt: isoTime(lost.dueAt) } : lost,
  };
}

export function registerRuleRoutes(app: FastifyInstance, service: CallbackService): void {
  app.get<{ Querystring: Record<string, string | number | undefined> }>(
    '/api/v1/rules/explain',
    { schema: { summary: 'Which transition applies to a call at a time, why the others do not, and what the rules would do with it', querystring: EXPLAIN_QUERY, response: { 200: EXPLANATION, ...errorAnswers() } } },
    async (request) => explanationJson(await service.explainRules(request.query)),
  );
}
