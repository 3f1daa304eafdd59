import type { DeliveryPolicy } from '../domain/store';

/** A retry comes up to this fraction early, at random, so deliveries that failed together do not all come back together. */
export const JITTER = 0.2;

/**
 * How long to wait after failed attempt `attempt` (1 for the first) before the next:
 * firstDelaySeconds × factor^(attempt − 1), at most maxDelaySeconds, then shortened by up to
 * JITTER of itself (`random` in [0, 1)). Never more than maxDelaySeconds, never negative.
 */
export function retryDelayMs(attempt: number, policy: Pick<DeliveryPolicy, 'firstDelaySeconds' | 'factor' | 'maxDelaySeconds'>, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.trunc(attempt) - 1);
  const grown = policy.firstDelaySeconds * policy.factor ** exponent;
  const seconds = Number.isFinite(grown) ? Math.min(policy.maxDelaySeconds, grown) : policy.maxDelaySeconds;
  const spread = Math.min(Math.max(random(), 0), 1);
  return Math.max(0, Math.round(seconds * 1000 * (1 - JITTER * spread)));
}

/** What follows attempt `attempt` that failed: another after its delay, or none (dead) once maxAttempts were made. */
export function afterFailure(attempt: number, policy: DeliveryPolicy, now: number, random: () => number = Math.random): { status: 'pending'; dueAt: number } | { status: 'dead' } {
  if (attempt >= policy.maxAttempts) return { status: 'dead' };
  return { status: 'pending', dueAt: now + retryDelayMs(attempt, policy, random) };
}
