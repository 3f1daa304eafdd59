import type { TransitionRule } from '../config/types';
import { InvalidNumberError } from './errors';
import { checkNumberAllowed, isAnonymous, normaliseNumber } from './number';
import { explainTransitions, findTransition, targetQueue } from './rules';
import { initialDueAt } from './retry';
import type { CallRecord, Callback, LostReason } from './types';

/** The daily caps count callbacks created in the 24 hours before the instant asked about. */
export const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * What judging a lost call needs to know of the world, asked only as far as the judgement gets.
 * The daemon answers from its store; a replay answers from the recorded past.
 */
export interface LostCallWorld {
  /** Whether a callback was already made from this call (a decision the previous process did not record). */
  alreadyShifted(callId: string): Promise<boolean>;
  pendingFor(number: string, queue: string): Promise<Callback | null>;
  countPending(queue: string): Promise<number>;
  countCreatedSince(scope: { number: string } | { queue: string }, since: number): Promise<number>;
  /** The callbacks not yet done for a number, every queue (what a script is shown as pending). */
  pendingOfNumber?(number: string): Promise<Callback[]>;
}

export interface LostCallRules {
  transitions: readonly TransitionRule[];
  defaultCountry: string;
}

/** A lost call to become a callback: under which transition, for which number, where, when (null: the window never opens, caught before). */
export interface LostCallCreate {
  action: 'create';
  rule: TransitionRule;
  number: string;
  queue: string;
  dueAt: number;
  /** A callback is pending for the number in that queue: the request merges into it. */
  mergesInto: Callback | null;
}

export interface LostCallSkip {
  action: 'skip';
  reason: LostReason;
  detail: string;
  /** The transition that applied, when one did. */
  transition: string | null;
}

export type LostCallJudgement = LostCallCreate | LostCallSkip;

/** The instant a call was lost: transitions and caps are read then, so a replay of the same call judges it the same. */
export function lostAt(call: CallRecord, now: number): number {
  return call.endedAt ?? now;
}

/** Seconds the caller waited before giving up. */
export function waitedSeconds(call: CallRecord, now: number): number {
  return call.waitSeconds ?? Math.round((lostAt(call, now) - call.enteredAt) / 1000);
}

/**
 * The embedded LostShift decision, in the order a supervisor reads the rule: the transition in
 * force, how long the caller waited, whose number it is, whether it may be called, whether a
 * callback is already pending, the caps, the calling window. Every skip names its reason as a
 * code and in words. `now` is the time a callback would be created (its due time counts from it).
 */
export async function judgeLostCall(call: CallRecord, rules: LostCallRules, world: LostCallWorld, now: number): Promise<LostCallJudgement> {
  const at = lostAt(call, now);
  const sourceQueue = call.queue ?? '';
  const skip = (reason: LostReason, detail: string, rule: TransitionRule | null): LostCallSkip => ({ action: 'skip', reason, detail, transition: rule?.name ?? null });

  if (await world.alreadyShifted(call.id)) return skip('shifted', 'a callback was already made from this call', null);
  const rule = findTransition(rules.transitions, sourceQueue, 'LostShift', at);
  if (!rule) return skip('no_transition', noTransitionDetail(rules.transitions, sourceQueue, at), null);

  const waited = waitedSeconds(call, now);
  if (waited < rule.minWaitSeconds) return skip('too_short', `waited ${waited}s, under minWaitSeconds ${rule.minWaitSeconds}`, rule);
  if (isAnonymous(call.number)) return skip('anonymous', 'the caller withheld their number or it was not sent: nobody to call back', rule);
  const raw = String(call.number).trim();
  if (rule.internalExtensions !== '' && new RegExp(rule.internalExtensions).test(raw)) {
    return skip('internal', `${raw} is an internal extension (internalExtensions ${rule.internalExtensions})`, rule);
  }
  let number: string;
  try {
    number = normaliseNumber(raw, rules.defaultCountry);
    checkNumberAllowed(number, rule.numbers, rules.defaultCountry);
  } catch (err) {
    if (!(err instanceof InvalidNumberError)) throw err;
    return skip(err.code === 'number_not_allowed' ? 'number_not_allowed' : 'invalid_number', err.message, rule);
  }

  const queue = targetQueue(rule, sourceQueue);
  const pending = await world.pendingFor(number, queue);
  if (pending && rule.whenPending === 'skip') return skip('already_pending', `callback ${pending.id} is already pending for ${number} in ${queue} (whenPending skip)`, rule);
  if (!pending) {
    if (rule.maxPending > 0) {
      const count = await world.countPending(queue);
      if (count >= rule.maxPending) return skip('max_pending', `${queue} has ${count} pending callbacks (maxPending ${rule.maxPending})`, rule);
    }
    const limit = await dailyLimitReached(rule, number, queue, world, at);
    if (limit) return skip(limit.reason, limit.detail, rule);
  }
  const dueAt = initialDueAt(now, rule.delayMinutes, rule);
  if (dueAt === null) return skip('window_never_opens', `the calling window of transition "${rule.name}" never opens`, rule);
  return { action: 'create', rule, number, queue, dueAt, mergesInto: pending };
}

/**
 * The caps on callbacks per number and per queue in any 24 hours, for every mechanism (the
 * engine asks before each creation that is not a merge): the first one reached, or null.
 */
export async function dailyLimitReached(
  rule: TransitionRule,
  number: string,
  queue: string,
  world: Pick<LostCallWorld, 'countCreatedSince'>,
  at: number,
): Promise<{ reason: 'number_daily_limit' | 'queue_daily_limit'; detail: string } | null> {
  const since = at - DAY_MS;
  const perNumber = rule.numbers.maxPerNumberPerDay;
  if (perNumber > 0) {
    const made = await world.countCreatedSince({ number }, since);
    if (made >= perNumber) return { reason: 'number_daily_limit', detail: `${made} callbacks for ${number} in the last 24 hours (numbers.maxPerNumberPerDay ${perNumber})` };
  }
  if (rule.maxPerQueuePerDay > 0) {
    const made = await world.countCreatedSince({ queue }, since);
    if (made >= rule.maxPerQueuePerDay) return { reason: 'queue_daily_limit', detail: `${made} callbacks for ${queue} in the last 24 hours (maxPerQueuePerDay ${rule.maxPerQueuePerDay})` };
  }
  return null;
}

/** Why no transition took the call, in one line: the closest miss is the one a supervisor wants to read. */
function noTransitionDetail(transitions: readonly TransitionRule[], queue: string, at: number): string {
  const checks = explainTransitions(transitions, queue, 'LostShift', at);
  const near = checks.find((c) => c.why.startsWith('not in force')) ?? checks.find((c) => c.why.startsWith('it does not enable'));
  return near ? `no transition enables LostShift for queue "${queue}" now (${near.name}: ${near.why})` : `no transition enables LostShift for queue "${queue}"`;
}
