import assert from 'assert';
import type { Outcome } from '../../src/domain/types';
import {
  CallerGoneError,
  PbxDialError,
  type AttemptPlan,
  type AttemptRef,
  type CallerSession,
  type IvrCallbackRequest,
  type PbxGateway,
  type PbxListener,
  type QueueCallEntered,
  type QueueCallGone,
  type QueueCallServed,
} from '../../src/pbx/gateway';

/**
 * The behaviour every PBX adapter owes the engine, in PBX-neutral words. An adapter's test file
 * runs `describeGatewayBehaviour` with a harness: the gateway, a recording listener, and a PBX
 * (real or simulated) it can drive like the people on the phone would.
 *
 * Contract points beyond the interface's comments, which the engine relies on:
 * - every attempt whose startAttempt resolved gets exactly one attemptEnded, also when it is
 *   abandoned or released (the engine closes the attempt record with it);
 * - reports about one queue call come in order: entered, then served, then gone.
 */

export type CustomerScript = 'answer' | 'busy' | 'no_answer' | 'congestion' | 'rejected' | 'invalid_number';

export interface PbxControl {
  /** A caller enters `queue` through the shipped dialplan entry point; resolves with the call id the gateway reports. */
  callerEntersQueue(opts: { number: string; queue: string; form?: Record<string, string> }): Promise<string>;
  /** A caller reaches the CallBack IVR node; resolves with the call id. */
  callerEntersCallbackNode(opts: { number: string; queue: string; delayMinutes: number; form?: Record<string, string> }): Promise<string>;
  callerPresses(callId: string, digits: string): Promise<void>;
  callerHangsUp(callId: string): Promise<void>;
  /** Whether the call is still up on the PBX. */
  isUp(callId: string): boolean;
  agentsAvailable(queue: string): Promise<void>;
  agentsPaused(queue: string): Promise<void>;
  /** Agents of the queue hang up this long after answering. */
  agentsTalkFor(queue: string, ms: number): Promise<void>;
  /** Callers (placeholders included) waiting in the queue now. */
  waiting(queue: string): Promise<number>;
  /** What the customer at `number` does when dialled. */
  scriptCustomer(number: string, outcome: CustomerScript, opts?: { digitsAfterAnswer?: string; talkMs?: number; ringMs?: number }): void;
  dialledCount(number: string): number;
  /** An endpoint the PBX refuses outright. */
  unusableEndpoint(): string;
  /** The endpoint a plan uses for `number`. */
  endpointFor(number: string): string;
  /** Cut the link between gateway and PBX (and keep it cut); `restoreLink` brings it back. Calls go on meanwhile. */
  cutLink(): Promise<void>;
  restoreLink(): Promise<void>;
  /** Calls still up on the PBX (for leak checks). */
  liveCalls(): number;
}

export interface GatewayHarness {
  gateway: PbxGateway;
  listener: RecordingListener;
  pbx: PbxControl;
  /** The daemon restarts: the gateway stops (leaving calls alone) and a new one with a new listener starts. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

type Recorded =
  | { kind: 'connection'; up: boolean }
  | { kind: 'entered'; e: QueueCallEntered }
  | { kind: 'served'; e: QueueCallServed }
  | { kind: 'gone'; e: QueueCallGone }
  | { kind: 'ivr'; req: IvrCallbackRequest }
  | { kind: 'placeholderAnswered'; ref: AttemptRef }
  | { kind: 'confirmed'; ref: AttemptRef }
  | { kind: 'ended'; ref: AttemptRef; outcome: Outcome; detail: string };

/** Records what the gateway tells the engine and lets tests wait for it; no sleeping. */
export class RecordingListener implements PbxListener {
  readonly log: Recorded[] = [];
  private waiters: Array<() => void> = [];
  ivr: (session: CallerSession, req: IvrCallbackRequest) => Promise<void> = async () => undefined;
  decide: (ref: AttemptRef) => Promise<'dial' | 'release'> = async () => 'dial';

  connectionChanged(up: boolean): void {
    this.push({ kind: 'connection', up });
  }
  async queueCallEntered(e: QueueCallEntered): Promise<void> {
    this.push({ kind: 'entered', e });
  }
  async queueCallServed(e: QueueCallServed): Promise<void> {
    this.push({ kind: 'served', e });
  }
  async queueCallGone(e: QueueCallGone): Promise<void> {
    this.push({ kind: 'gone', e });
  }
  async ivrCallback(session: CallerSession, req: IvrCallbackRequest): Promise<void> {
    this.push({ kind: 'ivr', req });
    await this.ivr(session, req);
  }
  async placeholderAnswered(ref: AttemptRef): Promise<'dial' | 'release'> {
    this.push({ kind: 'placeholderAnswered', ref });
    return this.decide(ref);
  }
  customerConfirmed(ref: AttemptRef): void {
    this.push({ kind: 'confirmed', ref });
  }
  async attemptEnded(ref: AttemptRef, outcome: Outcome, detail: string): Promise<void> {
    this.push({ kind: 'ended', ref, outcome, detail });
  }

  of<K extends Recorded['kind']>(kind: K): Array<Extract<Recorded, { kind: K }>> {
    return this.log.filter((r): r is Extract<Recorded, { kind: K }> => r.kind === kind);
  }

  /** The first record of `kind` matching `match` (present or future). */
  async next<K extends Recorded['kind']>(kind: K, match: (r: Extract<Recorded, { kind: K }>) => boolean = () => true, timeoutMs = 8000): Promise<Extract<Recorded, { kind: K }>> {
    const started = Date.now();
    for (;;) {
      const found = this.of(kind).find(match);
      if (found) return found;
      const left = timeoutMs - (Date.now() - started);
      if (left <= 0) throw new Error(`timed out waiting for ${kind}; got ${JSON.stringify(this.log.map((r) => r.kind))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private push(record: Recorded): void {
    this.log.push(record);
    const waiting = this.waiters.splice(0);
    for (const wake of waiting) wake();
  }
}

/** Resolves once `check` holds, polling the PBX's own state (not the gateway's reports). */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 8000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let planSeq = 0;
export function planFor(pbx: PbxControl, opts: { number: string; queue: string; mode: AttemptPlan['mode']; position?: number; ringSeconds?: number; endpoint?: string }): AttemptPlan {
  planSeq += 1;
  const attemptId = `att-${planSeq}-${Date.now().toString(36)}`;
  return {
    attemptId,
    callbackId: `cb-${planSeq}`,
    placeholderRef: opts.mode === 'agent-first' ? `cbph-${attemptId}` : null,
    customerRef: `cbcu-${attemptId}`,
    mode: opts.mode,
    queue: opts.queue,
    position: opts.position ?? 1,
    number: opts.number,
    endpoint: opts.endpoint ?? pbx.endpointFor(opts.number),
    callerId: '+420200000000',
    ringSeconds: opts.ringSeconds ?? 5,
    spoken: opts.number.replace(/^\+/, ''),
    form: {},
  };
}

function refOf(plan: AttemptPlan): AttemptRef {
  return { attemptId: plan.attemptId, callbackId: plan.callbackId, placeholderRef: plan.placeholderRef, customerRef: plan.customerRef };
}

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** The harness's PBX has these two queues, each with one agent. */
const QUEUE = 'support';
const OTHER_QUEUE = 'sales';

export function describeGatewayBehaviour(label: string, makeHarness: () => Promise<GatewayHarness>): void {
  describe(`${label}: PBX gateway behaviour`, function () {
    this.timeout(15000);
    let h: GatewayHarness;

    beforeEach(async () => {
      h = await makeHarness();
      await h.listener.next('connection', (r) => r.up);
    });
    afterEach(async () => {
      await h.close();
    });

    const endedFor = (plan: AttemptPlan) => h.listener.next('ended', (r) => r.ref.attemptId === plan.attemptId);
    const endings = (plan: AttemptPlan) => h.listener.of('ended').filter((r) => r.ref.attemptId === plan.attemptId);

    it('reports the connection up and is connected', () => {
      assert.strictEqual(h.gateway.isConnected(), true);
    });

    describe('queue calls', () => {
      it('reports a call entered with its number, queue and form, then served, then gone as served', async () => {
        await h.pbx.agentsPaused(QUEUE);
        const callId = await h.pbx.callerEntersQueue({ number: '+420601111222', queue: QUEUE, form: { ACCOUNT: '12345' } });
        const entered = await h.listener.next('entered', (r) => r.e.callId === callId);
        assert.strictEqual(entered.e.number, '+420601111222');
        assert.strictEqual(entered.e.queue, QUEUE);
        assert.deepStrictEqual(entered.e.form, { ACCOUNT: '12345' });
        assert.strictEqual(typeof entered.e.at, 'number');

        await h.pbx.agentsAvailable(QUEUE);
        const served = await h.listener.next('served', (r) => r.e.callId === callId);
        assert.strictEqual(served.e.queue, QUEUE);
        const gone = await h.listener.next('gone', (r) => r.e.callId === callId);
        assert.strictEqual(gone.e.how, 'served');
        assert.strictEqual(gone.e.position, 1);
        assert.ok(gone.e.waitSeconds !== null && gone.e.waitSeconds >= 0);
        const order = h.listener.log.indexOf.bind(h.listener.log);
        assert.ok(order(entered) < order(served) && order(served) < order(gone), 'entered, served, gone in order');
      });

      it('reports a caller who hangs up while waiting as abandoned, with position and wait', async () => {
        await h.pbx.agentsPaused(QUEUE);
        const callId = await h.pbx.callerEntersQueue({ number: '+420601111223', queue: QUEUE });
        await h.listener.next('entered', (r) => r.e.callId === callId);
        await h.pbx.callerHangsUp(callId);
        const gone = await h.listener.next('gone', (r) => r.e.callId === callId);
        assert.strictEqual(gone.e.how, 'abandoned');
        assert.strictEqual(gone.e.position, 1);
        assert.ok(gone.e.waitSeconds !== null);
        assert.strictEqual(h.listener.of('served').length, 0);
      });
    });

    describe('CallBack IVR node', () => {
      it('hands the caller over with number, queue, delay and form, reads digits, and hangs up afterwards', async () => {
        const ready = deferred();
        const results = deferred<{ keyed: string; silence: string; partial: string }>();
        h.listener.ivr = async (session) => {
          await session.answer();
          await session.play(['callbackd-your-number']);
          ready.resolve();
          const keyed = await session.readDigits({ max: 12, terminator: '#', firstDigitMs: 4000, interDigitMs: 2000 });
          const silence = await session.readDigits({ max: 1, firstDigitMs: 150, interDigitMs: 150 });
          const more = session.readDigits({ max: 6, firstDigitMs: 4000, interDigitMs: 300 });
          await h.pbx.callerPresses(callId, '42');
          results.resolve({ keyed, silence, partial: await more });
        };
        const callId = await h.pbx.callerEntersCallbackNode({ number: '+420604444555', queue: QUEUE, delayMinutes: 5, form: { REASON: 'billing' } });
        const ivr = await h.listener.next('ivr', (r) => r.req.callId === callId);
        assert.deepStrictEqual(ivr.req, { callId, number: '+420604444555', queue: QUEUE, delayMinutes: 5, queuePosition: null, form: { REASON: 'billing' } });
        await ready.promise;
        await h.pbx.callerPresses(callId, '777123#');
        const got = await results.promise;
        assert.deepStrictEqual(got, { keyed: '777123', silence: '', partial: '42' });
        await until(() => !h.pbx.isUp(callId), 'the adapter hangs the caller up when the dialog is over');
      });

      it('rejects with CallerGoneError once the caller hung up, on every method', async () => {
        const reading = deferred();
        const outcome = deferred<unknown[]>();
        h.listener.ivr = async (session) => {
          await session.answer();
          const read = session.readDigits({ max: 4, firstDigitMs: 8000, interDigitMs: 8000 }).then(
            () => 'resolved',
            (err: unknown) => err,
          );
          reading.resolve();
          const errors: unknown[] = [await read];
          for (const call of [() => session.play(['x']), () => session.sayDigits('12'), () => session.answer(), () => session.hangup()]) {
            errors.push(await call().then(() => 'resolved', (err: unknown) => err));
          }
          outcome.resolve(errors);
        };
        const callId = await h.pbx.callerEntersCallbackNode({ number: '+420604444556', queue: QUEUE, delayMinutes: 10 });
        await reading.promise;
        await h.pbx.callerHangsUp(callId);
        for (const err of await outcome.promise) assert.ok(err instanceof CallerGoneError, `got ${String(err)}`);
      });

      it('links a caller who pressed the callback key in the queue: same call id, delay 0, queue position', async () => {
        await h.pbx.agentsPaused(QUEUE);
        const ahead = await h.pbx.callerEntersQueue({ number: '+420600000001', queue: QUEUE });
        await h.listener.next('entered', (r) => r.e.callId === ahead);
        const callId = await h.pbx.callerEntersQueue({ number: '+420603333444', queue: QUEUE, form: { ACCOUNT: '777' } });
        await h.listener.next('entered', (r) => r.e.callId === callId);
        // Entered is reported before the caller is continued into the queue, where the key works.
        await until(async () => (await h.pbx.waiting(QUEUE)) === 2, 'both callers wait');
        await h.pbx.callerPresses(callId, '1');
        const ivr = await h.listener.next('ivr', (r) => r.req.callId === callId);
        assert.deepStrictEqual(ivr.req, { callId, number: '+420603333444', queue: QUEUE, delayMinutes: 0, queuePosition: 2, form: { ACCOUNT: '777' } });
        const gone = await h.listener.next('gone', (r) => r.e.callId === callId);
        assert.strictEqual(gone.e.how, 'left');
        assert.strictEqual(gone.e.position, 2);
      });
    });

    describe('agent-first attempts', () => {
      it('holds the place, asks the engine when an agent answers, then dials and joins the customer', async () => {
        await h.pbx.agentsPaused(QUEUE);
        const number = '+420603333001';
        h.pbx.scriptCustomer(number, 'answer', { talkMs: 300 });
        const plan = planFor(h.pbx, { number, queue: QUEUE, mode: 'agent-first' });
        await h.gateway.startAttempt(plan);
        await until(async () => (await h.pbx.waiting(QUEUE)) === 1, 'the placeholder waits in the queue');
        assert.strictEqual(h.pbx.dialledCount(number), 0, 'nobody is dialled before an agent takes the placeholder');

        await h.pbx.agentsAvailable(QUEUE);
        const answered = await h.listener.next('placeholderAnswered', (r) => r.ref.attemptId === plan.attemptId);
        assert.strictEqual(answered.ref.placeholderRef, plan.placeholderRef);
        assert.strictEqual(answered.ref.callbackId, plan.callbackId);
        const ended = await endedFor(plan);
        assert.strictEqual(ended.outcome, 'answered');
        assert.strictEqual(h.pbx.dialledCount(number), 1);
        await until(() => h.pbx.liveCalls() === 0, 'both sides hung up after the conversation');
        assert.strictEqual(endings(plan).length, 1);
      });

      const failures: Array<[CustomerScript, Outcome]> = [
        ['busy', 'busy'],
        ['no_answer', 'no_answer'],
        ['rejected', 'rejected'],
        ['congestion', 'congestion'],
        ['invalid_number', 'failed'],
      ];
      for (const [script, outcome] of failures) {
        it(`reports a customer who is ${script} as ${outcome} and frees the agent`, async () => {
          const number = `+42060444${String(failures.findIndex(([s]) => s === script)).padStart(4, '0')}`;
          h.pbx.scriptCustomer(number, script);
          await h.pbx.agentsAvailable(QUEUE);
          const plan = planFor(h.pbx, { number, queue: QUEUE, mode: 'agent-first', ringSeconds: 1 });
          await h.gateway.startAttempt(plan);
          const ended = await endedFor(plan);
          assert.strictEqual(ended.outcome, outcome, ended.detail);
          assert.strictEqual(h.pbx.dialledCount(number), 1);
          await until(() => h.pbx.liveCalls() === 0, 'the agent is released');
          assert.strictEqual(endings(plan).length, 1);
        });
      }

      it('stops the customer ringing and reports agent_unanswered when the agent hangs up first', async () => {
        const number = '+420603333004';
        h.pbx.scriptCustomer(number, 'answer', { ringMs: 3000 });
        await h.pbx.agentsTalkFor(QUEUE, 200);
        await h.pbx.agentsAvailable(QUEUE);
        const plan = planFor(h.pbx, { number, queue: QUEUE, mode: 'agent-first', ringSeconds: 30 });
        await h.gateway.startAttempt(plan);
        const ended = await endedFor(plan);
        assert.strictEqual(ended.outcome, 'agent_unanswered');
        assert.strictEqual(h.pbx.dialledCount(number), 1);
        await until(() => h.pbx.liveCalls() === 0, 'the customer stopped ringing');
      });

      it('frees the agent without dialling when the engine says release', async () => {
        h.listener.decide = async () => 'release';
        const number = '+420603333002';
        h.pbx.scriptCustomer(number, 'answer');
        await h.pbx.agentsAvailable(QUEUE);
        const plan = planFor(h.pbx, { number, queue: QUEUE, mode: 'agent-first' });
        await h.gateway.startAttempt(plan);
        await h.listener.next('placeholderAnswered', (r) => r.ref.attemptId === plan.attemptId);
        const ended = await endedFor(plan);
        assert.strictEqual(ended.outcome, 'agent_unanswered');
        await until(() => h.pbx.liveCalls() === 0, 'the agent is released');
        assert.strictEqual(h.pbx.dialledCount(number), 0);
      });

      it('abandonAttempt takes the placeholder out of the queue, once', async () => {
        await h.pbx.agentsPaused(QUEUE);
        const plan = planFor(h.pbx, { number: '+420603333003', queue: QUEUE, mode: 'agent-first' });
        await h.gateway.startAttempt(plan);
        await until(async () => (await h.pbx.waiting(QUEUE)) === 1, 'the placeholder waits');
        await h.gateway.abandonAttempt(refOf(plan));
        await until(async () => (await h.pbx.waiting(QUEUE)) === 0, 'the placeholder left the queue');
        await h.gateway.abandonAttempt(refOf(plan));
        const ended = await endedFor(plan);
        assert.strictEqual(ended.outcome, 'agent_unanswered');
        assert.strictEqual(endings(plan).length, 1);
      });
    });

    describe('customer-first attempts', () => {
      it('dials the customer, who presses 1, is queued and answered by an agent', async () => {
        const number = '+420605555001';
        h.pbx.scriptCustomer(number, 'answer', { digitsAfterAnswer: '1' });
        await h.pbx.agentsAvailable(QUEUE);
        const plan = planFor(h.pbx, { number, queue: QUEUE, mode: 'customer-first' });
        await h.gateway.startAttempt(plan);
        const confirmed = await h.listener.next('confirmed', (r) => r.ref.attemptId === plan.attemptId);
        const ended = await endedFor(plan);
        assert.strictEqual(ended.outcome, 'answered');
        assert.ok(h.listener.log.indexOf(confirmed) < h.listener.log.indexOf(ended));
        assert.strictEqual(h.pbx.dialledCount(number), 1);
      });

      for (const [what, digits] of [
        ['presses another key', '5'],
        ['presses nothing', undefined],
      ] as const) {
        it(`reports not_confirmed when the customer ${what}, and hangs up`, async () => {
          const number = digits ? '+420605555002' : '+420605555003';
          h.pbx.scriptCustomer(number, 'answer', digits ? { digitsAfterAnswer: digits } : {});
          const plan = planFor(h.pbx, { number, queue: QUEUE, mode: 'customer-first' });
          await h.gateway.startAttempt(plan);
          const ended = await endedFor(plan);
          assert.strictEqual(ended.outcome, 'not_confirmed');
          assert.strictEqual(h.listener.of('confirmed').length, 0);
          await until(() => h.pbx.liveCalls() === 0, 'the customer is hung up');
        });
      }

      it('reports agent_unanswered when the confirmed customer hangs up before an agent takes them', async () => {
        await h.pbx.agentsPaused(QUEUE);
        const number = '+420605555006';
        h.pbx.scriptCustomer(number, 'answer', { digitsAfterAnswer: '1', talkMs: 400 });
        const plan = planFor(h.pbx, { number, queue: QUEUE, mode: 'customer-first' });
        await h.gateway.startAttempt(plan);
        await h.listener.next('confirmed', (r) => r.ref.attemptId === plan.attemptId);
        assert.strictEqual((await endedFor(plan)).outcome, 'agent_unanswered');
      });

      it('reports a busy customer as busy', async () => {
        const number = '+420605555004';
        h.pbx.scriptCustomer(number, 'busy');
        const plan = planFor(h.pbx, { number, queue: QUEUE, mode: 'customer-first' });
        await h.gateway.startAttempt(plan);
        assert.strictEqual((await endedFor(plan)).outcome, 'busy');
      });

      it('rejects startAttempt with PbxDialError when the PBX refuses the dial, and reports nothing more', async () => {
        const plan = planFor(h.pbx, { number: '+420605555005', queue: QUEUE, mode: 'customer-first', endpoint: h.pbx.unusableEndpoint() });
        await assert.rejects(h.gateway.startAttempt(plan), (err: unknown) => err instanceof PbxDialError && ['failed', 'invalid_number'].includes(err.outcome));
        assert.strictEqual(endings(plan).length, 0);
      });
    });

    describe('losing the PBX', () => {
      it('reports the link down and up again, and events flow after it', async () => {
        await h.pbx.cutLink();
        await h.listener.next('connection', (r) => !r.up);
        assert.strictEqual(h.gateway.isConnected(), false);
        await h.pbx.restoreLink();
        await until(() => h.listener.of('connection').filter((r) => r.up).length >= 2, 'connected again');
        assert.strictEqual(h.gateway.isConnected(), true);
        const callId = await h.pbx.callerEntersQueue({ number: '+420606666001', queue: QUEUE });
        await h.listener.next('entered', (r) => r.e.callId === callId);
      });

      it('reconcile reports what vanished while the link was down and keeps following the rest', async () => {
        await h.pbx.agentsPaused(QUEUE);
        await h.pbx.agentsPaused(OTHER_QUEUE);
        const lost = planFor(h.pbx, { number: '+420606666002', queue: QUEUE, mode: 'agent-first' });
        const kept = planFor(h.pbx, { number: '+420606666003', queue: OTHER_QUEUE, mode: 'agent-first' });
        await h.gateway.startAttempt(lost);
        await h.gateway.startAttempt(kept);
        const leaving = await h.pbx.callerEntersQueue({ number: '+420606666004', queue: OTHER_QUEUE });
        const staying = await h.pbx.callerEntersQueue({ number: '+420606666005', queue: OTHER_QUEUE });
        await h.listener.next('entered', (r) => r.e.callId === leaving);
        await h.listener.next('entered', (r) => r.e.callId === staying);
        await until(async () => (await h.pbx.waiting(QUEUE)) === 1 && (await h.pbx.waiting(OTHER_QUEUE)) === 3, 'placeholders and callers wait');

        await h.pbx.cutLink();
        await h.listener.next('connection', (r) => !r.up);
        // While the daemon is away an agent takes one placeholder (which cannot reach the daemon and
        // ends) and a caller gives up.
        await h.pbx.agentsAvailable(QUEUE);
        await until(async () => (await h.pbx.waiting(QUEUE)) === 0, 'the agent took the placeholder');
        await h.pbx.callerHangsUp(leaving);
        await until(() => !h.pbx.isUp(leaving), 'the caller hung up');
        await h.pbx.restoreLink();
        await until(() => h.listener.of('connection').filter((r) => r.up).length >= 2, 'connected again');

        const result = await h.gateway.reconcile({ attempts: [refOf(lost), refOf(kept)], waitingCallIds: [leaving, staying] });
        assert.deepStrictEqual(result.goneAttempts, [{ attemptId: lost.attemptId, stage: 'placeholder', outcome: 'agent_unanswered' }]);
        assert.deepStrictEqual(result.goneCallIds, [leaving]);

        h.listener.decide = async () => 'release';
        await h.pbx.agentsAvailable(OTHER_QUEUE);
        await h.listener.next('placeholderAnswered', (r) => r.ref.attemptId === kept.attemptId);
        await h.listener.next('served', (r) => r.e.callId === staying);
        assert.strictEqual(endings(lost).length, 0, 'a reconciled attempt is not reported twice');
        assert.strictEqual(h.listener.of('placeholderAnswered').filter((r) => r.ref.attemptId === lost.attemptId).length, 0);
      });

      it('after a daemon restart, adopts a waiting placeholder and a waiting call and carries them through', async () => {
        await h.pbx.agentsPaused(QUEUE);
        const number = '+420606666006';
        h.pbx.scriptCustomer(number, 'answer', { talkMs: 200 });
        const plan = planFor(h.pbx, { number, queue: QUEUE, mode: 'agent-first' });
        await h.gateway.startAttempt(plan);
        const callId = await h.pbx.callerEntersQueue({ number: '+420606666007', queue: QUEUE });
        await h.listener.next('entered', (r) => r.e.callId === callId);
        await until(async () => (await h.pbx.waiting(QUEUE)) === 2, 'placeholder and caller wait');

        await h.restart();
        await h.listener.next('connection', (r) => r.up);
        // As the store has it: the customer's id is only recorded once the customer is to be dialled.
        const stored: AttemptRef = { ...refOf(plan), customerRef: null };
        const result = await h.gateway.reconcile({ attempts: [stored], waitingCallIds: [callId] });
        assert.deepStrictEqual({ ...result, servedCallIds: result.servedCallIds ?? [] }, { goneAttempts: [], goneCallIds: [], servedCallIds: [] });

        await h.pbx.agentsAvailable(QUEUE);
        await h.listener.next('placeholderAnswered', (r) => r.ref.attemptId === plan.attemptId);
        assert.strictEqual((await endedFor(plan)).outcome, 'answered');
        assert.strictEqual(h.pbx.dialledCount(number), 1);
        await h.listener.next('served', (r) => r.e.callId === callId);
        await h.listener.next('gone', (r) => r.e.callId === callId);
      });
    });
  });
}
