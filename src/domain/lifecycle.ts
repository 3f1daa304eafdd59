import { IllegalTransitionError } from './errors';
import type { Status } from './types';

/**
 * What can happen to a callback. One table says which of these each status accepts and where it
 * leads; anything not in the table is illegal and throws.
 */
export const LIFECYCLE_EVENTS = [
  'merge', // a second request for the same number and queue was folded into this one
  'reschedule', // due time moved (by a person, or to the calling window's next opening)
  'dial', // an attempt reached the customer-dialling stage
  'answer', // the customer talked to an agent
  'retry', // an attempt ended without success and the retry rules allow another
  'fail', // attempts used up, or a permanent failure (invalid number)
  'neglect', // the caller called in again and was served
  'cancel', // a person, the API or a script cancelled it
  'expire', // not done before its deadline
] as const;
export type LifecycleEvent = (typeof LIFECYCLE_EVENTS)[number];

type Table = Readonly<Record<Status, Readonly<Partial<Record<LifecycleEvent, Status>>>>>;

export const LIFECYCLE: Table = {
  Scheduled: {
    merge: 'Scheduled',
    reschedule: 'Scheduled',
    dial: 'Dialing',
    // An attempt can end before the customer is dialled (nobody took the placeholder).
    retry: 'Scheduled',
    fail: 'Failed',
    neglect: 'Neglected',
    cancel: 'Cancelled',
    expire: 'Expired',
  },
  Dialing: {
    answer: 'Completed',
    retry: 'Scheduled',
    fail: 'Failed',
    // An attempt ended without success and the next one would come after the deadline.
    expire: 'Expired',
  },
  Completed: {},
  Failed: {},
  Neglected: {},
  Cancelled: {},
  Expired: {},
};

/** The status `event` leads to from `from`, or IllegalTransitionError. */
export function nextStatus(from: Status, event: LifecycleEvent): Status {
  const to = LIFECYCLE[from][event];
  if (to === undefined) throw new IllegalTransitionError(from, event);
  return to;
}

export function accepts(from: Status, event: LifecycleEvent): boolean {
  return LIFECYCLE[from][event] !== undefined;
}
