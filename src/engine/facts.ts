import type { LifecycleEvent } from '../domain/lifecycle';
import type { Attempt, Callback } from '../domain/types';
import type { Change } from './callbacks';
import type { FeedEvent } from './feed';

export interface Committed {
  at: number;
  before: Callback;
  next: Callback;
  event?: LifecycleEvent;
  change: Change;
  /** The attempt the change ended, as it stood before (its start, mode and channels). */
  ending: Attempt | null;
}

/**
 * The facts one committed change holds, one feed event each, in the order they happened: an
 * attempt ends, the status moves because of it, a new attempt starts. A change with none of
 * these (fields, history lines, channels) is one 'callback.updated'.
 */
export function factsOf({ at, before, next, event, change, ending }: Committed): FeedEvent[] {
  const facts: FeedEvent[] = [];
  if (change.endAttempt && ending) {
    const { outcome, detail } = change.endAttempt;
    facts.push({ kind: 'attempt.ended', at, callback: next, attempt: { ...ending, endedAt: at, outcome, detail: detail ?? null } });
  }
  if (event) facts.push({ kind: 'callback.changed', at, callback: next, from: before.status, to: next.status, event });
  if (change.startAttempt) facts.push({ kind: 'attempt.started', at, callback: next, attempt: { ...change.startAttempt, endedAt: null, outcome: null, detail: null }, dueAt: before.dueAt });
  if (facts.length === 0) facts.push({ kind: 'callback.updated', at, callback: next });
  return facts;
}
