import type { TransitionRule } from '../config/types';
import type { Callback, Outcome } from './types';
import { nextOpening } from './window';

const MINUTE = 60_000;

/** What follows an attempt, decided from the callback, the outcome, the rule and the time only. */
export type AttemptDecision =
  | { kind: 'complete' }
  | { kind: 'retry'; dueAt: number }
  | { kind: 'fail'; reason: string }
  | { kind: 'expire'; reason: string };

/** Outcomes after which dialling the same number again cannot help. */
const PERMANENT: ReadonlySet<Outcome> = new Set(['invalid_number']);

/**
 * `callback.attempts` counts the attempt that just ended. Retries wait the rule's delay for the
 * outcome, then move to the calling window's next opening; a retry that would land after the
 * deadline expires the callback instead.
 */
export function decideAfterAttempt(
  callback: Pick<Callback, 'attempts' | 'expiresAt'>,
  outcome: Outcome,
  rule: TransitionRule,
  now: number,
): AttemptDecision {
  if (outcome === 'answered') return { kind: 'complete' };
  if (PERMANENT.has(outcome)) return { kind: 'fail', reason: `permanent failure: ${outcome}` };
  if (callback.attempts >= rule.maxAttempts) {
    return { kind: 'fail', reason: `${callback.attempts} of ${rule.maxAttempts} attempts used, last: ${outcome}` };
  }
  const delay = rule.retryMinutes[outcome] ?? rule.retryMinutes.default ?? 10;
  const dueAt = nextOpening(now + delay * MINUTE, rule.window);
  if (dueAt === null) return { kind: 'fail', reason: 'the calling window never opens' };
  if (callback.expiresAt !== null && dueAt >= callback.expiresAt) {
    return { kind: 'expire', reason: `the next attempt (${new Date(dueAt).toISOString()}) would be after the deadline` };
  }
  return { kind: 'retry', dueAt };
}

/** When a new callback is first due: after `delayMinutes`, moved into the calling window. */
export function initialDueAt(now: number, delayMinutes: number, rule: TransitionRule): number | null {
  return nextOpening(now + delayMinutes * MINUTE, rule.window);
}

export function expiresAt(createdAt: number, rule: TransitionRule): number | null {
  return rule.expiresAfterMinutes > 0 ? createdAt + rule.expiresAfterMinutes * MINUTE : null;
}

export function isExpired(callback: Pick<Callback, 'expiresAt'>, now: number): boolean {
  return callback.expiresAt !== null && now >= callback.expiresAt;
}
