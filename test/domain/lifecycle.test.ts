import assert from 'node:assert/strict';
import { IllegalTransitionError } from '../../src/domain/errors';
import { LIFECYCLE_EVENTS, nextStatus, type LifecycleEvent } from '../../src/domain/lifecycle';
import { STATUSES, TERMINAL_STATUSES, type Status } from '../../src/domain/types';

/** The table written out once more, by hand, so a change to the code's table shows here. */
const EXPECTED: Record<Status, Partial<Record<LifecycleEvent, Status>>> = {
  Scheduled: { merge: 'Scheduled', reschedule: 'Scheduled', dial: 'Dialing', retry: 'Scheduled', fail: 'Failed', neglect: 'Neglected', cancel: 'Cancelled', expire: 'Expired' },
  Dialing: { answer: 'Completed', retry: 'Scheduled', fail: 'Failed', expire: 'Expired' },
  Completed: {},
  Failed: {},
  Neglected: {},
  Cancelled: {},
  Expired: {},
};

describe('callback lifecycle', () => {
  for (const status of STATUSES) {
    for (const event of LIFECYCLE_EVENTS) {
      const to = EXPECTED[status][event];
      it(`${status} -[${event}]-> ${to ?? 'rejected'}`, () => {
        if (to) assert.equal(nextStatus(status, event), to);
        else assert.throws(() => nextStatus(status, event), (err: unknown) => err instanceof IllegalTransitionError && err.code === 'illegal_transition' && err.from === status && err.event === event);
      });
    }
  }

  it('terminal statuses accept nothing', () => {
    for (const status of TERMINAL_STATUSES) for (const event of LIFECYCLE_EVENTS) assert.throws(() => nextStatus(status, event), IllegalTransitionError);
  });

  it('a Dialing callback cannot be neglected or cancelled (exclusion leaves it alone)', () => {
    assert.throws(() => nextStatus('Dialing', 'neglect'), IllegalTransitionError);
    assert.throws(() => nextStatus('Dialing', 'cancel'), IllegalTransitionError);
  });
});
