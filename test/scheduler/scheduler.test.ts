import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ManualClock } from '../../src/domain/clock';
import type { Attempt, Callback } from '../../src/domain/types';
import { createSilentLogger } from '../../src/log';
import { Scheduler, type SchedulerOptions } from '../../src/scheduler/scheduler';
import type { SqliteStore } from '../../src/store/sqlite-store';
import { FakeTimers } from '../helpers/fake-timers';
import { newCallback, openTestStore } from '../helpers/store';
import { removeDir, tempDir } from '../helpers/tmp';

const MIN = 60_000;
const OWNER = 'test-owner';

/**
 * The scheduler over a real store: the slots it may fill are counted there (open counted attempts
 * and outstanding claims of its PBX, whoever holds them), so the tests make real attempts and claims.
 */
describe('scheduler', () => {
  let dir: string;
  let store: SqliteStore;
  let clock: ManualClock;
  let timers: FakeTimers;
  let dispatched: Callback[];
  let pbxUp: boolean;
  let scheduler: Scheduler;

  const refuseMerge = () => {
    throw new Error('unexpected merge');
  };
  const add = async (dueInMinutes: number | null, fields: Partial<Callback> = {}) =>
    (await store.createOrMerge(newCallback({ dueAt: dueInMinutes === null ? null : clock.now() + dueInMinutes * MIN, createdAt: clock.now(), ...fields }), [], refuseMerge)).callback;

  /** What the dialer does with a claim: an open attempt of `owner` in its place (Dialing when counted, a held place when not). */
  const dialling = async (callback: Callback, { owner = OWNER, counted = true } = {}): Promise<Attempt> => {
    const attempt = { id: randomUUID(), callbackId: callback.id, seq: callback.attempts + 1, mode: 'customer-first' as const, startedAt: clock.now(), placeholderRef: null, customerRef: null, owner, leaseUntil: clock.now() + MIN, counted };
    await store.commit({
      callbackId: callback.id,
      at: clock.now(),
      from: callback.status,
      ...(counted ? { event: 'dial' as const, to: 'Dialing' as const } : {}),
      set: { attempts: attempt.seq, dueAt: null, claimOwner: null, claimUntil: null },
      startAttempt: attempt,
    });
    return (await store.getAttempt(attempt.id)) as Attempt;
  };
  /** An open attempt of a callback that was never due for this scheduler. */
  const openAttempt = async (fields: Partial<Callback> = {}, who: { owner?: string; counted?: boolean } = {}) => dialling(await add(null, fields), who);
  const ended = async (attempt: Attempt) => {
    const callback = (await store.get(attempt.callbackId)) as Callback;
    await store.commit({ callbackId: callback.id, at: clock.now(), from: callback.status, event: 'answer', to: 'Completed', endAttempt: { id: attempt.id, outcome: 'answered' } });
  };

  beforeEach(() => {
    dir = tempDir();
    store = openTestStore(dir);
    clock = new ManualClock(Date.parse('2026-11-24T09:00:00Z'));
    timers = new FakeTimers(clock);
    dispatched = [];
    pbxUp = true;
    scheduler = makeScheduler();
  });

  /** A scheduler over the test's store and clock; it dispatches into `dispatched`. */
  const makeScheduler = (opts: Partial<SchedulerOptions> = {}) =>
    new Scheduler({
      store,
      clock,
      timers,
      logger: createSilentLogger(),
      owner: OWNER,
      pbx: 'default',
      leaseMs: MIN,
      maxConcurrent: 10,
      queueLimits: {},
      dispatch: (cb) => dispatched.push(cb),
      canDial: () => pbxUp,
      ...opts,
    });
  const settle = () => scheduler.settled();
  const advance = (ms: number) => timers.advance(ms, settle);
  const start = async () => {
    scheduler.start();
    await settle();
  };
  const poke = async () => {
    scheduler.poke();
    await settle();
  };

  afterEach(async () => {
    scheduler.stop();
    await scheduler.settled();
    await store.close();
    removeDir(dir);
  });

  it('arms one timer for the earliest due callback and wakes exactly then', async () => {
    const later = await add(10);
    const sooner = await add(5);
    await start();
    assert.equal(timers.armed, 1);
    assert.equal(timers.nextAt, sooner.dueAt);
    await advance(5 * MIN - 1);
    assert.equal(dispatched.length, 0, 'nothing before its time');
    await advance(1);
    assert.deepEqual(dispatched.map((c) => c.id), [sooner.id]);
    assert.equal(dispatched[0].claimOwner, OWNER);
    assert.equal(timers.armed, 1);
    assert.equal(timers.nextAt, later.dueAt);
    await advance(5 * MIN);
    assert.deepEqual(dispatched.map((c) => c.id), [sooner.id, later.id]);
    assert.equal(timers.armed, 0, 'nothing left: no timer');
  });

  it('re-arms when an earlier callback appears', async () => {
    await add(30);
    await start();
    const urgent = await add(2);
    scheduler.dueAt(urgent.dueAt as number);
    assert.equal(timers.armed, 1);
    assert.equal(timers.nextAt, urgent.dueAt);
    scheduler.dueAt(clock.now() + 40 * MIN);
    assert.equal(timers.nextAt, urgent.dueAt, 'a later due time does not move the timer');
  });

  it('dispatches what is already due at start', async () => {
    await add(-5);
    await add(-1);
    await start();
    assert.equal(dispatched.length, 2);
  });

  it('only claims callbacks of its own PBX', async () => {
    await add(-2, { pbx: 'other-pbx' });
    const own = await add(-1);
    await start();
    assert.deepEqual(dispatched.map((c) => c.id), [own.id]);
  });

  it('respects the global limit, counting its claims and attempts, and resumes when a slot frees', async () => {
    await add(-3);
    await add(-2);
    const last = await add(-1);
    scheduler = makeScheduler({ maxConcurrent: 2 });
    await start();
    assert.equal(dispatched.length, 2, 'two claims fill both slots');
    const attempts = [await dialling(dispatched[0]), await dialling(dispatched[1])];
    await poke();
    assert.equal(dispatched.length, 2, 'the attempts that replaced the claims hold the slots');
    await ended(attempts[0]);
    await poke();
    assert.deepEqual(dispatched.map((c) => c.id).slice(2), [last.id]);
  });

  it('counts the counted attempts and claims of every daemon of its PBX, and nothing else', async () => {
    const claimedElsewhere = await add(-10);
    const other = await store.claimNextDue({ owner: 'other-daemon', pbx: 'default', now: clock.now(), leaseMs: MIN, maxConcurrent: 10, queueLimits: {} });
    assert.equal(other.callback?.id, claimedElsewhere.id);
    await openAttempt({}, { owner: 'other-daemon' }); // takes a slot
    await openAttempt({ queuePosition: 2 }, { counted: false }); // a place held for a caller: no slot
    await openAttempt({ pbx: 'other-pbx' }); // another PBX's slots are its own
    const first = await add(-2);
    await add(-1);
    scheduler = makeScheduler({ maxConcurrent: 3 });
    await start();
    assert.deepEqual(dispatched.map((c) => c.id), [first.id], 'one slot of three left');
  });

  it('skips queues at their own limit', async () => {
    const sales = await openAttempt({ queue: 'sales' });
    await add(-2, { queue: 'sales' });
    const support = await add(-1, { queue: 'support' });
    scheduler = makeScheduler({ queueLimits: { sales: 1 } });
    await start();
    assert.deepEqual(dispatched.map((c) => c.id), [support.id]);
    await ended(sales);
    await poke();
    assert.equal(dispatched.length, 2);
  });

  it('holds every queue without a limit of its own to the limit under "*"', async () => {
    await openAttempt({ queue: 'sales' });
    await add(-4, { queue: 'sales' });
    const billing = await add(-3, { queue: 'billing' });
    await add(-2, { queue: 'billing' });
    const vip = await add(-1, { queue: 'vip' });
    scheduler = makeScheduler({ queueLimits: { '*': 1, vip: 5 } });
    await start();
    assert.deepEqual(dispatched.map((c) => c.id), [billing.id, vip.id], 'sales is full by its attempt, billing by its first claim');
  });

  it('claims nothing while the PBX is down', async () => {
    await add(-1);
    pbxUp = false;
    await start();
    assert.equal(dispatched.length, 0);
    pbxUp = true;
    await poke();
    assert.equal(dispatched.length, 1);
  });

  it('waits beyond the 24.8-day setTimeout limit in steps', async () => {
    const far = await add(60 * 24 * 40);
    await start();
    assert.ok((timers.nextAt as number) < (far.dueAt as number));
    await advance(40 * 24 * 60 * MIN);
    assert.deepEqual(dispatched.map((c) => c.id), [far.id]);
  });

  it('keeps its timer when it fires a millisecond early and the clock ticks during the claim', async () => {
    const due = await add(5);
    const fired: Array<() => void> = [];
    const early = makeScheduler({
      store: {
        // The claim reads the clock once; the clock moves on while it runs.
        claimNextDue: async (request) => {
          const claimed = await store.claimNextDue(request);
          clock.set(clock.now() + 1);
          return claimed;
        },
        nextDueAt: (pbx, skip) => store.nextDueAt(pbx, skip),
      },
      timers: { setTimeout: (fn) => fired.push(fn), clearTimeout: () => undefined },
    });
    early.start();
    await early.settled();
    assert.equal(fired.length, 1, 'armed for the due callback');
    clock.set((due.dueAt as number) - 1);
    fired.shift()!();
    await early.settled();
    assert.equal(dispatched.length, 0, 'not due yet at the claim');
    assert.equal(early.nextWake, due.dueAt, 'armed again, not left without a timer');
    fired.shift()!();
    await early.settled();
    assert.deepEqual(dispatched.map((c) => c.id), [due.id]);
    early.stop();
  });

  it('arms for a later callback of a free queue while a full queue has callbacks overdue', async () => {
    await openAttempt({ queue: 'sales' });
    await add(-2, { queue: 'sales' });
    const support = await add(5, { queue: 'support' });
    scheduler = makeScheduler({ queueLimits: { sales: 1 } });
    await start();
    assert.equal(timers.nextAt, support.dueAt);
    await advance(5 * MIN);
    assert.deepEqual(dispatched.map((c) => c.id), [support.id]);
  });
});
