import { DateTime, IANAZone } from 'luxon';
import type { TransitionRule } from '../config/types';
import { InvalidNumberError, InvalidRequestError } from '../domain/errors';
import { judgeLostCall, type LostCallJudgement } from '../domain/lost-shift';
import { checkNumberAllowed, isAnonymous, normaliseNumber } from '../domain/number';
import { initialDueAt } from '../domain/retry';
import { explainTransitions, targetQueue, type TransitionCheck } from '../domain/rules';
import { MECHANISMS, type CallRecord, type Mechanism } from '../domain/types';
import { storeWorld } from '../engine/queue-calls';
import type { ServiceContext } from './context';
import { queueName } from './input';

export interface ExplainInput {
  queue?: unknown;
  number?: unknown;
  /** ISO 8601; without an offset it is read in `timezone` (or UTC). Missing or "now": the clock. */
  at?: unknown;
  timezone?: unknown;
  mechanism?: unknown;
  /** LostShift: how long the caller waited; missing: long enough for the transition that applies. */
  waitedSeconds?: unknown;
}

export interface NumberVerdict {
  given: string;
  e164: string | null;
  allowed: boolean;
  why: string;
}

/** Which transition applies to a call, why the others do not, and what would follow. */
export interface Explanation {
  at: number;
  queue: string;
  mechanism: Mechanism;
  /** Every transition in configuration order. */
  transitions: TransitionCheck[];
  /** The one used, or null. */
  transition: string | null;
  targetQueue: string | null;
  number: NumberVerdict | null;
  /** LostShift: the embedded decision for a call lost then (created or skipped, with the reason), counted against the store as it is now. */
  lostShift: { action: 'create'; queue: string; dueAt: number; merges: string | null } | { action: 'skip'; reason: string; detail: string } | null;
  /** Other mechanisms: when a callback asked for then would be due (null: its window never opens). */
  dueAt: number | null;
  script: string | null;
}

function mechanismOf(value: unknown): Mechanism {
  if (value === undefined || value === null || value === '') return 'LostShift';
  if (typeof value !== 'string' || !(MECHANISMS as readonly string[]).includes(value)) throw new InvalidRequestError(`mechanism must be one of ${MECHANISMS.join(', ')}`);
  return value as Mechanism;
}

/** An instant from what a person types: ISO 8601 (with or without offset) or "now". */
export function instantOf(value: unknown, timezone: unknown, now: number, field = 'at'): number {
  if (value === undefined || value === null || value === '' || value === 'now') return now;
  if (typeof value !== 'string') throw new InvalidRequestError(`${field} must be an ISO 8601 time, or "now"`);
  const zone = timezone === undefined || timezone === null || timezone === '' ? 'UTC' : String(timezone);
  if (!IANAZone.isValidZone(zone)) throw new InvalidRequestError(`timezone "${zone}" is not an IANA time zone (for example Europe/Prague)`);
  const parsed = DateTime.fromISO(value, { zone, setZone: true });
  if (!parsed.isValid) throw new InvalidRequestError(`${field} "${value}" is not an ISO 8601 time (for example 2026-12-03T21:30 or 2026-12-03T21:30+01:00)`);
  return parsed.toMillis();
}

function waitedOf(value: unknown): number | null {
  if (value === undefined || value === null || value === '') return null;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 86_400) throw new InvalidRequestError('waitedSeconds must be a number of seconds, 0 to 86400');
  return n;
}

function numberVerdict(raw: string, rule: TransitionRule | null, defaultCountry: string): NumberVerdict {
  if (isAnonymous(raw)) return { given: raw, e164: null, allowed: false, why: 'anonymous or withheld: nobody to call back' };
  let e164: string;
  try {
    e164 = normaliseNumber(raw, defaultCountry);
  } catch (err) {
    if (err instanceof InvalidNumberError) return { given: raw, e164: null, allowed: false, why: err.message };
    throw err;
  }
  if (!rule) return { given: raw, e164, allowed: false, why: 'no transition applies, so no number rules either' };
  try {
    checkNumberAllowed(e164, rule.numbers, defaultCountry);
    return { given: raw, e164, allowed: true, why: `allowed by transition "${rule.name}"` };
  } catch (err) {
    if (err instanceof InvalidNumberError) return { given: raw, e164, allowed: false, why: err.message };
    throw err;
  }
}

/**
 * `callbackd rules explain` and GET /api/v1/rules/explain: the transitions against one call,
 * then what the rules would do with it. Nothing is written.
 */
export async function explainRules(ctx: ServiceContext, input: ExplainInput): Promise<Explanation> {
  const queue = queueName(input.queue);
  const mechanism = mechanismOf(input.mechanism);
  const at = instantOf(input.at, input.timezone, ctx.clock.now());
  const waited = waitedOf(input.waitedSeconds);
  const rawNumber = input.number === undefined || input.number === null ? null : String(input.number).trim().slice(0, 64);
  const transitions = explainTransitions(ctx.config.transitions, queue, mechanism, at);
  const chosen = ctx.config.transitions.find((t) => transitions.some((c) => c.applies && c.name === t.name)) ?? null;
  const explanation: Explanation = {
    at,
    queue,
    mechanism,
    transitions,
    transition: chosen?.name ?? null,
    targetQueue: chosen ? targetQueue(chosen, queue) : null,
    number: rawNumber === null ? null : numberVerdict(rawNumber, chosen, ctx.config.defaultCountry),
    lostShift: null,
    dueAt: null,
    script: chosen && chosen.script !== '' ? chosen.script : null,
  };
  if (mechanism === 'LostShift' && rawNumber !== null) {
    const call: CallRecord = {
      id: `explain-${at}`,
      number: rawNumber,
      queue,
      enteredAt: at - (waited ?? chosen?.minWaitSeconds ?? 0) * 1000,
      endedAt: at,
      result: 'abandoned',
      position: null,
      waitSeconds: waited ?? chosen?.minWaitSeconds ?? 0,
      form: {},
      pbx: ctx.config.pbxName,
    };
    const world = storeWorld(ctx.store, ctx.config.pbxName);
    const judgement: LostCallJudgement = await judgeLostCall(call, ctx.config, { ...world, alreadyShifted: async () => false }, at);
    explanation.lostShift =
      judgement.action === 'create'
        ? { action: 'create', queue: judgement.queue, dueAt: judgement.dueAt, merges: judgement.mergesInto?.id ?? null }
        : { action: 'skip', reason: judgement.reason, detail: judgement.detail };
  } else if (chosen) {
    explanation.dueAt = initialDueAt(at, chosen.delayMinutes, chosen);
  }
  return explanation;
}
