import type { FastifyInstance } from 'fastify';
import type { TriggerConfig } from '../config/types';
import type { TriggerRun } from '../domain/store';
import { isoTime } from '../service/json';
import type { CallbackService } from '../service/service';
import { errorAnswers } from './schemas';

function shape<P extends Record<string, unknown>>(properties: P, description?: string) {
  return { type: 'object', additionalProperties: false, required: Object.keys(properties), properties, ...(description ? { description } : {}) } as const;
}

const strings = { type: 'array', items: { type: 'string' } } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;
const NAME_PARAMS = shape({ name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$', description: 'a trigger name (triggers[].name)' } });
const NO_BODY = { type: 'object', additionalProperties: false, properties: {}, description: 'none (or {})' } as const;

export const TRIGGER_RUN = shape({
  slotAt: { type: 'string', format: 'date-time', description: 'the instant the schedule named (or of the run on demand)' },
  owner: { type: 'string', description: 'the daemon that ran it' },
  startedAt: { type: 'string', format: 'date-time' },
  endedAt: { ...nullableTime, description: 'null while running, or when its daemon died' },
  outcome: { type: ['string', 'null'], enum: ['done', 'failed', null] },
  detail: { type: ['string', 'null'] },
});

export const TRIGGER = shape({
  name: { type: 'string' },
  on: { type: 'string', enum: ['status', 'interval'] },
  statuses: strings,
  queues: strings,
  mechanisms: strings,
  cron: { type: ['string', 'null'] },
  timezone: { type: ['string', 'null'] },
  webhook: { type: ['string', 'null'] },
  script: { type: ['string', 'null'] },
  runs: { type: 'array', items: TRIGGER_RUN, description: 'interval triggers: the latest ten runs, newest first' },
});

export function triggerRunJson(run: TriggerRun): Record<string, unknown> {
  return { slotAt: isoTime(run.slotAt), owner: run.owner, startedAt: isoTime(run.startedAt), endedAt: isoTime(run.endedAt), outcome: run.outcome, detail: run.detail };
}

function triggerJson(trigger: TriggerConfig, runs: readonly TriggerRun[]): Record<string, unknown> {
  const interval = trigger.on === 'interval';
  return {
    name: trigger.name,
    on: trigger.on,
    statuses: [...trigger.statuses],
    queues: [...trigger.queues],
    mechanisms: [...trigger.mechanisms],
    cron: interval ? trigger.cron : null,
    timezone: interval ? trigger.timezone : null,
    webhook: trigger.webhook || null,
    script: trigger.script || null,
    runs: runs.map(triggerRunJson),
  };
}

/** The triggers configured and their runs (any token); an interval trigger run now (the operator's). */
export function registerTriggerRoutes(app: FastifyInstance, service: CallbackService): void {
  app.get(
    '/api/v1/triggers',
    { schema: { summary: 'The triggers configured, interval ones with their latest runs', response: { 200: shape({ items: { type: 'array', items: TRIGGER } }), ...errorAnswers() } } },
    async () => ({ items: (await service.triggers()).map(({ trigger, runs }) => triggerJson(trigger, runs)) }),
  );

  app.post<{ Params: { name: string } }>(
    '/api/v1/triggers/:name/run',
    {
      schema: {
        summary: 'Run an interval trigger now, as a tick of its schedule would: never while a run of it is going (outcome overlap)',
        params: NAME_PARAMS,
        body: NO_BODY,
        response: {
          200: shape({ outcome: { type: 'string', enum: ['done', 'failed', 'overlap', 'taken'] }, run: { anyOf: [TRIGGER_RUN, { type: 'null' }] } }),
          ...errorAnswers('forbidden', 'not_found', 'conflict', 'payload_too_large', 'unsupported_media_type'),
        },
      },
    },
    async (request) => {
      const { outcome, run } = await service.runTrigger(request.params.name);
      return { outcome, run: run ? triggerRunJson(run) : null };
    },
  );
}
