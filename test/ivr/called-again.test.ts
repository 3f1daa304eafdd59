import assert from 'node:assert/strict';
import path from 'node:path';
import { Daemon } from '../../src/daemon';
import { ManualClock } from '../../src/domain/clock';
import type { Callback } from '../../src/domain/types';
import { spokenTime } from '../../src/ivr/called-again';
import { createSilentLogger } from '../../src/log';
import { CallerGoneError, type CallerSession, type PbxListener, type QueueCallEntered, type SpokenTime } from '../../src/pbx/gateway';
import { testConfig } from '../helpers/config';
import { FakeTimers } from '../helpers/fake-timers';
import { RecordingGateway } from '../helpers/recording-gateway';
import { removeDir, tempDir } from '../helpers/tmp';
import { idle } from '../helpers/wait';

const MIN = 60_000;
const NUMBER = '+420601111222';

/** What the caller does at each readDigits: a key, silence, hanging up, or a key once something else happened meanwhile. */
type Answer = string | 'silence' | 'hangup' | (() => Promise<string>);

/** A caller's side scripted answer by answer, recording what the dialog did to it. */
class ScriptedCaller implements CallerSession {
  readonly did: Array<{ step: 'answer' | 'play' | 'time' | 'read' | 'hangup'; prompts?: readonly string[]; time?: SpokenTime }> = [];
  private gone = false;

  constructor(private readonly answers: Answer[]) {}

  async answer(): Promise<void> {
    this.check();
    this.did.push({ step: 'answer' });
  }
  async play(prompts: readonly string[]): Promise<void> {
    this.check();
    this.did.push({ step: 'play', prompts });
  }
  async sayDigits(): Promise<void> {
    this.check();
  }
  async sayTime(time: SpokenTime): Promise<void> {
    this.check();
    this.did.push({ step: 'time', time });
  }
  async readDigits(): Promise<string> {
    this.check();
    this.did.push({ step: 'read' });
    const answer = this.answers.shift() ?? 'silence';
    const next = typeof answer === 'function' ? await answer() : answer;
    if (next === 'hangup') {
      this.gone = true;
      throw new CallerGoneError('call-2');
    }
    return next === 'silence' ? '' : next;
  }
  async hangup(): Promise<void> {
    this.did.push({ step: 'hangup' });
  }
  played(): string[] {
    return this.did.filter((d) => d.step === 'play').flatMap((d) => d.prompts ?? []);
  }
  private check(): void {
    if (this.gone) throw new CallerGoneError('call-2');
  }
}

describe('a caller who calls again (PBX-neutral)', () => {
  describe('spokenTime', () => {
    const now = Date.parse('2026-11-24T09:00:00Z'); // a Tuesday; 10:00 in Prague
    it('says today, tomorrow, a weekday within the week, else the date, in the zone given', () => {
      assert.deepEqual(spokenTime(now + 90 * MIN, now, 'Europe/Prague'), { day: { kind: 'today' }, hour: 11, minute: 30 });
      assert.deepEqual(spokenTime(now + 90 * MIN, now, 'UTC'), { day: { kind: 'today' }, hour: 10, minute: 30 });
      assert.deepEqual(spokenTime(Date.parse('2026-11-25T07:05:00Z'), now, 'Europe/Prague'), { day: { kind: 'tomorrow' }, hour: 8, minute: 5 });
      assert.deepEqual(spokenTime(Date.parse('2026-11-27T13:00:00Z'), now, 'Europe/Prague'), { day: { kind: 'weekday', weekday: 5 }, hour: 14, minute: 0 });
      assert.deepEqual(spokenTime(Date.parse('2026-12-05T08:15:00Z'), now, 'Europe/Prague'), { day: { kind: 'date', month: 12, day: 5 }, hour: 9, minute: 15 });
    });
    it('counts days on the wall clock of the zone: 23:30 UTC is already tomorrow in Prague', () => {
      assert.deepEqual(spokenTime(Date.parse('2026-11-24T23:30:00Z'), now, 'Europe/Prague').day, { kind: 'tomorrow' });
      assert.deepEqual(spokenTime(Date.parse('2026-11-24T23:30:00Z'), now, 'UTC').day, { kind: 'today' });
    });
  });

  describe('the offer, through the engine', () => {
    let dir: string;
    let clock: ManualClock;
    let timers: FakeTimers;
    let gateway: RecordingGateway;
    let daemon: Daemon;

    async function start(rule: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<void> {
      const config = testConfig({
        db: path.join(dir, 'cb.db'),
        ivr: { calledAgainSeconds: 3 },
        transitions: [{ name: 'support', sourceQueue: 'support', minWaitSeconds: 0, delayMinutes: 30, offerPendingOnReturn: true, window: { timezone: 'Europe/Prague', hours: { mon: ['00:00-24:00'], tue: ['00:00-24:00'], wed: ['00:00-24:00'], thu: ['00:00-24:00'], fri: ['00:00-24:00'], sat: ['00:00-24:00'], sun: ['00:00-24:00'] } }, ...rule }],
        ...extra,
      });
      daemon = await Daemon.open({ config, logger: createSilentLogger(), clock, timers, gateway });
      await daemon.start();
    }

    beforeEach(() => {
      dir = tempDir();
      clock = new ManualClock(Date.parse('2026-11-24T09:00:00Z'));
      timers = new FakeTimers(clock);
      gateway = new RecordingGateway();
    });
    afterEach(async () => {
      await daemon.stop();
      removeDir(dir);
    });

    const listener = (): PbxListener => gateway.listener!;
    const entered = (callId: string, number: string | null = NUMBER): QueueCallEntered => ({ callId, number, queue: 'support', at: clock.now(), form: {} });
    /** A first call abandoned: a LostShift callback due 30 minutes later (10:30 in Prague). */
    async function lostCall(): Promise<Callback> {
      await listener().queueCallEntered(entered('call-1'));
      await listener().queueCallGone({ callId: 'call-1', queue: 'support', at: clock.now(), how: 'abandoned', position: 1, waitSeconds: 30 });
      const [cb] = (await daemon.store.list({ limit: 10 })).items;
      assert.equal(cb.status, 'Scheduled');
      return cb;
    }
    /** The same number calls again. */
    async function callAgain(answers: Answer[], number: string | null = NUMBER): Promise<{ caller: ScriptedCaller; next: string }> {
      const caller = new ScriptedCaller(answers);
      const call = entered('call-2', number);
      await listener().queueCallEntered(call);
      const next = await listener().callerCalledAgain!(caller, call);
      return { caller, next };
    }
    const choices = async (id: string) => (await daemon.store.eventsOf(id)).filter((e) => e.type === 'CallerCalledAgain').map((e) => ({ callId: e.callId, ...e.data }));

    it('key 1 keeps the callback: the time is said in the window zone, the caller hears goodbye and the call ends as a callback', async () => {
      await start();
      const cb = await lostCall();
      const { caller, next } = await callAgain(['1']);
      assert.equal(next, 'hangup');
      assert.equal(caller.did[0].step, 'answer');
      assert.deepEqual(caller.did.find((d) => d.step === 'time')?.time, { day: { kind: 'today' }, hour: 10, minute: 30 });
      const after = (await daemon.store.get(cb.id))!;
      assert.equal(after.status, 'Scheduled');
      assert.equal(after.dueAt, cb.dueAt, 'the callback stands as it was');
      assert.deepEqual(caller.played().slice(-2), ['auth-thankyou', 'vm-goodbye']);
      assert.deepEqual(await choices(cb.id), [{ callId: 'call-2', choice: 'keep' }]);
      assert.equal((await daemon.store.getCall('call-2'))?.result, 'callback');
    });

    it('key 2 cancels it through the lifecycle, the choice committed with the transition', async () => {
      await start();
      const cb = await lostCall();
      const { caller, next } = await callAgain(['2']);
      assert.equal(next, 'hangup');
      assert.equal((await daemon.store.get(cb.id))?.status, 'Cancelled');
      const events = await daemon.store.eventsOf(cb.id);
      const change = events.find((e) => e.type === 'StatusChanged' && e.data.to === 'Cancelled')!;
      const choice = events.find((e) => e.type === 'CallerCalledAgain')!;
      assert.equal(choice.at, change.at, 'one commit');
      assert.deepEqual(choice.data, { callId: 'call-2', choice: 'cancel' });
      assert.equal(events.find((e) => e.type === 'Note')?.data.cancelledBy, 'caller');
      assert.deepEqual(caller.played().slice(-2), ['cancelled', 'vm-goodbye']);
    });

    it('key 2 too late (an attempt reached the customer meanwhile): nothing is cancelled, the caller is told, the choice recorded', async () => {
      await start();
      const cb = await lostCall();
      const { caller, next } = await callAgain([
        async () => {
          await daemon.callbacks.apply((await daemon.store.get(cb.id))!, 'dial');
          return '2';
        },
      ]);
      assert.equal(next, 'hangup');
      assert.equal((await daemon.store.get(cb.id))?.status, 'Dialing');
      assert.deepEqual(await choices(cb.id), [{ callId: 'call-2', choice: 'cancel', cancelled: false }]);
      assert.deepEqual(caller.played().slice(-3), ['sorry', 'please-try-call-later', 'vm-goodbye']);
    });

    it('key 3 stays in the queue, the callback pending; served, exclusion makes it Neglected', async () => {
      await start();
      const cb = await lostCall();
      const { next } = await callAgain(['3']);
      assert.equal(next, 'queue');
      assert.equal((await daemon.store.get(cb.id))?.status, 'Scheduled');
      assert.deepEqual(await choices(cb.id), [{ callId: 'call-2', choice: 'stay' }]);
      await listener().queueCallServed({ callId: 'call-2', queue: 'support', number: NUMBER, at: clock.now() });
      assert.equal((await daemon.store.get(cb.id))?.status, 'Neglected');
    });

    it('no key (or a wrong one) replays the offer once, then stays', async () => {
      await start();
      const cb = await lostCall();
      const { caller, next } = await callAgain(['9', 'silence']);
      assert.equal(next, 'queue');
      assert.equal(caller.did.filter((d) => d.step === 'time').length, 2);
      assert.equal(caller.did.filter((d) => d.step === 'read').length, 2);
      assert.deepEqual(await choices(cb.id), [{ callId: 'call-2', choice: 'timeout' }]);
      assert.equal((await daemon.store.get(cb.id))?.status, 'Scheduled');
    });

    it('a caller who hangs up during the offer is recorded as hangup, and nothing else changes', async () => {
      await start();
      const cb = await lostCall();
      const { next } = await callAgain(['hangup']);
      assert.equal(next, 'hangup');
      assert.deepEqual(await choices(cb.id), [{ callId: 'call-2', choice: 'hangup' }]);
      const after = (await daemon.store.get(cb.id))!;
      assert.equal(after.status, 'Scheduled');
      assert.equal(after.dueAt, cb.dueAt);
    });

    it('is offered for the target queue of the transition, said in a time the calling window moved it to', async () => {
      await start({ targetQueue: 'support-callbacks', window: { timezone: 'Europe/Prague', hours: { tue: ['13:00-18:00'] } } });
      const cb = await lostCall();
      assert.equal(cb.queue, 'support-callbacks');
      const { caller } = await callAgain(['3']);
      assert.deepEqual(caller.did.find((d) => d.step === 'time')?.time, { day: { kind: 'today' }, hour: 13, minute: 0 });
    });

    it('offers nothing, and leaves the session untouched, when the switch is off, nothing is pending or the caller is anonymous', async () => {
      await start({ offerPendingOnReturn: false });
      const cb = await lostCall();
      let { caller, next } = await callAgain(['1']);
      assert.equal(next, 'queue');
      assert.deepEqual(caller.did, []);
      await daemon.stop();
      await start();
      ({ caller, next } = await callAgain(['1'], 'anonymous'));
      assert.equal(next, 'queue');
      assert.deepEqual(caller.did, []);
      await daemon.callbacks.cancel(cb.id, 'test', 'gone');
      ({ caller, next } = await callAgain(['1']));
      assert.equal(next, 'queue');
      assert.deepEqual(caller.did, []);
      assert.deepEqual(await choices(cb.id), []);
    });

    it('does not offer a callback being dialled (an attempt under way)', async () => {
      await start({ delayMinutes: 0 });
      const cb = await lostCall();
      await timers.advance(MIN, () => idle(daemon));
      assert.equal(gateway.started.length, 1, 'the placeholder is in the queue');
      assert.equal((await daemon.store.get(cb.id))?.status, 'Scheduled');
      const { caller, next } = await callAgain(['2']);
      assert.equal(next, 'queue');
      assert.deepEqual(caller.did, []);
      assert.equal((await daemon.store.get(cb.id))?.status, 'Scheduled');
    });

    it('a failed look-up sends the caller on into the queue', async () => {
      await start();
      await lostCall();
      daemon.store.pendingFor = async () => {
        throw new Error('database is locked');
      };
      const { caller, next } = await callAgain(['2']);
      assert.equal(next, 'queue');
      assert.deepEqual(caller.did, []);
    });
  });
});
